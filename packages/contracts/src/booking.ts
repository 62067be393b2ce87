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

/** Why a booking was cancelled (DESIGN §6 cascades, §10 customer cancellation). */
export const CancellationReason = Schema.Literals(["screening_cancelled", "user_unregistered", "customer_cancelled"])
export type CancellationReason = typeof CancellationReason.Type

/** A compact JWS (header.payload.signature, base64url): a ticket's code a door verifies offline (DESIGN §10). */
export const TICKET_CODE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/u
export const TicketCode = Schema.String.check(
  Schema.isMaxLength(2048),
  Schema.isPattern(TICKET_CODE, { message: "Expected a ticket code (a compact JWS)" })
)
/**
 * What a ticket code signs (EdDSA, `kid` of booking's key, published at `GET /tickets/.well-known/jwks.json`):
 * enough for a door to know which seat of which screening it admits, without the booking database.
 */
export const TicketClaims = Schema.Struct({
  ticketId: TicketId,
  bookingId: BookingId,
  screeningId: ScreeningId,
  seatNumber: SeatNumber,
  startsAt: IsoDateTime
})
export type TicketClaims = typeof TicketClaims.Type

/** A booked ticket: its seat and, once booked, its code (absent only on events of an earlier version). */
export const BookedTicket = Schema.Struct({ ticketId: TicketId, seatNumber: SeatNumber, code: Schema.optionalKey(TicketCode) })
export type BookedTicket = typeof BookedTicket.Type
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
  tickets: Schema.Array(BookedTicket),
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
  /** One of CancellationReason; kept an open string so an event of a later version still decodes. */
  reason: Schema.String,
  screening
})

/** A ticket was admitted at the door (DESIGN §10): at most once, and only while its booking is booked. */
export const TicketAdmitted = Schema.Struct({
  bookingId: BookingId,
  ticketId: TicketId,
  screeningId: ScreeningId,
  seatNumber: SeatNumber,
  admittedAt: IsoDateTime
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
