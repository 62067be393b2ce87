// Test harness: the payments service booted in-process against a throw-away vhost and temp SQLite files,
// a local JWKS, a publisher for booking's events and a recorder of everything payments publishes.
import { newId, type EventData, type Envelope, type EventType } from "@bat/contracts"
import { bootService, type RunningService, type ServiceConfig } from "@bat/http"
import {
  createTestVhost,
  serviceAmqpUrl,
  managementRequest,
  pollUntil,
  startEventPublisher,
  startTokenMint,
  tapExchange,
  tempDir,
  type EventTap,
  type TestVhost
} from "@bat/testing"
import { Clock, Effect, Layer } from "effect"
import { CardGateway, type CardGatewayShape } from "../src/app/CardGateway.ts"
import { makeSimulatedCardGateway } from "../src/gateway/SimulatedCardGateway.ts"
import { gatewayLedgerFile, paymentsService } from "../src/service.ts"
import { openGatewayLedger, type GatewayLedger } from "../src/store/gatewayLedger.ts"

export const SUCCESS_CARD = { number: "4242424242424242", expMonth: 12, expYear: 2099, cvc: "123" }
export const DECLINED_CARD = { ...SUCCESS_CARD, number: "4000000000000002" }
export const INSUFFICIENT_CARD = { ...SUCCESS_CARD, number: "4000000000009995" }

/** Wraps the simulated gateway; `tweak` changes its behaviour (a delay, a crash). */
export const simulatedGatewayWith =
  (tweak: (real: CardGatewayShape) => CardGatewayShape = (g) => g) =>
  (config: ServiceConfig) =>
    Layer.effect(
      CardGateway,
      Effect.acquireRelease(
        Effect.sync(() => openGatewayLedger(gatewayLedgerFile(config.dataDir))),
        (ledger) => Effect.sync(() => ledger.close())
      ).pipe(Effect.map((ledger) => tweak(makeSimulatedCardGateway(ledger))))
    )

/** A gateway whose charges take `ms`: long enough for concurrent requests to meet. */
export const slowCharges = (ms: number) => (real: CardGatewayShape): CardGatewayShape => ({
  ...real,
  charge: (req) => Effect.flatMap(Effect.sleep(ms), () => real.charge(req))
})

/**
 * Payments' clock in a test: the wall clock shifted by an offset (payments running ahead of booking), or
 * stopped at an instant to decide a boundary to the millisecond. Sleeps and monotonic time stay real.
 */
export const makeTestClock = (offsetMs = 0) => {
  const wall = Effect.runSync(Effect.clockWith((c) => Effect.succeed(c)))
  let offset = offsetMs
  let stoppedAt: number | undefined
  const millis = () => stoppedAt ?? wall.currentTimeMillisUnsafe() + offset
  const nanos = () => BigInt(millis()) * 1_000_000n
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: () => wall.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: Effect.sync(() => wall.monotonicTimeNanosUnsafe()),
    sleep: (d) => wall.sleep(d)
  }
  return {
    clock,
    /** What payments reads as now. */
    now: millis,
    /** Runs on from `at`, at the wall clock's pace. */
    runFrom: (at: number) => {
      stoppedAt = undefined
      offset = at - wall.currentTimeMillisUnsafe()
    },
    /** Stands still at `at` until told otherwise. */
    stopAt: (at: number) => {
      stoppedAt = at
    }
  }
}

export interface Harness {
  readonly url: string
  readonly dataDir: string
  readonly vhost: TestVhost
  service: RunningService
  /** Every envelope published to `payments.events`, in arrival order. */
  readonly events: EventTap["events"]
  readonly ledger: () => GatewayLedger
  token: (userId: string, role?: "customer" | "staff") => Promise<string>
  publish: <T extends EventType>(type: T, data: EventData<T>, opts?: { id?: string; correlationId?: string }) => Promise<string>
  publishRaw: (exchange: string, routingKey: string, envelope: Envelope<unknown>) => Promise<void>
  /** Publishes TicketReserved as booking would; `expiresAt` (epoch ms) wins over `expiresInMs` from the wall clock. */
  reserve: (opts?: {
    userId?: string
    amount?: number
    expiresInMs?: number
    expiresAt?: number
    id?: string
    bookingId?: string
  }) => Promise<{
    bookingId: string
    userId: string
    envelopeId: string
  }>
  /** Polls until payments holds a row for the booking. */
  paymentOf: (bookingId: string) => Promise<PaymentRow>
  pay: (token: string, body: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; text: string }>
  get: (path: string, token?: string) => Promise<{ status: number; body: any }>
  eventsFor: (bookingId: string, type?: string) => Array<Envelope<any>>
  waitForEvent: (bookingId: string, type: string, timeoutMs?: number) => Promise<Envelope<any>>
  outboxCount: (bookingId: string, type: string) => number
  restart: (opts?: HarnessOptions) => Promise<void>
  stop: () => Promise<void>
}

export interface PaymentRow {
  paymentId: string
  status: string
  amount: number
  currency: string
  deadline: number
  refundRequested: number
  cardLast4: string | null
}

export interface HarnessOptions {
  readonly env?: Record<string, string>
  readonly gateway?: (config: ServiceConfig) => Layer.Layer<CardGateway>
  /** Payments' clock (the wall clock by default). */
  readonly clock?: Clock.Clock
}

