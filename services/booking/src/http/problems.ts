// Booking's tagged errors as HTTP problems: status, stable code and a sentence for people.
import type { ProblemTableOf } from "@bat/http"
import type {
  BookingNotFound,
  TicketNotFound,
  ScreeningNotFound,
  TicketNotValid,
  WrongScreening,
  CheckinTooEarly,
  CheckinTooLate,
  AlreadyAdmitted,
  BookingPending,
  BookingNotCancellable,
  CancellationClosed,
  InvalidTicketCode,
  HeldSeatsQuota,
  IdempotencyKeyReused
} from "../domain/Booking.ts"

/** The tagged errors the service's use cases answer HTTP requests with. */
export type BookingError =
  | BookingNotFound
  | TicketNotFound
  | ScreeningNotFound
  | TicketNotValid
  | WrongScreening
  | CheckinTooEarly
  | CheckinTooLate
  | AlreadyAdmitted
  | BookingPending
  | BookingNotCancellable
  | CancellationClosed
  | InvalidTicketCode
  | HeldSeatsQuota
  | IdempotencyKeyReused

export const problems = {
  BookingNotFound: { status: 404, code: "booking_not_found", detail: () => "No such booking." },
  TicketNotFound: { status: 404, code: "ticket_not_found", detail: () => "This booking has no such ticket." },
  ScreeningNotFound: { status: 404, code: "screening_not_found", detail: () => "No such screening." },
  TicketNotValid: {
    status: 409,
    code: "ticket_not_valid",
    detail: () => "This ticket is not valid: its booking is not booked (cancelled, failed or not paid yet)."
  },
  WrongScreening: {
    status: 409,
    code: "wrong_screening",
    detail: () => "This ticket is for another screening."
  },
  CheckinTooEarly: {
    status: 409,
    code: "checkin_too_early",
    detail: (e: { opensAt: string }) => `Check-in for this ticket's screening opens at ${e.opensAt}; come back then.`,
    extensions: (e: { opensAt: string }) => ({ opensAt: e.opensAt })
  },
  CheckinTooLate: {
    status: 409,
    code: "checkin_too_late",
    detail: (e: { endedAt: string }) => `This ticket's screening ended at ${e.endedAt}; its tickets admit no one any more.`,
    extensions: (e: { endedAt: string }) => ({ endedAt: e.endedAt })
  },
  AlreadyAdmitted: {
    status: 409,
    code: "already_admitted",
    detail: (e: { admittedAt: string }) => `This ticket was already admitted at ${e.admittedAt}.`,
    extensions: (e: { admittedAt: string }) => ({ admittedAt: e.admittedAt })
  },
  BookingPending: {
    status: 409,
    code: "booking_pending",
    detail: () => "This booking is still being decided; try again in a moment."
  },
  BookingNotCancellable: {
    status: 409,
    code: "booking_not_cancellable",
    detail: (e: { status: string }) => `This booking is ${e.status} and cannot be cancelled.`
  },
  CancellationClosed: {
    status: 409,
    code: "cancellation_closed",
    detail: (e: { closedAt: string | null }) =>
      e.closedAt === null
        ? "This booking can no longer be cancelled."
        : `This booking could be cancelled until ${e.closedAt}; that time has passed.`
  },
  InvalidTicketCode: {
    status: 422,
    code: "invalid_ticket_code",
    detail: () => "This is not a ticket code of ours: its signature or its contents are not valid."
  },
  HeldSeatsQuota: {
    status: 429,
    code: "too_many_held_seats",
    detail: (e: { scope: "account" | "address"; max: number }) =>
      e.scope === "account"
        ? `Your account holds as many unpaid seats as it may (${e.max}, across screenings); pay for or wait out a hold first.`
        : `Unpaid seats held from your address have reached the limit (${e.max}); pay for or wait out a hold first.`,
    headers: (e: { retryAfterMs: number }) => ({ "retry-after": String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))) })
  },
  IdempotencyKeyReused: {
    status: 422,
    code: "idempotency_key_reused",
    detail: () => "This Idempotency-Key was used with a different request body."
  }
} satisfies ProblemTableOf<BookingError>
