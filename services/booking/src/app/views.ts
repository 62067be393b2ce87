// What the API shows of bookings and tickets: read-only views over booking's own tables.
import { toIso, type BookingApi } from "@bat/contracts"
import { Context, Effect, Layer } from "effect"
import { BookingNotFound, TicketNotFound, TicketNotValid, cancellableUntil } from "../domain/Booking.ts"
import type { Viewer } from "../domain/lifecycle.ts"
import { BookingRepo, type BookingRow, type ScreeningRow, type TicketStateRow } from "../store/BookingRepo.ts"
import { BookingSettings } from "./BookingSettings.ts"

const visibleTo = (b: BookingRow, viewer: Viewer): boolean => b.user_id === viewer.userId || viewer.role === "staff"

/** The screening as the booking view shows it: every part the projection knows, null for the rest. */
export const screeningViewOf = (screeningId: string, sc: ScreeningRow | undefined): BookingApi.BookingScreening => ({
  screeningId,
  startsAt: sc?.starts_at == null ? null : toIso(sc.starts_at),
  movieTitle: sc?.movie_title ?? null,
  cinemaName: sc?.cinema_name ?? null,
  hallName: sc?.hall_name ?? null,
  timeZone: sc?.time_zone ?? null
})

/**
 * A ticket as the booking view shows it: its code while it is booked (a cancelled ticket's code admits no
 * one, so it is not shown), and when it was admitted, if it was.
 */
const ticketViewOf = (t: TicketStateRow): BookingApi.TicketView => ({
  ticketId: t.ticket_id,
  seatNumber: t.seat_number,
  ...(t.status === "booked" && t.code !== null ? { code: t.code } : {}),
  ...(t.admitted_at !== null ? { admittedAt: toIso(t.admitted_at) } : {})
})

/**
 * Until when the customer may cancel: a reserved booking until its hold ends, a booked one until the
 * cut-off before the start (unless a ticket was admitted, or the start is unknown); otherwise never.
 */
const cancellableUntilOf = (
  row: BookingRow,
  tickets: ReadonlyArray<TicketStateRow>,
  screening: ScreeningRow | undefined,
  cutoffMs: number
): { cancellableUntil?: string } => {
  if (row.status === "reserved" && row.expires_at !== null) return { cancellableUntil: toIso(row.expires_at) }
  if (row.status !== "booked" || tickets.some((t) => t.admitted_at !== null)) return {}
  const until = cancellableUntil(screening?.starts_at ?? null, cutoffMs)
  return until === null ? {} : { cancellableUntil: toIso(until) }
}

const viewOf = (
  row: BookingRow,
  tickets: ReadonlyArray<TicketStateRow>,
  screening: ScreeningRow | undefined,
  cutoffMs: number
): BookingApi.BookingView => ({
  bookingId: row.booking_id,
  userId: row.user_id,
  screeningId: row.screening_id,
  screening: screeningViewOf(row.screening_id, screening),
  status: row.status,
  seatNumbers: JSON.parse(row.seat_numbers) as Array<string>,
  tickets: tickets.map(ticketViewOf),
  amount: row.amount,
  currency: row.currency,
  ...(row.status === "reserved" && row.expires_at !== null ? { expiresAt: toIso(row.expires_at) } : {}),
  ...(row.reason !== null ? { reason: row.reason as BookingApi.BookingReason } : {}),
  ...cancellableUntilOf(row, tickets, screening, cutoffMs),
  createdAt: toIso(row.created_at)
})

const make = Effect.gen(function* () {
  const repo = yield* BookingRepo
  const settings = yield* BookingSettings
  const cutoffMs = settings.cancelCutoffMinutes * 60_000

  /** The booking as the API shows it, read now. */
  const bookingView = (b: BookingRow, screening: ScreeningRow | undefined = repo.findScreening(b.screening_id)) =>
    viewOf(b, repo.ticketStatesOf(b.booking_id), screening, cutoffMs)

  /** The booking, for its owner or staff; anyone else is told it does not exist. */
  const view = Effect.fn("Views.view")(function* (bookingId: string, viewer: Viewer) {
    const b = repo.findBooking(bookingId)
    if (b === undefined || !visibleTo(b, viewer)) return yield* new BookingNotFound({ bookingId })
    return bookingView(b)
  })

  /** The user's bookings, newest first; `before` is the last booking id of the previous page. */
  const listOfUser = Effect.fn("Views.listOfUser")(function* (userId: string, before: string | undefined, limit: number) {
    const rows = repo.listOfUser(userId, before, limit + 1)
    const page = rows.slice(0, limit)
    // A page often names the same screening several times: look each one up once.
    const screenings = new Map<string, ScreeningRow | undefined>()
    const screeningOf = (id: string) => {
      if (!screenings.has(id)) screenings.set(id, repo.findScreening(id))
      return screenings.get(id)
    }
    return {
      items: page.map((b) => bookingView(b, screeningOf(b.screening_id))),
      nextLastId: rows.length > limit ? page[page.length - 1]!.booking_id : null
    }
  })

  /** A booked ticket's code, for its booking's owner or staff (the QR code shows it). */
  const ticketCode = Effect.fn("Views.ticketCode")(function* (bookingId: string, ticketId: string, viewer: Viewer) {
    const b = repo.findBooking(bookingId)
    if (b === undefined || !visibleTo(b, viewer)) return yield* new BookingNotFound({ bookingId })
    const t = repo.findTicket(ticketId)
    if (t === undefined || t.booking_id !== b.booking_id) return yield* new TicketNotFound({ bookingId, ticketId })
    if (t.status !== "booked" || t.code === null) return yield* new TicketNotValid({ ticketId, status: t.status })
    return t.code
  })

  /** The admission a check-in answers with, for the ticket just admitted. */
  const admissionOf = (ticketId: string): BookingApi.Admission => {
    const t = repo.findTicket(ticketId)!
    return {
      ticketId: t.ticket_id,
      bookingId: t.booking_id,
      seatNumber: t.seat_number,
      screening: screeningViewOf(t.screening_id, repo.findScreening(t.screening_id)),
      admittedAt: toIso(t.admitted_at!)
    }
  }

  return { bookingView, view, listOfUser, ticketCode, admissionOf }
})

export class Views extends Context.Service<Views, Effect.Success<typeof make>>()("booking/app/Views") {
  static readonly layer = Layer.effect(Views, make)
}
