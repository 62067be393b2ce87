// W3C trace context end to end: a fleet exporting spans over OTLP/HTTP to a receiver in this test. A
// booking's request span, the outbox rows it writes, the AMQP headers they are published with and every
// consumer downstream form one trace, parent-linked across the broker.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createTestVhost, freePort, pollUntil, type TestVhost } from "@bat/testing"
import type { Server } from "bun"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api, CARD_OK, registerCustomer, setupCatalog, startSystem } from "../e2e/client.ts"

const ADMIN = { email: "admin@ops-tracing.test", password: "admin-ops-password" }

interface ReceivedSpan {
  readonly service: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: number
  readonly attributes: Readonly<Record<string, unknown>>
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>
}

const SERVER = 2
const CONSUMER = 5

const valueOf = (v: any): unknown => v?.stringValue ?? v?.intValue ?? v?.boolValue ?? v?.doubleValue

/** Spans of an OTLP/HTTP JSON export request. */
const spansOf = (body: any): Array<ReceivedSpan> =>
  (body.resourceSpans ?? []).flatMap((rs: any) => {
    const service = String(valueOf(rs.resource?.attributes?.find((a: any) => a.key === "service.name")?.value) ?? "")
    return (rs.scopeSpans ?? []).flatMap((ss: any) =>
      (ss.spans ?? []).map(
        (s: any): ReceivedSpan => ({
          service,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          kind: s.kind,
          attributes: Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, valueOf(a.value)])),
          links: (s.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId })),
        }),
      ),
    )
  })

/**
 * Pays once payments has the hold: booking may answer `reserved` a moment before payments has consumed
 * TicketReserved, and payments says so with 409 `reservation_not_found_yet`.
 */
const payWhenHeld = async (me: Api, bookingId: string, headers?: Record<string, string>) => {
  const deadline = Date.now() + 10_000
  for (;;) {
    const pay = await me.post("/payments", { bookingId, card: CARD_OK }, headers)
    if (pay.status !== 409 || pay.body.code !== "reservation_not_found_yet" || Date.now() > deadline) return pay
    await Bun.sleep(50)
  }
}

const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

let receiver: Server<undefined>
const received: Array<ReceivedSpan> = []
const contentTypes = new Set<string>()
let vh: TestVhost
let dataDir: string
let system: Awaited<ReturnType<typeof startSystem>> | undefined
let api: Api
let screeningId: string

