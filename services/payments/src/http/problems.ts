// Payments' tagged errors as HTTP problems: status, stable code and a sentence for people.
import type { ProblemTableOf } from "@bat/http"
import type { StoreError } from "@bat/store"
import type { PayError } from "../app/Payments.ts"
import type { PaymentNotFound } from "../domain/errors.ts"

/** The tagged errors the service's use cases answer HTTP requests with: paying's, and reading a payment's. */
export type PaymentsError = Exclude<PayError, StoreError> | PaymentNotFound

export const problems = {
  ReservationNotFoundYet: {
    status: 409,
    code: "reservation_not_found_yet",
    detail: () => "The reservation has not reached payments yet; try again in a moment."
  },
  BookingNotFound: { status: 404, code: "booking_not_found", detail: () => "No such booking." },
  PaymentNotFound: { status: 404, code: "payment_not_found", detail: () => "No such payment." },
  ReservationExpired: { status: 409, code: "reservation_expired", detail: () => "The reservation's hold has expired." },
  PaymentInProgress: {
    status: 409,
    code: "payment_in_progress",
    detail: () => "A payment for this booking is being processed."
  },
  BookingAlreadyPaid: { status: 409, code: "already_paid", detail: () => "This booking is paid already." },
  ReservationClosed: {
    status: 409,
    code: "reservation_closed",
    detail: () => "This reservation can no longer be paid (cancelled, refunded or its payment failed)."
  },
  IdempotencyKeyReused: {
    status: 422,
    code: "idempotency_key_reused",
    detail: () => "This Idempotency-Key was used with a different request body."
  },
  GatewayUnavailable: {
    status: 503,
    code: "payment_gateway_unavailable",
    detail: () => "The card gateway cannot be reached; the payment is settled automatically."
  }
} satisfies ProblemTableOf<PaymentsError>
