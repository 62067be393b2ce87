// The Prometheus side of operations: promtool accepts the shipped scrape config and alert rules, each
// alert's expression fires on the series it is about, and a real Prometheus scraping a running fleet
// counts exactly the booking decisions booking's API reports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createTestVhost, freePort, pollUntil, repoRoot, type TestVhost } from "@bat/testing"
import type { Subprocess } from "bun"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parse, stringify } from "yaml"
import { Api, registerCustomer, setupCatalog, startSystem } from "../e2e/client.ts"

const shipped = join(repoRoot(), "rabbitmq", "prometheus")
const ADMIN = { email: "admin@ops-prometheus.test", password: "admin-ops-password" }
const JOBS = ["gateway", "users", "cinemas", "movies", "screenings", "booking", "payments", "notifications"] as const

const promtool = (...args: Array<string>) => {
  const r = Bun.spawnSync(["promtool", ...args], { stdout: "pipe", stderr: "pipe" })
  return { exitCode: r.exitCode, output: `${r.stdout.toString()}${r.stderr.toString()}` }
}

/** The shipped config with every job's target moved to `targets[job]` and the scrape interval set. */
const configFor = (targets: Readonly<Record<string, string>>, scrapeInterval?: string) => {
  const config = parse(readFileSync(join(shipped, "prometheus.yml"), "utf8"))
  if (scrapeInterval !== undefined) {
    config.global.scrape_interval = scrapeInterval
    config.global.scrape_timeout = scrapeInterval
    config.global.evaluation_interval = scrapeInterval
  }
  for (const job of config.scrape_configs) {
    const target = targets[job.job_name]
    if (target !== undefined) job.static_configs = [{ targets: [target] }]
  }
  return config
}