export const startHarness = async (opts: HarnessOptions = {}): Promise<Harness> => {
  const vhost = await createTestVhost({ prefix: "bat-test-payments", layout: true })
  const data = tempDir("payments-test")
  const dataDir = data.dir
  const mint = await startTokenMint()
  // A service answers HTTP before its broker link is up (DESIGN §3.1); the tests start once its topology is declared.
  const boot = (o: HarnessOptions) =>
    bootService(
      paymentsService({
        env: {
          PORT: "0",
          DATA_DIR: dataDir,
          // As its own broker user, with least privilege (DESIGN §17).
          AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "payments"),
          JWKS_URL: mint.jwksUrl,
          HOLD_TTL_MS: "600000",
          SWEEP_INTERVAL_MS: "100",
          ...o.env
        },
        ...(o.gateway ? { gateway: o.gateway } : {}),
        ...(o.clock ? { clock: o.clock } : {})
      })
    ).then(async (s) => {
      await s.messaging.broker.waitForConnect()
      return s
    })
  let service = await boot(opts)
  const publisher = await startEventPublisher(vhost.amqpUrl)
  const tap = await tapExchange(vhost.amqpUrl, "payments.events")
  const events = tap.events
  let ledger: GatewayLedger | undefined

  // An hour, so tokens outlive the tests that run payments' clock ahead of the wall clock.
  const token = (userId: string, role: "customer" | "staff" = "customer") => mint.token(userId, role, { expiresInSeconds: 3600 })

  const publishRaw: Harness["publishRaw"] = (exchange, routingKey, env) => publisher.publishEnvelope(env, { exchange, routingKey })

  const publish: Harness["publish"] = async (type, data, o = {}) => {
    const env = await publisher.publish(type, data, {
      correlationId: o.correlationId ?? (data as { bookingId?: string }).bookingId ?? newId(),
      ...(o.id ? { id: o.id } : {})
    })
    return env.id
  }

  const h: Harness = {
    get url() {
      return service.url
    },
    dataDir,
    vhost,
    get service() {
      return service
    },
    set service(s) {
      service = s
    },
    events,
    ledger: () => (ledger ??= openGatewayLedger(gatewayLedgerFile(dataDir))),
    token,
    publish,
    publishRaw,
    reserve: async (o = {}) => {
      const bookingId = o.bookingId ?? newId()
      const userId = o.userId ?? newId()
      const envelopeId = await publish(
        "TicketReserved",
        {
          bookingId,
          userId,
          screeningId: newId(),
          tickets: [{ ticketId: newId(), seatNumber: "A1" }],
          amount: o.amount ?? 2400,
          currency: "EUR",
          expiresAt: new Date(o.expiresAt ?? Date.now() + (o.expiresInMs ?? 600_000)).toISOString()
        } as unknown as EventData<"TicketReserved">,
        o.id ? { id: o.id } : {}
      )
      return { bookingId, userId, envelopeId }
    },
    paymentOf: (bookingId) =>
      pollUntil(
        () =>
          service.store.db
            .prepare(
              `SELECT payment_id AS paymentId, status, amount, currency, deadline, refund_requested AS refundRequested,
                card_last4 AS cardLast4 FROM payments WHERE booking_id = ?`
            )
            .get(bookingId) as PaymentRow | undefined,
        { timeoutMs: 10_000, message: `a payment row for booking ${bookingId}` }
      ),
    pay: async (t, body, headers = {}) => {
      const res = await fetch(`${service.url}/payments`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t}`, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body)
      })
      const text = await res.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = text
      }
      return { status: res.status, body: parsed, text }
    },
    get: async (path, t) => {
      const res = await fetch(`${service.url}${path}`, { headers: t ? { authorization: `Bearer ${t}` } : {} })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep the text
      }
      return { status: res.status, body: parsed }
    },
    eventsFor: (bookingId, type) =>
      events.filter((e) => e.data?.bookingId === bookingId && (type === undefined || e.type === type)),
    waitForEvent: (bookingId, type, timeoutMs = 10_000) =>
      pollUntil(() => events.find((e) => e.type === type && e.data?.bookingId === bookingId), {
        timeoutMs,
        message: `${type} for booking ${bookingId}`
      }),
    outboxCount: (bookingId, type) =>
      (
        service.store.db
          .prepare("SELECT count(*) AS n FROM outbox WHERE type = ? AND json_extract(body, '$.data.bookingId') = ?")
          .get(type, bookingId) as { n: number }
      ).n,
    restart: async (o = opts) => {
      await service.stop()
      service = await boot(o)
    },
    stop: async () => {
      await service.stop().catch(() => undefined)
      ledger?.close()
      await tap.close()
      await publisher.close()
      await mint.stop()
      await vhost.cleanup()
      data.remove()
    }
  }
  return h
}

/** Empties a queue of the harness's vhost through the management API (a timer message "lost"). */
export const purgeQueue = async (h: Harness, queue: string) => {
  const res = await managementRequest(
    `/api/queues/${encodeURIComponent(h.vhost.vhost)}/${encodeURIComponent(queue)}/contents`,
    { method: "DELETE" }
  )
  if (!res.ok && res.status !== 204) throw new Error(`purging ${queue}: HTTP ${res.status}`)
}

export const queueDepth = async (h: Harness, queue: string): Promise<number> => {
  const res = await managementRequest(`/api/queues/${encodeURIComponent(h.vhost.vhost)}/${encodeURIComponent(queue)}`)
  if (!res.ok) throw new Error(`reading ${queue}: HTTP ${res.status}`)
  const q = (await res.json()) as { messages?: number }
  return q.messages ?? 0
}
