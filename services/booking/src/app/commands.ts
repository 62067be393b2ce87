// The booking commands as their entry points call them: a book request and a scan at the door (with their
// idempotency keys), a customer's cancellation, and the cascades one event causes over many bookings. Each
// runs inside the unit of work its entry point opened and changes bookings only through `handle`.
import { IDEMPOTENCY_KEY_TTL_MS, type Booking, type BookingApi, type EventData } from "@bat/contracts"
import { eventMessage, type HandlerContext } from "@bat/messaging"
import { Store } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import { IdempotencyKeyReused } from "../domain/Booking.ts"
import type { Viewer } from "../domain/lifecycle.ts"
import { BookingRepo } from "../store/BookingRepo.ts"
import { Ids } from "./BookingSettings.ts"
import { Lifecycle } from "./handle.ts"
import { Projections } from "./projections.ts"
import { Views } from "./views.ts"

const BOOK_ROUTE = "POST /tickets/book"
const CHECKIN_ROUTE = "POST /tickets/checkin"

export interface BookInput {
  readonly userId: string
  readonly request: BookingApi.BookRequest
  readonly idempotencyKey?: string | undefined
  /** A keyed hash of the client's address, for the held-seat quota per address. */
  readonly clientKey?: string | undefined
  /** Not held to the held-seat quotas (staff at the box office). */
  readonly quotaExempt?: boolean | undefined
}

/** The HTTP answer to a booking request; a repeated idempotency key gets the first one again. */
export interface BookOutcome {
  readonly status: number
  readonly body: BookingApi.BookAccepted
}

export interface CheckinInput {
  /** The staff member scanning: idempotency keys are theirs. */
  readonly scannerId: string
  readonly request: BookingApi.CheckinRequest
  readonly idempotencyKey?: string | undefined
}

const sha256 = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex")
export const requestHash = (r: BookingApi.BookRequest): string => sha256({ screeningId: r.screeningId, seatNumbers: r.seatNumbers })
export const checkinHash = (r: BookingApi.CheckinRequest): string => sha256({ code: r.code, screeningId: r.screeningId ?? null })

