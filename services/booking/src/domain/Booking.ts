// The booking rules the lifecycle (lifecycle.ts) applies, and the service's expected failures. No I/O.
import type { Booking } from "@bat/contracts"
import { Schema } from "effect"

type Reason = Booking.BookingFailureReason

export class BookingNotFound extends Schema.TaggedError<BookingNotFound>()("BookingNotFound", {
  bookingId: Schema.String
}) {}

export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  key: Schema.String
}) {}

/**
 * A booking request would take the seats held (pending or reserved, unpaid) by its account across screenings, or
 * by its client address, past the quota (DESIGN §17). Answered 429 with Retry-After: when the first hold ends.
 */
export class HeldSeatsQuota extends Schema.TaggedError<HeldSeatsQuota>()("HeldSeatsQuota", {
  scope: Schema.Literals(["account", "address"]),
  max: Schema.Number,
  retryAfterMs: Schema.Number
}) {}

/** The screening of an attempt has not reached the projection yet: a transient failure, retried with delay. */
export class ScreeningNotYetKnown extends Schema.TaggedError<ScreeningNotYetKnown>()("ScreeningNotYetKnown", {
  screeningId: Schema.String,
  bookingId: Schema.String,
  attempt: Schema.Number
}) {}

/** What the projection knows of a screening when an attempt is decided. */
export interface ScreeningFacts {
  readonly status: "scheduled" | "cancelled"
  /** False until ScreeningScheduled (with the hall's seats) has been applied. */
  readonly seatsKnown: boolean
  readonly startsAt: number | null
  readonly price: { readonly amount: number; readonly currency: string } | null
}

export interface AttemptFacts {
  readonly seatNumbers: ReadonlyArray<string>
  readonly screening: ScreeningFacts | undefined
  readonly userUnregistered: boolean
  /** Seats the user already holds (reserved or booked) for this screening. */
  readonly liveSeatsOfUser: number
  readonly maxSeatsPerUser: number
  /** Requested seats the hall does not have. */
  readonly unknownSeats: ReadonlyArray<string>
  /** Requested seats already held by a live ticket. */
  readonly takenSeats: ReadonlyArray<string>
  /** The last attempt allowed to wait for an unknown screening has come. */
  readonly giveUpOnUnknownScreening: boolean
  readonly now: number
}

export type AttemptVerdict =
  | { readonly _tag: "Reserve"; readonly amount: number; readonly currency: string }
  | { readonly _tag: "Reject"; readonly reason: Reason; readonly unavailableSeats: ReadonlyArray<string> }
  | { readonly _tag: "Wait" }

const reject = (reason: Reason, unavailableSeats: ReadonlyArray<string> = []): AttemptVerdict => ({
  _tag: "Reject",
  reason,
  unavailableSeats
})

/**
 * All or nothing: every requested seat exists and is free, the screening is scheduled and has not
 * started, the user is registered and stays within the per-screening seat limit.
 */
export const attemptVerdict = (f: AttemptFacts): AttemptVerdict => {
  if (f.userUnregistered) return reject("user_unregistered")
  const sc = f.screening
  if (sc?.status === "cancelled") return reject("screening_cancelled")
  if (sc === undefined || !sc.seatsKnown || sc.startsAt === null || sc.price === null) {
    return f.giveUpOnUnknownScreening ? reject("unknown_screening") : { _tag: "Wait" }
  }
  if (f.now >= sc.startsAt) return reject("screening_started")
  if (f.unknownSeats.length > 0) return reject("unknown_seat", f.unknownSeats)
  if (f.liveSeatsOfUser + f.seatNumbers.length > f.maxSeatsPerUser) return reject("seat_limit")
  if (f.takenSeats.length > 0) return reject("seat_unavailable", f.takenSeats)
  return { _tag: "Reserve", amount: sc.price.amount * f.seatNumbers.length, currency: sc.price.currency }
}

/** Booking reason for a failed payment: `payment_` + the payment's reason. */
export const paymentFailureReason = (reason: "declined" | "insufficient_funds" | "expired"): Reason =>
  `payment_${reason}` as const

// ---------------------------------------------------------------------------------------------------
// Tickets at the door and customer cancellation (DESIGN §10)

export class TicketNotFound extends Schema.TaggedError<TicketNotFound>()("TicketNotFound", {
  bookingId: Schema.String,
  ticketId: Schema.String
}) {}

/** The ticket exists but does not admit anyone: its booking is not (or no longer) booked. */
export class TicketNotValid extends Schema.TaggedError<TicketNotValid>()("TicketNotValid", {
  ticketId: Schema.String,
  status: Schema.String
}) {}

