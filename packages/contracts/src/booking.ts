// Events published by the booking service to `booking.events`.
import { Schema } from "effect"
import { BookingId, Currency, IsoDateTime, ScreeningId, SeatNumber, TicketId, UserId } from "./primitives.ts"

/** Why a booking did not go through (DESIGN §4): a closed list. */
export const BookingFailureReason = Schema.Literals([
  "seat_unavailable",
  "unknown_seat",
  "unknown_screening",
  "screening_started",
  "screening_cancelled",
  "seat_limit",
  "user_unregistered",
  "payment_declined",
  "payment_insufficient_funds",
  "payment_expired"
])
export type BookingFailureReason = typeof BookingFailureReason.Type

export const Ticket = Schema.Struct({ ticketId: TicketId, seatNumber: SeatNumber })
export type Ticket = typeof Ticket.Type
export const SeatNumbers = Schema.Array(SeatNumber)

/**
 * The screening a booking is for, as a person reads it: the names as of the latest ScreeningScheduled
 * or ScreeningUpdated booking has seen, and the start (UTC) with the cinema's IANA time zone to show it
 * in. Carried (key `screening`) on every Ticket* outcome once booking knows all of them; an event
 * without it names only the ids (a screening scheduled before the names were published).
 */
export const ScreeningFacts = Schema.Struct({
  screeningId: ScreeningId,
  startsAt: IsoDateTime,
  movieTitle: Schema.String,
  cinemaName: Schema.String,
  hallName: Schema.String,
  timeZone: Schema.String
}).annotate({
  description:
    "The screening as a person reads it: movie title, cinema and hall names as of the latest ScreeningScheduled or " +
    "ScreeningUpdated booking has seen, the start in UTC and the cinema's IANA time zone to show it in. Absent while " +
    "booking does not know all of them."
})
export type ScreeningFacts = typeof ScreeningFacts.Type
const screening = Schema.optionalKey(ScreeningFacts)

export const TicketBookingAttempted = Schema.Struct({
  bookingId: BookingId,
  userId: UserId,
  screeningId: ScreeningId,
  seatNumbers: SeatNumbers
})
export const TicketReserved = Schema.Struct({
  bookingId: BookingId,
  userId: UserId,
  screeningId: ScreeningId,
  tickets: Schema.Array(Ticket),
  amount: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  currency: Currency,
  expiresAt: IsoDateTime,
  screening
})
export const TicketReservingFailed = Schema.Struct({
  bookingId: BookingId,
  userId: UserId,
  screeningId: ScreeningId,
  seatNumbers: SeatNumbers,
  reason: BookingFailureReason,
  unavailableSeats: SeatNumbers,
  screening
})
export const TicketBooked = Schema.Struct({
  bookingId: BookingId,
  userId: UserId,
  screeningId: ScreeningId,
  tickets: Schema.Array(Ticket),
  screening
})
export const TicketBookingFailed = Schema.Struct({
  bookingId: BookingId,
  userId: UserId,
  screeningId: ScreeningId,
  tickets: Schema.Array(Ticket),
  reason: BookingFailureReason,
  screening
})
export const TicketCancelled = Schema.Struct({
  bookingId: BookingId,
  userId: UserId,
  screeningId: ScreeningId,
  tickets: Schema.Array(Ticket),
  reason: Schema.String,
  screening
})

/**
 * Booking has applied a UserUnregistered: every booking of the user that was still open (pending or
 * reserved) was ended in the same transaction, with a TicketReservingFailed or TicketCancelled
 * (`user_unregistered`) emitted before this event, and is listed here; booked bookings stay valid and
 * are not listed. Emitted once per user, with an empty list when nothing was open. Notifications
 * erases the user's contact data once it has told them about every listed booking.
 */
export const UserBookingsClosed = Schema.Struct({
  userId: UserId,
  bookingIds: Schema.Array(BookingId)
})
