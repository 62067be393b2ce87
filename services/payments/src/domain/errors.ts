// The payments service's expected failures, each carrying the ids involved.
import { Schema } from "effect"

/** No reservation for this booking has reached payments yet (TicketReserved may still be in flight). */
export class ReservationNotFoundYet extends Schema.TaggedError<ReservationNotFoundYet>()("ReservationNotFoundYet", {
  bookingId: Schema.String
}) {}

/** The booking belongs to someone else; said as "not found" so ids cannot be probed. */
export class BookingNotFound extends Schema.TaggedError<BookingNotFound>()("BookingNotFound", {
  bookingId: Schema.String
}) {}

export class PaymentNotFound extends Schema.TaggedError<PaymentNotFound>()("PaymentNotFound", {
  paymentId: Schema.String
}) {}

export class ReservationExpired extends Schema.TaggedError<ReservationExpired>()("ReservationExpired", {
  bookingId: Schema.String,
  paymentId: Schema.String
}) {}

export class PaymentInProgress extends Schema.TaggedError<PaymentInProgress>()("PaymentInProgress", {
  bookingId: Schema.String,
  paymentId: Schema.String
}) {}

export class BookingAlreadyPaid extends Schema.TaggedError<BookingAlreadyPaid>()("BookingAlreadyPaid", {
  bookingId: Schema.String,
  paymentId: Schema.String
}) {}

/** The hold was cancelled, refunded or its payment failed: it cannot be paid any more. */
export class ReservationClosed extends Schema.TaggedError<ReservationClosed>()("ReservationClosed", {
  bookingId: Schema.String
}) {}

export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  key: Schema.String
}) {}

/** The card gateway could not be reached; the hold stays claimed and the sweeper settles it. */
export class GatewayUnavailable extends Schema.TaggedError<GatewayUnavailable>()("GatewayUnavailable", {
  reason: Schema.String
}) {}