let work: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "bat-prometheus-"))
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe("the shipped Prometheus files", () => {
  test("scrape every service, the front door and the broker, and promtool accepts the config and the rules", () => {
    const config = parse(readFileSync(join(shipped, "prometheus.yml"), "utf8"))
    const jobs = Object.fromEntries(config.scrape_configs.map((j: any) => [j.job_name, j.static_configs[0].targets[0]]))
    expect(jobs).toEqual({
      gateway: "127.0.0.1:3000",
      users: "127.0.0.1:3001",
      cinemas: "127.0.0.1:3002",
      movies: "127.0.0.1:3003",
      screenings: "127.0.0.1:3004",
      booking: "127.0.0.1:3005",
      payments: "127.0.0.1:3006",
      notifications: "127.0.0.1:3007",
      rabbitmq: "127.0.0.1:15692",
    })
    const dir = mkdtempSync(join(work, "check-"))
    const targets = Object.fromEntries(JOBS.map((job, i) => [job, `127.0.0.1:${41_000 + i}`]))
    writeFileSync(join(dir, "prometheus.yml"), stringify(configFor(targets)))
    writeFileSync(join(dir, "alerts.yml"), readFileSync(join(shipped, "alerts.yml")))
    const checkConfig = promtool("check", "config", join(dir, "prometheus.yml"))
    expect(checkConfig.output).toContain("SUCCESS")
    expect(checkConfig.exitCode).toBe(0)
    const checkRules = promtool("check", "rules", join(shipped, "alerts.yml"))
    expect(checkRules.output).toContain("4 rules found")
    expect(checkRules.exitCode).toBe(0)
  })

  test("each alert's expression fires on what it is about and stays quiet otherwise", () => {
    const rules = parse(readFileSync(join(shipped, "alerts.yml"), "utf8")).groups[0].rules as Array<{ alert: string; expr: string }>
    const expr = (name: string) => {
      const rule = rules.find((r) => r.alert === name)
      if (rule === undefined) throw new Error(`no alert ${name}`)
      return rule.expr
    }
    const bucket = (job: string, route: string, le: string, values: string) => ({
      series: `bookaticket_http_request_duration_seconds_bucket{job="${job}",route="${route}",method="POST",status="202",le="${le}"}`,
      values,
    })
    const dir = mkdtempSync(join(work, "rules-"))
    writeFileSync(join(dir, "alerts.yml"), readFileSync(join(shipped, "alerts.yml")))
    writeFileSync(
      join(dir, "alerts.test.yml"),
      stringify({
        rule_files: ["alerts.yml"],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: [
              { series: 'up{job="booking",instance="a"}', values: "1 1 0 0" },
              { series: 'up{job="payments",instance="b"}', values: "1 1 1 1" },
              { series: 'bookaticket_dlq_depth{job="booking",service="booking",queue="booking.dlq"}', values: "0 0 2 2" },
              { series: 'bookaticket_dlq_depth{job="payments",service="payments",queue="payments.dlq"}', values: "0 0 0 0" },
              { series: 'bookaticket_outbox_oldest_unsent_age_seconds{job="booking",service="booking"}', values: "0 30 90 150" },
              { series: 'bookaticket_outbox_oldest_unsent_age_seconds{job="payments",service="payments"}', values: "0 0 5 0" },
              // booking: 90 of every 100 requests take 0.5-1 s; payments: all under 0.1 s; a stream open for minutes is not latency.
              bucket("booking", "/tickets/book", "0.1", "0+10x10"),
              bucket("booking", "/tickets/book", "0.5", "0+10x10"),
              bucket("booking", "/tickets/book", "1", "0+100x10"),
              bucket("booking", "/tickets/book", "+Inf", "0+100x10"),
              bucket("payments", "/payments", "0.1", "0+100x10"),
              bucket("payments", "/payments", "0.5", "0+100x10"),
              bucket("payments", "/payments", "1", "0+100x10"),
              bucket("payments", "/payments", "+Inf", "0+100x10"),
              bucket("notifications", "/notifications/stream", "0.1", "0x10"),
              bucket("notifications", "/notifications/stream", "+Inf", "0+5x10"),
            ],
            promql_expr_test: [
              { expr: expr("ServiceDown"), eval_time: "3m", exp_samples: [{ labels: 'up{job="booking",instance="a"}', value: 0 }] },
              {
                expr: expr("DeadLettersParked"),
                eval_time: "3m",
                exp_samples: [{ labels: 'bookaticket_dlq_depth{job="booking",service="booking",queue="booking.dlq"}', value: 2 }],
              },
              { expr: expr("DeadLettersParked"), eval_time: "1m", exp_samples: [] },
              {
                expr: expr("OutboxStuck"),
                eval_time: "2m",
                exp_samples: [{ labels: 'bookaticket_outbox_oldest_unsent_age_seconds{job="booking",service="booking"}', value: 90 }],
              },
              { expr: expr("OutboxStuck"), eval_time: "1m", exp_samples: [] },
              // The p99 of booking's requests lies in the 0.5-1 s bucket: 0.5 + 0.5 * (99 - 10) / 90.
              { expr: expr("SlowRequestsP99"), eval_time: "10m", exp_samples: [{ labels: '{job="booking"}', value: 0.5 + (0.5 * 89) / 90 }] },
            ],
          },
        ],
      }),
    )
    const result = promtool("test", "rules", join(dir, "alerts.test.yml"))
    expect(result.output).toContain("SUCCESS")
    expect(result.exitCode).toBe(0)
  })
})

