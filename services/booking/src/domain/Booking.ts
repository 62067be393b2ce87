// The booking rules: whether an attempt gets its seats, and the service's expected failures. No I/O.
import type { Booking } from "@bat/contracts"
import { Schema } from "effect"

type Reason = Booking.BookingFailureReason

export class BookingNotFound extends Schema.TaggedError<BookingNotFound>()("BookingNotFound", {
  bookingId: Schema.String
}) {}

export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  key: Schema.String
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

export type Decision =
  | { readonly _tag: "Reserve"; readonly amount: number; readonly currency: string }
  | { readonly _tag: "Reject"; readonly reason: Reason; readonly unavailableSeats: ReadonlyArray<string> }
  | { readonly _tag: "Wait" }

const reject = (reason: Reason, unavailableSeats: ReadonlyArray<string> = []): Decision => ({
  _tag: "Reject",
  reason,
  unavailableSeats
})

/**
 * All or nothing: every requested seat exists and is free, the screening is scheduled and has not
 * started, the user is registered and stays within the per-screening seat limit.
 */
export const decide = (f: AttemptFacts): Decision => {
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