beforeAll(async () => {
  receiver = Bun.serve({
    port: await freePort(),
    hostname: "127.0.0.1",
    async fetch(req) {
      if (req.method !== "POST" || new URL(req.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 })
      contentTypes.add(req.headers.get("content-type") ?? "")
      received.push(...spansOf(await req.json()))
      return Response.json({})
    },
  })
  vh = await createTestVhost({ prefix: "bat-tracing" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-tracing-"))
  system = await startSystem({
    AMQP_URL: vh.amqpUrl,
    DATA_DIR: dataDir,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
    OTEL_BSP_SCHEDULE_DELAY: "200",
  })
  api = new Api(system.gateway)
  const login = await api.post("/users/login", ADMIN)
  expect(login.status).toBe(200)
  ;({ screeningId } = await setupCatalog(api.as(login.body.token), ["A"], 6))
}, 120_000)

afterAll(async () => {
  await system?.stop()
  await vh?.cleanup()
  receiver?.stop(true)
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}, 30_000)

const consumerSpansOf = (bookingId: string) =>
  received.filter((s) => s.kind === CONSUMER && s.attributes["messaging.message.conversation_id"] === bookingId)

const has = (spans: ReadonlyArray<ReceivedSpan>, service: string, name: string, kind: number) =>
  spans.some((s) => s.service === service && s.name === name && s.kind === kind)

/** Every consumer span's parent is a span of the same trace that was exported. */
const expectParentLinked = (trace: ReadonlyArray<ReceivedSpan>) => {
  const ids = new Set(trace.map((s) => s.spanId))
  const orphans = trace.filter((s) => s.kind === CONSUMER && (s.parentSpanId === undefined || !ids.has(s.parentSpanId)))
  expect(orphans.map((s) => `${s.service} ${s.name}`)).toEqual([])
}

const waitForStatus = (me: Api, bookingId: string, status: string) =>
  pollUntil(async () => (await me.get(`/tickets/bookings/${bookingId}`)).body.status === status, {
    timeoutMs: 20_000,
    message: `booking ${bookingId} ${status}`,
  })

describe("trace context across HTTP, the outbox and the broker", () => {
  test("a booking booked and paid by a client that carries its trace is one trace across the front door, booking, payments and notifications", async () => {
    const me = await registerCustomer(api, "traced")
    // A traced client (a browser with tracing, another service): each of its requests is a span of its own trace.
    const traceId = hex(16)
    const book = await me.post("/tickets/book", { screeningId, seatNumbers: ["A1"] }, { traceparent: `00-${traceId}-${hex(8)}-01` })
    expect(book.status).toBe(202)
    const bookingId = book.body.bookingId as string
    await waitForStatus(me, bookingId, "reserved")
    const pay = await payWhenHeld(me, bookingId, { traceparent: `00-${traceId}-${hex(8)}-01` })
    expect(pay.status).toBe(200)
    expect(pay.body.status).toBe("succeeded")
    await waitForStatus(me, bookingId, "booked")

    const trace = await pollUntil(
      () => {
        const t = received.filter((s) => s.traceId === traceId)
        const complete =
          has(t, "gateway", "POST /tickets/*", SERVER) &&
          has(t, "booking", "POST /tickets/book", SERVER) &&
          has(t, "booking", "process TicketBookingAttempted", CONSUMER) &&
          has(t, "payments", "process TicketReserved", CONSUMER) &&
          has(t, "notifications", "process TicketReserved", CONSUMER) &&
          has(t, "gateway", "POST /payments/*", SERVER) &&
          has(t, "payments", "POST /payments", SERVER) &&
          has(t, "booking", "process PaymentSuccessful", CONSUMER) &&
          has(t, "notifications", "process TicketBooked", CONSUMER) &&
          has(t, "screenings", "process TicketBooked", CONSUMER)
        return complete && t
      },
      { timeoutMs: 20_000, intervalMs: 200, message: `the spans of trace ${traceId} (have: ${received.filter((s) => s.traceId === traceId).map((s) => `${s.service} ${s.name}`).join(", ")})` },
    )
    // Every consumer span about this booking, in every service, is in this one trace.
    const aboutBooking = consumerSpansOf(bookingId)
    expect(new Set(aboutBooking.map((s) => s.service))).toEqual(new Set(["booking", "payments", "notifications", "screenings"]))
    expect(aboutBooking.filter((s) => s.traceId !== traceId).map((s) => `${s.service} ${s.name}`)).toEqual([])
    expectParentLinked(trace)
    // The front door's span is the parent of the service's request span.
    const gatewayBook = trace.find((s) => s.service === "gateway" && s.name === "POST /tickets/*")!
    const bookingBook = trace.find((s) => s.service === "booking" && s.name === "POST /tickets/book")!
    expect(bookingBook.parentSpanId).toBe(gatewayBook.spanId)
    // booking decided under the consumer span whose parent is its own request span: through its outbox and the broker.
    const decide = trace.find((s) => s.service === "booking" && s.name === "process TicketBookingAttempted")!
    expect(decide.parentSpanId).toBe(bookingBook.spanId)
    expect(decide.attributes["messaging.destination.name"]).toBe("booking.inbox")
    const hold = trace.find((s) => s.service === "payments" && s.name === "process TicketReserved")!
    expect(hold.parentSpanId).toBe(decide.spanId)
    expect([...contentTypes]).toEqual(["application/json"])
  }, 60_000)

  test("without a client trace, the booking request starts the trace its events carry to payments and notifications", async () => {
    const me = await registerCustomer(api, "untraced")
    const book = await me.post("/tickets/book", { screeningId, seatNumbers: ["A2"] })
    expect(book.status).toBe(202)
    const bookingId = book.body.bookingId as string
    await waitForStatus(me, bookingId, "reserved")
    const trace = await pollUntil(
      () => {
        const decide = consumerSpansOf(bookingId).find((s) => s.name === "process TicketBookingAttempted")
        if (decide === undefined) return false
        const t = received.filter((s) => s.traceId === decide.traceId)
        const complete =
          has(t, "gateway", "POST /tickets/*", SERVER) &&
          has(t, "booking", "POST /tickets/book", SERVER) &&
          has(t, "payments", "process TicketReserved", CONSUMER) &&
          has(t, "notifications", "process TicketReserved", CONSUMER) &&
          has(t, "screenings", "process TicketReserved", CONSUMER)
        return complete && t
      },
      { timeoutMs: 20_000, intervalMs: 200, message: `the trace of booking ${bookingId}` },
    )
    // The trace starts at the front door: its root has no parent.
    const roots = trace.filter((s) => s.parentSpanId === undefined)
    expect(roots.map((s) => `${s.service} ${s.name}`)).toEqual(["gateway POST /tickets/*"])
    expect(consumerSpansOf(bookingId).every((s) => s.traceId === trace[0]!.traceId)).toBe(true)
    expectParentLinked(trace)
  }, 60_000)

  test("without a client trace, paying continues the booking's trace, linked to the payment request's own", async () => {
    const me = await registerCustomer(api, "untraced-payer")
    const book = await me.post("/tickets/book", { screeningId, seatNumbers: ["A3"] })
    expect(book.status).toBe(202)
    const bookingId = book.body.bookingId as string
    await waitForStatus(me, bookingId, "reserved")
    const pay = await payWhenHeld(me, bookingId)
    expect(pay.status).toBe(200)
    await waitForStatus(me, bookingId, "booked")
    const trace = await pollUntil(
      () => {
        const decide = consumerSpansOf(bookingId).find((s) => s.name === "process TicketBookingAttempted")
        if (decide === undefined) return false
        const t = received.filter((s) => s.traceId === decide.traceId)
        const complete =
          has(t, "booking", "POST /tickets/book", SERVER) &&
          has(t, "payments", "process TicketReserved", CONSUMER) &&
          has(t, "payments", "pay booking", 1) &&
          has(t, "booking", "process PaymentSuccessful", CONSUMER) &&
          has(t, "notifications", "process TicketBooked", CONSUMER)
        return complete && t
      },
      { timeoutMs: 20_000, intervalMs: 200, message: `the trace of booking ${bookingId}, paid` },
    )
    // One trace for everything the booking caused, in every service.
    const aboutBooking = consumerSpansOf(bookingId)
    expect(new Set(aboutBooking.map((s) => s.service))).toEqual(new Set(["booking", "payments", "notifications", "screenings"]))
    expect(aboutBooking.filter((s) => s.traceId !== trace[0]!.traceId).map((s) => `${s.service} ${s.name}`)).toEqual([])
    expectParentLinked(trace)
    // The payment continues from the hold payments recorded, and links the request that paid.
    const hold = trace.find((s) => s.service === "payments" && s.name === "process TicketReserved")!
    const paying = trace.find((s) => s.service === "payments" && s.name === "pay booking")!
    expect(paying.parentSpanId).toBe(hold.spanId)
    const request = received.find((s) => s.service === "payments" && s.name === "POST /payments" && s.spanId === paying.links[0]?.spanId)
    expect(request?.kind).toBe(SERVER)
    expect(request?.traceId).not.toBe(paying.traceId)
    const settled = trace.find((s) => s.service === "booking" && s.name === "process PaymentSuccessful")!
    expect(settled.parentSpanId).toBe(paying.spanId)
  }, 60_000)
})