/** A scanned code this service did not sign, or whose claims are not a ticket's. */
export class InvalidTicketCode extends Schema.TaggedError<InvalidTicketCode>()("InvalidTicketCode", {
  reason: Schema.Literals(["signature", "shape"])
}) {}

export class WrongScreening extends Schema.TaggedError<WrongScreening>()("WrongScreening", {
  ticketId: Schema.String,
  screeningId: Schema.String,
  expected: Schema.String
}) {}

/** The door opens `CHECKIN_OPENS_MINUTES` before the start: this ticket came earlier (DESIGN §17). */
export class CheckinTooEarly extends Schema.TaggedError<CheckinTooEarly>()("CheckinTooEarly", {
  screeningId: Schema.String,
  opensAt: Schema.String
}) {}

/** The screening has ended: its tickets admit no one any more (DESIGN §17). */
export class CheckinTooLate extends Schema.TaggedError<CheckinTooLate>()("CheckinTooLate", {
  screeningId: Schema.String,
  endedAt: Schema.String
}) {}

/**
 * When a screening's door admits (DESIGN §17): from `opensBeforeMs` before the start until the end. `early` before
 * the door opens, `late` from the end on. Booking projects the end with the start, so a missing end (never seen)
 * keeps the door open rather than refusing a paying customer.
 */
export const checkinWindow = (
  startsAt: number,
  endsAt: number | null,
  opensBeforeMs: number,
  now: number
): { readonly verdict: "early" | "open" | "late"; readonly opensAt: number; readonly endsAt: number | null } => {
  const opensAt = startsAt - opensBeforeMs
  const verdict = now < opensAt ? "early" : endsAt !== null && now >= endsAt ? "late" : "open"
  return { verdict, opensAt, endsAt }
}

/** A ticket was admitted before (at `admittedAt`); it is not admitted again nor cancelled. */
export class AlreadyAdmitted extends Schema.TaggedError<AlreadyAdmitted>()("AlreadyAdmitted", {
  ticketId: Schema.String,
  admittedAt: Schema.String
}) {}

export class BookingPending extends Schema.TaggedError<BookingPending>()("BookingPending", {
  bookingId: Schema.String
}) {}

export class BookingNotCancellable extends Schema.TaggedError<BookingNotCancellable>()("BookingNotCancellable", {
  bookingId: Schema.String,
  status: Schema.String
}) {}

export class CancellationClosed extends Schema.TaggedError<CancellationClosed>()("CancellationClosed", {
  bookingId: Schema.String,
  closedAt: Schema.NullOr(Schema.String)
}) {}

export class ScreeningNotFound extends Schema.TaggedError<ScreeningNotFound>()("ScreeningNotFound", {
  screeningId: Schema.String
}) {}

/** What a customer cancellation is decided on. */
export interface CancellationFacts {
  readonly bookingId: string
  readonly status: "pending" | "reserved" | "booked" | "failed" | "cancelled"
  /** The screening's start as the projection knows it; null when unknown. */
  readonly startsAt: number | null
  /** The first admission of any of the booking's tickets; null when none was admitted. */
  readonly firstAdmission: { readonly ticketId: string; readonly admittedAt: number } | null
  readonly cutoffMs: number
  readonly now: number
}

export type CancellationRefusal = BookingPending | BookingNotCancellable | CancellationClosed | AlreadyAdmitted

/** Until when a booking may be cancelled: a booked one up to the cut-off before its start; null when unknown. */
export const cancellableUntil = (startsAt: number | null, cutoffMs: number): number | null =>
  startsAt === null ? null : startsAt - cutoffMs

/**
 * DESIGN §10: reserved → cancelled at once; booked → cancelled until the cut-off before the start (a started
 * screening is past it; an unknown start cannot be shown to be before it), never once a ticket was admitted;
 * pending → not yet; failed and cancelled → never. Undefined means: cancel.
 */
export const refuseCancellation = (f: CancellationFacts): CancellationRefusal | undefined => {
  switch (f.status) {
    case "reserved":
      return undefined
    case "pending":
      return new BookingPending({ bookingId: f.bookingId })
    case "failed":
    case "cancelled":
      return new BookingNotCancellable({ bookingId: f.bookingId, status: f.status })
    case "booked": {
      if (f.firstAdmission !== null) {
        const { ticketId, admittedAt } = f.firstAdmission
        return new AlreadyAdmitted({ ticketId, admittedAt: new Date(admittedAt).toISOString() })
      }
      const until = cancellableUntil(f.startsAt, f.cutoffMs)
      if (until === null || f.now > until) {
        return new CancellationClosed({ bookingId: f.bookingId, closedAt: until === null ? null : new Date(until).toISOString() })
      }
      return undefined
    }
  }
}