const make = Effect.gen(function* () {
  const store = yield* Store
  const repo = yield* BookingRepo
  const ids = yield* Ids
  const { handle } = yield* Lifecycle
  const views = yield* Views
  const projections = yield* Projections

  /** The answer a user's key already got for `route`, if any; a different body under the same key is refused. */
  const replay = <A>(userId: string, route: string, key: string | undefined, hash: string, now: number) => {
    if (key === undefined) return Effect.succeed(undefined)
    const prior = repo.findIdempotencyKey(userId, route, key)
    if (prior === undefined || prior.created_at <= now - IDEMPOTENCY_KEY_TTL_MS) return Effect.succeed(undefined)
    if (prior.request_hash !== hash) return Effect.fail(new IdempotencyKeyReused({ key }))
    return Effect.succeed({ status: prior.status_code, body: JSON.parse(prior.response) as A })
  }

  /** A book request: the booking `pending` with TicketBookingAttempted and the idempotency key; the consumer decides later. */
  const request = Effect.fn("Commands.request")(function* (input: BookInput) {
    const now = yield* Clock.currentTimeMillis
    const key = input.idempotencyKey
    const hash = key === undefined ? "" : requestHash(input.request)
    const prior = yield* replay<BookingApi.BookAccepted>(input.userId, BOOK_ROUTE, key, hash, now)
    if (prior !== undefined) return prior satisfies BookOutcome
    const { screeningId, seatNumbers } = input.request
    const bookingId = ids.next()
    yield* handle(
      bookingId,
      { kind: "Request", userId: input.userId, screeningId, seatNumbers, quotaExempt: input.quotaExempt === true },
      { clientKey: input.clientKey }
    )
    const outcome: BookOutcome = { status: 202, body: { bookingId, status: "pending" } }
    if (key !== undefined) repo.saveIdempotencyKey(input.userId, BOOK_ROUTE, key, hash, outcome.status, JSON.stringify(outcome.body), now)
    return outcome
  })

  /** The admission a scanner's key already answered with, if any (checked before and again inside the unit). */
  const checkinReplay = Effect.fn("Commands.checkinReplay")(function* (input: CheckinInput) {
    const key = input.idempotencyKey
    const hash = key === undefined ? "" : checkinHash(input.request)
    const prior = yield* replay<BookingApi.Admission>(input.scannerId, CHECKIN_ROUTE, key, hash, yield* Clock.currentTimeMillis)
    return prior?.body
  })

  /**
   * Admits the ticket a verified code names (DESIGN §10): the lifecycle checks the door, the window and the
   * ticket row, and one guarded UPDATE admits it with TicketAdmitted. A repeat with its key gets its first admission.
   */
  const admit = Effect.fn("Commands.admit")(function* (input: CheckinInput, claims: Booking.TicketClaims) {
      // A concurrent repeat of the same key committed while this one verified the code.
      const again = yield* checkinReplay(input)
      if (again !== undefined) return again
      // The ticket row's booking is the one decided on: a code naming another booking is refused by the rules.
      const bookingId = repo.findTicket(claims.ticketId)?.booking_id ?? claims.bookingId
      yield* handle(bookingId, { kind: "Admit", claims, door: input.request.screeningId })
      const now = yield* Clock.currentTimeMillis
      const admission = views.admissionOf(claims.ticketId)
      const key = input.idempotencyKey
      if (key !== undefined) {
        repo.saveIdempotencyKey(input.scannerId, CHECKIN_ROUTE, key, checkinHash(input.request), 200, JSON.stringify(admission), now)
      }
      return admission
  })

  /** A customer (or staff) cancels a booking (DESIGN §10); payments closes the hold or refunds on TicketCancelled. */
  const cancelByCustomer = Effect.fn("Commands.cancelByCustomer")(function* (bookingId: string, viewer: Viewer) {
    yield* handle(bookingId, { kind: "Cancel", viewer })
    return views.bookingView(repo.findBooking(bookingId)!)
  })

  /** PaymentSuccessful: recorded for the reports, and a reserved booking becomes booked with its tickets' codes. */
  const confirmPayment = Effect.fn("Commands.confirmPayment")(function* (data: EventData<"PaymentSuccessful">, ctx: HandlerContext) {
    yield* projections.recordPayment(data)
    return yield* handle(data.bookingId, { kind: "PaymentSucceeded" }, { causationId: ctx.envelope.id })
  })

  /** ScreeningCancelled: a tombstone, and every reserved or booked booking of it cancelled. */
  const cancelScreening = Effect.fn("Commands.cancelScreening")(function* (data: EventData<"ScreeningCancelled">, ctx: HandlerContext) {
    yield* projections.tombstone(data.screeningId)
    for (const row of repo.liveBookingsOfScreening(data.screeningId)) {
      yield* handle(row.booking_id, { kind: "CancelScreening" }, { row, causationId: ctx.envelope.id })
    }
  })

  /**
   * UserUnregistered: remembered, and every open booking of the user ended at once (the lifecycle says how).
   * Then UserBookingsClosed lists the ended bookings, so notifications knows which notices it owes the user
   * before it erases their address. Only the first UserUnregistered of a user does this: a repeat finds nothing
   * open and emits nothing, so the list is never replaced by an empty one.
   */
  const unregisterUser = Effect.fn("Commands.unregisterUser")(function* (data: EventData<"UserUnregistered">, ctx: HandlerContext) {
    if (!repo.recordUnregistered(data.userId, yield* Clock.currentTimeMillis)) return
    const causationId = ctx.envelope.id
    const closed: Array<string> = []
    for (const row of repo.openBookingsOfUser(data.userId)) {
      const events = yield* handle(row.booking_id, { kind: "UnregisterUser" }, { row, causationId })
      if (events.length > 0) closed.push(row.booking_id)
    }
    store.appendOutbox([
      eventMessage("booking", "UserBookingsClosed", { userId: data.userId, bookingIds: closed }, { correlationId: ctx.envelope.correlationId, causationId })
    ])
  })

  return { request, checkinReplay, admit, cancelByCustomer, confirmPayment, cancelScreening, unregisterUser }
})

export class Commands extends Context.Service<Commands, Effect.Success<typeof make>>()("booking/app/Commands") {
  static readonly layer = Layer.effect(Commands, make)
}
