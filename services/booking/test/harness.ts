// Test harness: the booking service in-process against a throw-away vhost and a temp SQLite dir,
// a local JWKS for tokens, a publisher for other services' events, and a recorder of booking's events.
import { exchangeOf, newId, type Envelope, type EventData, type EventType } from "@bat/contracts"
import { bootService, type RunningService } from "@bat/http"
import {
  createTestVhost,
  serviceAmqpUrl,
  pollUntil,
  startEventPublisher,
  startTokenMint,
  tapExchange,
  tempDir,
  type EventTap,
  type TestVhost
} from "@bat/testing"
import { bookingService } from "../src/service.ts"

export interface Harness {
  readonly url: string
  readonly svc: RunningService
  readonly vhost: TestVhost
  /** The service's data directory (booking.db). */
  readonly dataDir: string
  /** A bearer token for `userId` with `role`. */
  token(userId: string, role?: "customer" | "staff"): Promise<string>
  /** A request to the service with the user's token (when given) and a JSON body. */
  call(method: string, path: string, opts?: { userId?: string; role?: "customer" | "staff"; body?: unknown; headers?: Record<string, string> }): Promise<Response>
  /** Publishes an event as its producer would (persistent, messageId = id, type = type); resolves once confirmed. */
  publish<T extends EventType>(type: T, data: EventData<T>, meta?: { id?: string; correlationId?: string }): Promise<Envelope<EventData<T>>>
  /** Publishes the exact same envelope again (a duplicate delivery). */
  republish(envelope: Envelope): Promise<void>
  /** Every event booking has emitted so far, in arrival order. */
  readonly emitted: EventTap["events"]
  emittedFor(bookingId: string): Array<Envelope<any>>
  /** Waits for the booking to reach one of `statuses` (polled over HTTP as its owner). */
  awaitStatus(bookingId: string, userId: string, statuses: ReadonlyArray<string>, timeoutMs?: number): Promise<any>
  stop(): Promise<void>
}

/** The staff member awaitStatus reads a booking as when its owner's token is refused. */
const STAFF_READER = newId()

export const startHarness = async (env: Record<string, string> = {}): Promise<Harness> => {
  const vhost = await createTestVhost({ prefix: "bat-booking", layout: true })
  const data = tempDir("bat-booking")
  const mint = await startTokenMint()

  const publisher = await startEventPublisher(vhost.amqpUrl)

  let svc: RunningService | undefined
  let tap: EventTap | undefined
  const stopAll = async () => {
    await svc?.stop().catch(() => {})
    await tap?.close()
    await publisher.close()
    await mint.stop()
    await vhost.cleanup().catch(() => {})
    data.remove()
  }
  try {
    svc = await bootService(
      bookingService({
        PORT: "0",
        DATA_DIR: data.dir,
        // As its own broker user, with least privilege (DESIGN §17).
        AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "booking"),
        JWKS_URL: mint.jwksUrl,
        HOLD_TTL_MS: "900000",
        // Every request of these tests comes from 127.0.0.1, one address for hundreds of made-up customers: the
        // held-seat quota per address would end them. limits.test.ts turns it back on where it is the subject.
        MAX_HELD_SEATS_PER_ADDRESS: "0",
        ...env
      })
    )
    // A service answers HTTP before its broker link is up (DESIGN §3.1); the tests start once its topology is declared.
    await svc.messaging.broker.waitForConnect()
    tap = await tapExchange(vhost.amqpUrl, exchangeOf("booking"))
  } catch (e) {
    await stopAll()
    throw e
  }
  const running = svc
  const emitted = tap.events

  const token = (userId: string, role: "customer" | "staff" = "customer") => mint.token(userId, role)

  const harness: Harness = {
    url: running.url,
    svc: running,
    vhost,
    dataDir: data.dir,
    token,
    call: async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers }
      if (opts.userId !== undefined) headers.authorization = `Bearer ${await token(opts.userId, opts.role)}`
      if (opts.body !== undefined) headers["content-type"] = "application/json"
      return fetch(`${running.url}${path}`, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) })
      })
    },
    publish: publisher.publish,
    republish: (envelope) => publisher.publishEnvelope(envelope),
    emitted,
    emittedFor: (bookingId) => emitted.filter((e) => e.data?.bookingId === bookingId),
    awaitStatus: (bookingId, userId, statuses, timeoutMs = 10_000) =>
      pollUntil(
        async () => {
          let res = await harness.call("GET", `/tickets/bookings/${bookingId}`, { userId })
          // An unregistered owner's token is refused (DESIGN §17): staff read the booking then.
          if (res.status === 401) res = await harness.call("GET", `/tickets/bookings/${bookingId}`, { userId: STAFF_READER, role: "staff" })
          const body = (await res.json()) as any
          return statuses.includes(body.status) ? body : undefined
        },
        { timeoutMs, message: `booking ${bookingId} to become ${statuses.join(" or ")}` }
      ),
    stop: stopAll
  }
  return harness
}

