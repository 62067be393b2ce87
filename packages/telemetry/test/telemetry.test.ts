import { afterEach, describe, expect, test } from "bun:test"
import {
  currentTraceparent,
  flushTracing,
  formatTraceparent,
  parseTraceparent,
  startSpan,
  startTracing,
  stopTracing,
  tracingEnabled,
  withSpan,
  withTraceparent,
} from "../src/index.ts"

const TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

describe("traceparent", () => {
  test("a valid header is read, and written back the same", () => {
    const p = parseTraceparent(TP)
    expect(p).toEqual({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: true })
    expect(formatTraceparent(p!)).toBe(TP)
  })

  test("invalid headers are ignored: wrong lengths, all-zero ids, version ff, extra fields on version 00", () => {
    for (const bad of [
      undefined,
      "",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      `${TP}-extra`,
      "x".repeat(600),
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined()
    }
    // A later version may carry more fields.
    expect(parseTraceparent(`01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-more`)?.sampled).toBe(false)
  })
})

describe("with tracing off", () => {
  test("no span is started and the work runs as it is", () => {
    expect(tracingEnabled()).toBe(false)
    expect(startSpan("x")).toBeUndefined()
    expect(withSpan("x", TP, (span) => span)).toBeUndefined()
    expect(currentTraceparent()).toBeUndefined()
  })

  test("a context handed on is still current for the work, through awaits", async () => {
    const seen = await withTraceparent(TP, async () => {
      await Bun.sleep(1)
      return currentTraceparent()
    })
    expect(seen).toBe(TP)
    expect(currentTraceparent()).toBeUndefined()
  })
})

describe("with tracing on", () => {
  afterEach(() => stopTracing())

  test("spans continue their parent's trace, are current while their work runs, and reach the OTLP endpoint", async () => {
    const bodies: Array<any> = []
    const receiver = Bun.serve({
      port: 0,
      async fetch(req) {
        bodies.push(await req.json())
        return Response.json({})
      },
    })
    try {
      expect(await startTracing("unit", { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}/` })).toBe(true)
      const outer = await withSpan("outer", TP, async (span) => {
        await Bun.sleep(1)
        expect(currentTraceparent()).toBe(span!.traceparent)
        withSpan("inner", currentTraceparent(), () => undefined, { kind: "consumer" })
        return span!.traceparent
      })
      expect(parseTraceparent(outer)!.traceId).toBe("0af7651916cd43dd8448eb211c80319c")
      expect(() => withSpan("failing", undefined, () => {
        throw new Error("no")
      })).toThrow("no")
      await flushTracing()
      const spans = bodies.flatMap((b) => b.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)))
      const byName = Object.fromEntries(spans.map((s: any) => [s.name, s]))
      expect(byName.outer.parentSpanId).toBe("b7ad6b7169203331")
      expect(byName.inner.parentSpanId).toBe(byName.outer.spanId)
      expect(byName.inner.traceId).toBe(byName.outer.traceId)
      expect(byName.failing.status.code).toBe(2)
      expect(bodies[0].resourceSpans[0].resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "unit" } })
    } finally {
      receiver.stop(true)
    }
  })
})
