import { describe, expect, test } from "bun:test"
import { Elysia } from "elysia"
import { HttpProblem, makeServiceApp, serviceMetricsRegistry, streamClientConnected } from "../src/index.ts"

const makeApp = (extra: Parameters<typeof makeServiceApp>[0]["metrics"] = []) => {
  const routes = new Elysia({ prefix: "/widgets" })
    .get("/:widgetId", ({ params }) => ({ widgetId: params.widgetId }))
    .get("/:widgetId/gone", () => {
      throw new HttpProblem({ status: 409, code: "widget_gone", detail: "Gone." })
    })
  return makeServiceApp({
    service: "widgets",
    prefix: "/widgets",
    readiness: async () => ({ ok: true, checks: {} }),
    log: () => {},
    metrics: extra,
  }).use(routes)
}

const get = (app: { handle: (r: Request) => Promise<Response> }, path: string, method = "GET") =>
  app.handle(new Request(`http://localhost${path}`, { method }))

/** The value of a sample line `name{labels} value`, or undefined when the series is absent. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const scrape = async (app: { handle: (r: Request) => Promise<Response> }) => {
  // Durations are recorded after the answer went out.
  await Bun.sleep(20)
  const res = await get(app, "/metrics")
  expect(res.status).toBe(200)
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4")
  return res.text()
}

describe("GET /metrics", () => {
  test("request durations are labelled by route template, method and status, and unknown paths share one label", async () => {
    const app = makeApp()
    const count = (labels: string) => `bookaticket_http_request_duration_seconds_count{${labels}}`
    const before = await scrape(app)
    const at = (text: string, labels: string) => sample(text, count(labels)) ?? 0
    await get(app, "/widgets/a1")
    await get(app, "/widgets/b2")
    await get(app, "/widgets/a1/gone")
    await get(app, `/no/such/${crypto.randomUUID()}`)
    await get(app, "/widgets/a1", "DELETE")
    const after = await scrape(app)
    expect(at(after, 'route="/widgets/:widgetId",method="GET",status="200"') - at(before, 'route="/widgets/:widgetId",method="GET",status="200"')).toBe(2)
    expect(at(after, 'route="/widgets/:widgetId/gone",method="GET",status="409"') - at(before, 'route="/widgets/:widgetId/gone",method="GET",status="409"')).toBe(1)
    expect(at(after, 'route="unmatched",method="GET",status="404"') - at(before, 'route="unmatched",method="GET",status="404"')).toBe(1)
    expect(at(after, 'route="unmatched",method="DELETE",status="405"') - at(before, 'route="unmatched",method="DELETE",status="405"')).toBe(1)
    expect(after).not.toContain("/widgets/a1")
    expect(after).toContain('bookaticket_http_request_duration_seconds_bucket{le="0.5",route="/widgets/:widgetId",method="GET",status="200"}')
    // Default process metrics, prefixed like the rest.
    expect(after).toContain("bookaticket_process_cpu_seconds_total")
  })

  test("the service's gauges are read at scrape time", async () => {
    let backlog = 3
    const gauges = serviceMetricsRegistry({
      service: "widgets",
      outboxBacklog: () => backlog,
      outboxOldestUnsentAgeMs: () => 61_500,
      dlqDepth: () => 2,
    })
    const app = makeApp([gauges])
    let text = await scrape(app)
    expect(sample(text, 'bookaticket_outbox_backlog{service="widgets"}')).toBe(3)
    expect(sample(text, 'bookaticket_outbox_oldest_unsent_age_seconds{service="widgets"}')).toBe(61.5)
    expect(sample(text, 'bookaticket_dlq_depth{service="widgets",queue="widgets.dlq"}')).toBe(2)
    backlog = 0
    text = await scrape(app)
    expect(sample(text, 'bookaticket_outbox_backlog{service="widgets"}')).toBe(0)
  })

  test("a stream client is counted while connected, and leaving twice counts once", async () => {
    const app = makeApp()
    const series = 'bookaticket_stream_clients{stream="test-stream"}'
    const leaveA = streamClientConnected("test-stream")
    const leaveB = streamClientConnected("test-stream")
    expect(sample(await scrape(app), series)).toBe(2)
    leaveA()
    leaveA()
    expect(sample(await scrape(app), series)).toBe(1)
    leaveB()
    expect(sample(await scrape(app), series)).toBe(0)
  })

  test("the OpenAPI document describes /metrics as public text", async () => {
    const doc = (await (await get(makeApp(), "/widgets/openapi/json")).json()) as any
    const op = doc.paths["/metrics"].get
    expect(op.security).toEqual([])
    expect(Object.keys(op.responses["200"].content)).toEqual(["text/plain"])
  })
})
