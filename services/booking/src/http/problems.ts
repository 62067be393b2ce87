// Booking's tagged errors as HTTP problems: status, stable code and a sentence for people.
import type { ProblemTable } from "@bat/http"

export const problems: ProblemTable = {
  BookingNotFound: { status: 404, code: "booking_not_found", detail: () => "No such booking." },
  IdempotencyKeyReused: {
    status: 422,
    code: "idempotency_key_reused",
    detail: () => "This Idempotency-Key was used with a different request body."
  }
}
