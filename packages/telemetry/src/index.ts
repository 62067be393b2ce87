// W3C trace context for every process: spans exported over OTLP/HTTP (JSON) when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, and nothing at all otherwise. A context travels as its
// `traceparent` string: in the HTTP header, in an outbox row's headers, in the AMQP `traceparent` header.
// The OpenTelemetry modules are loaded only when tracing is turned on: a process without it pays nothing.
import type { Attributes, Context, Link, Span as OtelSpan, Tracer } from "@opentelemetry/api"
import type { BasicTracerProvider } from "@opentelemetry/sdk-trace-base"
import { AsyncLocalStorage } from "node:async_hooks"

type Env = Readonly<Record<string, string | undefined>>

let provider: BasicTracerProvider | undefined
let tracer: Tracer | undefined
let api: typeof import("@opentelemetry/api") | undefined

/**
 * Starts exporting this process's spans as `service.name` = `service`, if OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the exporter and the batch processor read their other
 * OTEL_* settings (headers, OTEL_BSP_SCHEDULE_DELAY, ...) themselves. Returns whether tracing is on.
 * A second call keeps the first set-up (one exporter per process).
 */
export const startTracing = async (service: string, env: Env = process.env): Promise<boolean> => {
  if (tracer !== undefined) return true
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT
  if (!endpoint || env.OTEL_SDK_DISABLED === "true") return false
  const [otel, { BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ])
  if (tracer !== undefined) return true
  api = otel
  // The signal-specific endpoint is used as it is; the general one gets the traces path (OTLP/HTTP spec).
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || `${endpoint.replace(/\/+$/, "")}/v1/traces`
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY)
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url }), Number.isFinite(delay) && delay > 0 ? { scheduledDelayMillis: delay } : {}),
    ],
  })
  tracer = provider.getTracer("bookaticket")
  return true
}

/** Exports what is still buffered and stops; tracing may be started again afterwards. */
export const stopTracing = async (): Promise<void> => {
  const p = provider
  provider = undefined
  tracer = undefined
  api = undefined
  await p?.shutdown().catch(() => {})
}

/** Exports what is buffered now (a service stopping calls it before the process exits). */
export const flushTracing = async (): Promise<void> => {
  await provider?.forceFlush().catch(() => {})
}

export const tracingEnabled = (): boolean => tracer !== undefined

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/

export interface TraceParent {
  readonly traceId: string
  readonly spanId: string
  readonly sampled: boolean
}

/** A `traceparent` header (W3C Trace Context), or undefined when it is absent or invalid. */
export const parseTraceparent = (header: unknown): TraceParent | undefined => {
  if (typeof header !== "string" || header.length > 512) return undefined
  const m = TRACEPARENT.exec(header.trim().toLowerCase())
  if (m === null) return undefined
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string]
  // Version ff is invalid; version 00 has exactly these four fields; later versions may add more after a dash.
  if (version === "ff" || (version === "00" && m[5] === "-")) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 }
}

export const formatTraceparent = (p: TraceParent): string => `00-${p.traceId}-${p.spanId}-${p.sampled ? "01" : "00"}`

export type SpanKindName = "server" | "client" | "producer" | "consumer" | "internal"

// OpenTelemetry's SpanKind values.
const kinds: Record<SpanKindName, number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 }

/** A started span: carry `traceparent` to whatever it causes, and `end` it once. */
export interface Span {
  readonly traceparent: string
  readonly setName: (name: string) => void
  readonly setAttributes: (attributes: Attributes) => void
  /** Marks the span failed, with a short reason (never secrets). */
  readonly fail: (reason: string) => void
  readonly end: () => void
}

export interface SpanOptions {
  /** The `traceparent` it continues; a new trace when absent or invalid. */
  readonly parent?: string | undefined
  readonly kind?: SpanKindName
  readonly attributes?: Attributes
  /** Other traces it relates to (e.g. a later request about the same booking). */
  readonly links?: ReadonlyArray<string>
}

const contextOf = (otel: typeof import("@opentelemetry/api"), traceparent: string | undefined): Context => {
  const p = parseTraceparent(traceparent)
  return p === undefined
    ? otel.ROOT_CONTEXT
    : otel.trace.setSpanContext(otel.ROOT_CONTEXT, { traceId: p.traceId, spanId: p.spanId, traceFlags: p.sampled ? 1 : 0, isRemote: true })
}

const wrap = (span: OtelSpan): Span => {
  const sc = span.spanContext()
  let ended = false
  return {
    traceparent: formatTraceparent({ traceId: sc.traceId, spanId: sc.spanId, sampled: (sc.traceFlags & 1) === 1 }),
    setName: (name) => span.updateName(name),
    setAttributes: (attributes) => span.setAttributes(attributes),
    fail: (reason) => span.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message: reason.slice(0, 500) }),
    end: () => {
      if (ended) return
      ended = true
      span.end()
    },
  }
}

/** Starts a span, or returns undefined when tracing is off (then nothing is recorded). */
export const startSpan = (name: string, options: SpanOptions = {}): Span | undefined => {
  if (tracer === undefined || api === undefined) return undefined
  const links: Array<Link> = []
  for (const l of options.links ?? []) {
    const p = parseTraceparent(l)
    if (p !== undefined) links.push({ context: { traceId: p.traceId, spanId: p.spanId, traceFlags: p.sampled ? 1 : 0, isRemote: true } })
  }
  return wrap(
    tracer.startSpan(
      name,
      { kind: kinds[options.kind ?? "internal"], ...(options.attributes ? { attributes: options.attributes } : {}), links },
      contextOf(api, options.parent),
    ),
  )
}

// The trace context of the work running now (a request, a message handler), as its traceparent.
const current = new AsyncLocalStorage<string>()

/** The traceparent of the span the current work runs in, if any. */
export const currentTraceparent = (): string | undefined => current.getStore()

/** Runs `fn` with `traceparent` as the current trace context (and whatever it awaits). */
export const withTraceparent = <A>(traceparent: string | undefined, fn: () => A): A =>
  traceparent === undefined ? fn() : current.run(traceparent, fn)

/**
 * Runs `fn` in a new span (child of `parent`, or a new trace) made current while it runs, and ends the
 * span when `fn` returns or its promise settles; a throw or rejection marks it failed. With tracing off,
 * `fn` runs as it is, with no span.
 */
export const withSpan = <A>(name: string, parent: string | undefined, fn: (span: Span | undefined) => A, options: Omit<SpanOptions, "parent"> = {}): A => {
  const span = startSpan(name, { ...options, parent })
  if (span === undefined) return fn(undefined)
  const failed = (e: unknown) => {
    span.fail(e instanceof Error ? e.message : String(e))
    span.end()
  }
  let result: A
  try {
    result = current.run(span.traceparent, () => fn(span))
  } catch (e) {
    failed(e)
    throw e
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        span.end()
        return value
      },
      (e: unknown) => {
        failed(e)
        throw e
      },
    ) as A
  }
  span.end()
  return result
}