describe("a real Prometheus scraping a running fleet", () => {
  let vh: TestVhost
  let dataDir: string
  let system: Awaited<ReturnType<typeof startSystem>> | undefined
  let prometheus: Subprocess | undefined
  let promUrl: string
  const promOutput: Array<string> = []

  beforeAll(async () => {
    vh = await createTestVhost({ prefix: "bat-prometheus" })
    dataDir = mkdtempSync(join(work, "data-"))
    system = await startSystem({ AMQP_URL: vh.amqpUrl, DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })
    const promPort = await freePort()
    promUrl = `http://127.0.0.1:${promPort}`
    const targets = Object.fromEntries(JOBS.map((job) => [job, `127.0.0.1:${system!.ports[job]}`]))
    const dir = mkdtempSync(join(work, "live-"))
    writeFileSync(join(dir, "prometheus.yml"), stringify(configFor(targets, "1s")))
    writeFileSync(join(dir, "alerts.yml"), readFileSync(join(shipped, "alerts.yml")))
    prometheus = Bun.spawn(
      [
        "/usr/bin/prometheus",
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ],
      { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
    )
    void (async () => {
      const reader = (prometheus!.stderr as ReadableStream<Uint8Array>).getReader()
      for (let r = await reader.read(); !r.done; r = await reader.read()) promOutput.push(new TextDecoder().decode(r.value))
    })()
    await pollUntil(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: `Prometheus to be ready (${promOutput.join("").slice(-500)})`,
    })
  }, 120_000)

  afterAll(async () => {
    if (prometheus !== undefined) {
      prometheus.kill("SIGTERM")
      await prometheus.exited
    }
    await system?.stop()
    await vh?.cleanup()
  }, 30_000)

  const query = async (promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)
    const body = (await res.json()) as any
    if (body.status !== "success") throw new Error(`query ${promql}: ${JSON.stringify(body)}`)
    return body.data.result
  }

  test("every service and the front door are scraped", async () => {
    await pollUntil(
      async () => {
        const up = await query(`up{job=~"${JOBS.join("|")}"}`)
        return up.length === JOBS.length && up.every((s) => s.value[1] === "1")
      },
      { timeoutMs: 20_000, intervalMs: 500, message: "every job up" },
    )
  })

  test("the booking decisions Prometheus counts are the bookings booking decided", async () => {
    const api = new Api(system!.gateway)
    const login = await api.post("/users/login", ADMIN)
    expect(login.status).toBe(200)
    const staff = api.as(login.body.token)
    const { screeningId } = await setupCatalog(staff, ["A"], 4)

    // Three bookings take A1-A3; three more then ask for the same seats and are refused.
    const bookAll = async (seats: ReadonlyArray<string>) =>
      Promise.all(
        seats.map(async (seat, i) => {
          const me = await registerCustomer(api, `metrics-${i}`)
          const book = await me.post("/tickets/book", { screeningId, seatNumbers: [seat] })
          expect(book.status).toBe(202)
          return { me, bookingId: book.body.bookingId as string }
        }),
      )
    const decided = async (bookings: ReadonlyArray<{ me: Api; bookingId: string }>) =>
      pollUntil(
        async () => {
          const views = await Promise.all(bookings.map((b) => b.me.get(`/tickets/bookings/${b.bookingId}`)))
          return views.every((v) => v.body.status !== "pending") && views.map((v) => v.body)
        },
        { timeoutMs: 20_000, intervalMs: 100, message: "every booking decided" },
      )
    const first = await decided(await bookAll(["A1", "A2", "A3"]))
    const second = await decided(await bookAll(["A1", "A2", "A3"]))
    const views = [...first, ...second]
    const reserved = views.filter((v) => v.status === "reserved").length
    const refused = views.filter((v) => v.status === "failed" && v.reason === "seat_unavailable").length
    expect({ reserved, refused }).toEqual({ reserved: 3, refused: 3 })

    await pollUntil(
      async () => {
        const total = await query("sum(bookaticket_booking_decisions_total)")
        return total[0]?.value[1] === String(views.length)
      },
      { timeoutMs: 20_000, intervalMs: 250, message: `sum(bookaticket_booking_decisions_total) to reach ${views.length}` },
    )
    const byOutcome = await query("sum by (outcome, reason) (bookaticket_booking_decisions_total)")
    const counted = Object.fromEntries(byOutcome.map((s) => [`${s.metric.outcome}/${s.metric.reason ?? ""}`, Number(s.value[1])]))
    // Every reason is a series from the first scrape; only the decisions taken count above 0.
    expect(Object.fromEntries(Object.entries(counted).filter(([, n]) => n > 0))).toEqual({ "reserved/": 3, "rejected/seat_unavailable": 3 })
    expect(Object.keys(counted)).toEqual(expect.arrayContaining(["rejected/seat_limit", "rejected/unknown_screening", "rejected/user_unregistered"]))

    // The decisions' journey is visible too: the requests by route template, and every message consumed.
    const booked = await query('sum(bookaticket_http_request_duration_seconds_count{job="booking",route="/tickets/book",status="202"})')
    expect(Number(booked[0]?.value[1])).toBe(views.length)
    const consumed = await query('sum(bookaticket_messages_consumed_total{job="booking",type="TicketBookingAttempted",outcome="done"})')
    expect(Number(consumed[0]?.value[1])).toBe(views.length)
    const backlog = await query("max(bookaticket_outbox_backlog)")
    expect(backlog).toHaveLength(1)
    const parked = await query('bookaticket_dlq_depth{job="booking"}')
    expect(parked.map((s) => s.value[1])).toEqual(["0"])
  }, 120_000)
})