export interface ScreeningSetup {
  readonly screeningId: string
  readonly seatNumbers: ReadonlyArray<string>
}

/** A ScreeningScheduled event for a screening starting in `startsInMs` with seats A1..A<seats> (and more rows). */
export const scheduled = (
  opts: {
    screeningId?: string
    startsInMs?: number
    seats?: ReadonlyArray<string>
    amount?: number
    revision?: number
    /** The names the event carries (DESIGN §9); none unless given. */
    names?: Partial<Pick<EventData<"ScreeningScheduled">, "movieTitle" | "cinemaName" | "hallName" | "timeZone">>
  } = {}
): EventData<"ScreeningScheduled"> => {
  const startsAt = Date.now() + (opts.startsInMs ?? 86_400_000)
  return {
    screeningId: opts.screeningId ?? newId(),
    revision: opts.revision ?? 1,
    movieId: newId(),
    cinemaId: newId(),
    hallId: newId(),
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(startsAt + 7_200_000).toISOString(),
    price: { amount: opts.amount ?? 1200, currency: "EUR" },
    seatNumbers: opts.seats ?? ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"],
    ...opts.names
  } as EventData<"ScreeningScheduled">
}

/** Rows of the booking database, for assertions the API cannot make. */
export const rows = <T>(h: Harness, sql: string, ...params: Array<unknown>): Array<T> =>
  h.svc.store.db.prepare(sql).all(...(params as Array<never>)) as Array<T>

/** Publishes ScreeningScheduled and waits until the projection holds its seats. */
export const schedule = async (h: Harness, data: EventData<"ScreeningScheduled">): Promise<EventData<"ScreeningScheduled">> => {
  await h.publish("ScreeningScheduled", data)
  await pollUntil(
    () => rows<{ n: number }>(h, "SELECT seats_known AS n FROM screenings WHERE screening_id = ?", data.screeningId)[0]?.n === 1,
    { message: `screening ${data.screeningId} to be projected` }
  )
  return data
}

/** Books over HTTP as `userId`; returns the booking id of the 202 answer. */
export const book = async (h: Harness, userId: string, screeningId: string, seatNumbers: ReadonlyArray<string>): Promise<string> => {
  const res = await h.call("POST", "/tickets/book", { userId, body: { screeningId, seatNumbers } })
  if (res.status !== 202) throw new Error(`booking answered ${res.status}: ${await res.text()}`)
  const body = (await res.json()) as { bookingId: string; status: string }
  return body.bookingId
}

/** Resolves once the consumer has settled `n` more deliveries than `before` (duplicates included). */
export const handledAtLeast = (h: Harness, n: number) =>
  pollUntil(() => (h.svc.messaging.consumer?.handled ?? 0) >= n, { message: `the consumer to settle ${n} deliveries` })

export const handledNow = (h: Harness): number => h.svc.messaging.consumer?.handled ?? 0

/** The last outbox sequence number: events committed after it are `outboxSince(h, seq)`. */
export const outboxSeq = (h: Harness): number =>
  rows<{ s: number }>(h, "SELECT coalesce(max(seq), 0) AS s FROM outbox")[0]!.s

/** Events committed to the outbox after `seq` (they are published by the relay afterwards). */
export const outboxSince = (h: Harness, seq: number): Array<Envelope<any>> =>
  rows<{ body: string }>(h, "SELECT body FROM outbox WHERE seq > ? ORDER BY seq", seq).map((r) => JSON.parse(r.body))

/** PaymentSuccessful for a reserved booking, as payments publishes it. */
export const paymentSuccessful = (booking: { bookingId: string; userId: string; amount: number; currency: string }, paymentId = newId()) =>
  ({
    paymentId,
    bookingId: booking.bookingId,
    userId: booking.userId,
    amount: booking.amount,
    currency: booking.currency,
    transactionDate: new Date().toISOString()
  }) as EventData<"PaymentSuccessful">

/** Books `seats` as `userId`, waits for the reservation, publishes its successful payment and waits until booked. */
export const bookAndPay = async (
  h: Harness,
  userId: string,
  screeningId: string,
  seats: ReadonlyArray<string>,
  paymentId = newId()
): Promise<{ bookingId: string; paymentId: string; amount: number; currency: string; view: any }> => {
  const bookingId = await book(h, userId, screeningId, seats)
  const reserved = await h.awaitStatus(bookingId, userId, ["reserved", "failed"])
  if (reserved.status !== "reserved") throw new Error(`booking ${bookingId} failed: ${reserved.reason}`)
  await h.publish("PaymentSuccessful", paymentSuccessful({ bookingId, userId, amount: reserved.amount, currency: reserved.currency }, paymentId))
  const view = await h.awaitStatus(bookingId, userId, ["booked"])
  return { bookingId, paymentId, amount: reserved.amount, currency: reserved.currency, view }
}
