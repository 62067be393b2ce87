// The lifecycle's state as the database holds it, and each of its events as the guarded UPDATEs that apply it.
// Synchronous: run inside the unit of work of the entry point that loads, decides and applies.
import type { BookingCommand, BookingEvent, BookingRecord, BookingState, ScreeningState } from "../domain/lifecycle.ts"
import type { BookingRepoShape, BookingRow, ScreeningRow } from "./BookingRepo.ts"

export const screeningStateOf = (row: ScreeningRow | undefined): ScreeningState | undefined =>
  row && {
    status: row.status,
    seatsKnown: row.seats_known === 1,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    price: row.price_amount === null || row.currency === null ? null : { amount: row.price_amount, currency: row.currency },
    movieTitle: row.movie_title,
    cinemaName: row.cinema_name,
    hallName: row.hall_name,
    timeZone: row.time_zone
  }

export const bookingRecordOf = (repo: BookingRepoShape, row: BookingRow): BookingRecord => ({
  bookingId: row.booking_id,
  userId: row.user_id,
  screeningId: row.screening_id,
  status: row.status,
  seatNumbers: JSON.parse(row.seat_numbers) as Array<string>,
  // A pending booking has no tickets yet: the attempt's hot path skips the query.
  tickets:
    row.status === "pending"
      ? []
      : repo.ticketStatesOf(row.booking_id).map((t) => ({
          ticketId: t.ticket_id,
          seatNumber: t.seat_number,
          status: t.status,
          code: t.code,
          admittedAt: t.admitted_at
        })),
  amount: row.amount,
  currency: row.currency,
  expiresAt: row.expires_at,
  reason: row.reason
})

/** Extra request facts the database keeps but the events do not carry. */
export interface ApplyContext {
  readonly now: number
  /** A keyed hash of the requesting client's address (held-seat quota per address). */
  readonly clientKey?: string | undefined
}

/**
 * The state `command` is decided on: the booking (or `row`, already read), its screening (the claims' for an
 * admission), and only the facts that command's rules read.
 */
export const loadState = (repo: BookingRepoShape, command: BookingCommand, row: BookingRow | undefined, clientKey?: string): BookingState => {
  const booking = row && bookingRecordOf(repo, row)
  const screeningId = command.kind === "Request" ? command.screeningId : command.kind === "Admit" ? command.claims.screeningId : row?.screening_id
  const screeningRow = screeningId === undefined || command.kind === "Request" ? undefined : repo.findScreening(screeningId)
  const screening = screeningStateOf(screeningRow)
  switch (command.kind) {
    case "Request":
      return {
        booking,
        screening,
        held: {
          account: command.quotas.account === undefined ? { seats: 0, firstExpiry: null } : repo.heldSeatsOfUser(command.userId),
          address: command.quotas.address === undefined || clientKey === undefined ? undefined : repo.heldSeatsOfClient(clientKey)
        }
      }
    case "Attempt": {
      if (row === undefined || row.status !== "pending") return { booking, screening }
      const known = screening?.status === "scheduled" && screening.seatsKnown
      return {
        booking,
        screening,
        userUnregistered: repo.isUnregistered(row.user_id),
        seats: known
          ? {
              unknown: repo.unknownSeats(row.screening_id, row.seat_numbers),
              taken: repo.takenSeats(row.screening_id, row.seat_numbers),
              liveOfUser: repo.liveSeatsOfUser(row.user_id, row.screening_id)
            }
          : { unknown: [], taken: [], liveOfUser: 0 }
      }
    }
    default:
      return { booking, screening }
  }
}

/** Applies one event with its guarded UPDATE; false when the booking had moved on (nothing was written). */
export const applyEvent = (repo: BookingRepoShape, e: BookingEvent, ctx: ApplyContext): boolean => {
  const { now } = ctx
  switch (e.type) {
    case "TicketBookingAttempted": {
      const { bookingId, userId, screeningId, seatNumbers } = e.data
      repo.insertBooking({ bookingId, userId, screeningId, seatNumbers, now, clientKey: ctx.clientKey })
      return true
    }
    case "TicketReserved": {
      const { bookingId, amount, currency, expiresAt } = e.data
      if (!repo.markReserved(bookingId, amount, currency, Date.parse(expiresAt), now)) return false
      repo.insertReservedTickets(bookingId, e.data.screeningId, e.data.tickets, now)
      return true
    }
    case "TicketReservingFailed":
      return repo.markFailed(e.data.bookingId, "pending", e.data.reason, now)
    case "TicketBooked": {
      if (!repo.markBooked(e.data.bookingId, now)) return false
      for (const t of e.data.tickets) if (t.code !== undefined) repo.setTicketCode(t.ticketId, t.code)
      repo.moveLiveTickets(e.data.bookingId, "booked", now)
      return true
    }
    case "TicketBookingFailed": {
      if (!repo.markFailed(e.data.bookingId, "reserved", e.data.reason, now)) return false
      repo.moveLiveTickets(e.data.bookingId, "failed", now)
      return true
    }
    case "TicketCancelled": {
      if (!repo.markCancelled(e.data.bookingId, e.data.reason, now)) return false
      repo.moveLiveTickets(e.data.bookingId, "cancelled", now)
      return true
    }
    case "TicketAdmitted":
      return repo.admit(e.data.ticketId, Date.parse(e.data.admittedAt))
  }
}
