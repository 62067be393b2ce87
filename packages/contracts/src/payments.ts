// Events published by the payments service to `payments.events`, and its hold-timer message.
import { Schema } from "effect"
import { BookingId, Currency, IsoDateTime, PaymentId, UserId } from "./primitives.ts"

export const PaymentFailureReason = Schema.Literals(["declined", "insufficient_funds", "expired"])
export type PaymentFailureReason = typeof PaymentFailureReason.Type
const Amount = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const PaymentAttempted = Schema.Struct({
  paymentId: PaymentId,
  bookingId: BookingId,
  userId: UserId,
  amount: Amount,
  currency: Currency
})
export const PaymentSuccessful = Schema.Struct({
  paymentId: PaymentId,
  bookingId: BookingId,
  userId: UserId,
  amount: Amount,
  currency: Currency,
  transactionDate: IsoDateTime
})
export const PaymentFailed = Schema.Struct({
  paymentId: PaymentId,
  bookingId: BookingId,
  userId: UserId,
  reason: PaymentFailureReason
})
export const PaymentRefunded = Schema.Struct({
  paymentId: PaymentId,
  bookingId: BookingId,
  userId: UserId,
  amount: Amount,
  currency: Currency
})
/** The message parked on the hold-timer queue; it comes back through `payments.hold-expired`. */
export const HoldTimerElapsed = Schema.Struct({ bookingId: BookingId, paymentId: PaymentId })
