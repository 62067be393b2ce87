// Every SQL statement of the booking service, prepared once. Plain synchronous functions: callers run
// them inside one transaction (a use case's or the consumer's) so state and outbox commit together.
import { Store, type Db } from "@bat/store"
import { Context, Effect, Layer } from "effect"

export type BookingStatus = "pending" | "reserved" | "booked" | "failed" | "cancelled"
export type TicketStatus = "reserved" | "booked" | "failed" | "cancelled"

export interface BookingRow {
  readonly booking_id: string
  readonly user_id: string
  readonly screening_id: string
  readonly status: BookingStatus
  readonly seat_numbers: string
  readonly seat_count: number
  readonly amount: number | null
  readonly currency: string | null
  readonly expires_at: number | null
  readonly reason: string | null
  readonly created_at: number
}

export interface ScreeningRow {
  readonly screening_id: string
  readonly revision: number
  readonly status: "scheduled" | "cancelled"
  readonly starts_at: number | null
  readonly ends_at: number | null
  readonly price_amount: number | null
  readonly currency: string | null
  readonly seats_known: 0 | 1
  readonly movie_title: string | null
  readonly cinema_name: string | null
  readonly hall_name: string | null
  readonly time_zone: string | null
  readonly cinema_id: string | null
}

/** The names of a screening an event carried; a name the event did not carry is null (kept as it was). */
export interface ScreeningNames {
  readonly movieTitle: string | null
  readonly cinemaName: string | null
  readonly hallName: string | null
  readonly timeZone: string | null
}

export interface TicketRow {
  readonly ticketId: string
  readonly seatNumber: string
}

/** A ticket as the booking view and the door see it. */
export interface TicketStateRow {
  readonly ticket_id: string
  readonly booking_id: string
  readonly screening_id: string
  readonly seat_number: string
  readonly status: TicketStatus
  readonly code: string | null
  readonly admitted_at: number | null
}

/** Seats held (pending or reserved) and the earliest expiry among the reserved ones (null while all are pending). */
export interface HeldSeats {
  readonly seats: number
  readonly firstExpiry: number | null
}

export interface NewBooking {
  readonly bookingId: string
  readonly userId: string
  readonly screeningId: string
  readonly seatNumbers: ReadonlyArray<string>
  readonly now: number
  /** A keyed hash of the requesting client's address, kept while the hold lives (held-seat quota per address). */
  readonly clientKey?: string | undefined
}

export interface ScheduledScreening {
  readonly screeningId: string
  readonly cinemaId: string
  readonly revision: number
  readonly startsAt: number
  readonly endsAt: number
  readonly priceAmount: number
  readonly currency: string
  readonly seatNumbers: ReadonlyArray<string>
  readonly names: ScreeningNames
}

/** A payment or refund as payments announced it. */
export interface PaymentFact {
  readonly paymentId: string
  readonly bookingId: string
  readonly amount: number
  readonly currency: string
}

export interface ScreeningFigures {
  readonly capacity: number
  readonly seats: { readonly reserved: number; readonly booked: number; readonly admitted: number }
  readonly bookings: Record<BookingStatus, number>
  readonly revenue: { readonly gross: number; readonly refunded: number; readonly currency: string | null }
}

export interface IdempotencyRow {
  readonly request_hash: string
  readonly status_code: number
  readonly response: string
  readonly created_at: number
}

const LIVE = "('reserved', 'booked')"
const SCREENING_COLUMNS = `screening_id, revision, status, starts_at, ends_at, price_amount, currency, seats_known,
  movie_title, cinema_name, hall_name, time_zone, cinema_id`
// json_each yields the requested seats in request order, so the seat lists below keep that order.

export const makeBookingRepo = (db: Db) => {
  const s = {
    insertBooking: db.prepare(
      `INSERT INTO bookings (booking_id, user_id, screening_id, status, seat_numbers, seat_count, created_at, updated_at, client_key)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)`
    ),
    heldSeatsOfUser: db.prepare(
      `SELECT coalesce(sum(seat_count), 0) AS seats, min(expires_at) AS firstExpiry FROM bookings
       WHERE user_id = ? AND status IN ('pending', 'reserved')`
    ),
    heldSeatsOfClient: db.prepare(
      `SELECT coalesce(sum(seat_count), 0) AS seats, min(expires_at) AS firstExpiry FROM bookings
       WHERE client_key = ? AND status IN ('pending', 'reserved')`
    ),
    findBooking: db.prepare(`SELECT * FROM bookings WHERE booking_id = ?`),
    listFirst: db.prepare(`SELECT * FROM bookings WHERE user_id = ? ORDER BY booking_id DESC LIMIT ?`),
    listAfter: db.prepare(
      `SELECT * FROM bookings WHERE user_id = ? AND booking_id < ? ORDER BY booking_id DESC LIMIT ?`
    ),
    ticketsOf: db.prepare(
      `SELECT ticket_id AS ticketId, seat_number AS seatNumber FROM tickets WHERE booking_id = ? ORDER BY rowid`
    ),
    ticketStatesOf: db.prepare(
      `SELECT ticket_id, booking_id, screening_id, seat_number, status, code, admitted_at FROM tickets
       WHERE booking_id = ? ORDER BY rowid`
    ),
    findTicket: db.prepare(
      `SELECT ticket_id, booking_id, screening_id, seat_number, status, code, admitted_at FROM tickets WHERE ticket_id = ?`
    ),
    setCode: db.prepare(`UPDATE tickets SET code = ? WHERE ticket_id = ?`),
    // The one statement that admits: a booked ticket not admitted yet, so a second scan finds nothing to change.
    admit: db.prepare(
      `UPDATE tickets SET admitted_at = ?, updated_at = ? WHERE ticket_id = ? AND status = 'booked' AND admitted_at IS NULL`
    ),
    firstAdmission: db.prepare(
      `SELECT ticket_id AS ticketId, admitted_at AS admittedAt FROM tickets
       WHERE booking_id = ? AND admitted_at IS NOT NULL ORDER BY admitted_at, ticket_id LIMIT 1`
    ),
    findScreening: db.prepare(
      `SELECT ${SCREENING_COLUMNS} FROM screenings WHERE screening_id = ?`
    ),
    // Times, price and names follow the newer revision; a name the newer event does not carry keeps the
    // older one, and an older event only fills names still unknown. The seat list is fixed at scheduling
    // and filled once; the status of an existing row is never touched (a tombstone stays a tombstone).
    upsertScheduled: db.prepare(
      `INSERT INTO screenings (screening_id, revision, status, starts_at, ends_at, price_amount, currency, seats_known,
         movie_title, cinema_name, hall_name, time_zone, cinema_id, updated_at)
       VALUES (@screeningId, @revision, 'scheduled', @startsAt, @endsAt, @priceAmount, @currency, 1,
         @movieTitle, @cinemaName, @hallName, @timeZone, @cinemaId, @now)
       ON CONFLICT (screening_id) DO UPDATE SET
         cinema_id = excluded.cinema_id,
         starts_at = CASE WHEN excluded.revision > revision THEN excluded.starts_at ELSE starts_at END,
         ends_at = CASE WHEN excluded.revision > revision THEN excluded.ends_at ELSE ends_at END,
         price_amount = CASE WHEN excluded.revision > revision THEN excluded.price_amount ELSE price_amount END,
         currency = CASE WHEN excluded.revision > revision THEN excluded.currency ELSE currency END,
         movie_title = CASE WHEN excluded.revision > revision THEN coalesce(excluded.movie_title, movie_title)
           ELSE coalesce(movie_title, excluded.movie_title) END,
         cinema_name = CASE WHEN excluded.revision > revision THEN coalesce(excluded.cinema_name, cinema_name)
           ELSE coalesce(cinema_name, excluded.cinema_name) END,
         hall_name = CASE WHEN excluded.revision > revision THEN coalesce(excluded.hall_name, hall_name)
           ELSE coalesce(hall_name, excluded.hall_name) END,
         time_zone = CASE WHEN excluded.revision > revision THEN coalesce(excluded.time_zone, time_zone)
           ELSE coalesce(time_zone, excluded.time_zone) END,
         revision = max(revision, excluded.revision),
         seats_known = 1,
         updated_at = excluded.updated_at`
    ),
    insertSeat: db.prepare(`INSERT OR IGNORE INTO screening_seats (screening_id, seat_number) VALUES (?, ?)`),
    // An update that overtook its ScreeningScheduled creates the row without seats (still unknown).
    upsertUpdated: db.prepare(
      `INSERT INTO screenings (screening_id, revision, status, starts_at, ends_at, price_amount, currency, seats_known,
         movie_title, cinema_name, hall_name, time_zone, updated_at)
       VALUES (@screeningId, @revision, 'scheduled', @startsAt, @endsAt, @priceAmount, @currency, 0,
         @movieTitle, @cinemaName, @hallName, @timeZone, @now)
       ON CONFLICT (screening_id) DO UPDATE SET
         revision = excluded.revision, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
         price_amount = excluded.price_amount, currency = excluded.currency,
         movie_title = coalesce(excluded.movie_title, movie_title), cinema_name = coalesce(excluded.cinema_name, cinema_name),
         hall_name = coalesce(excluded.hall_name, hall_name), time_zone = coalesce(excluded.time_zone, time_zone),
         updated_at = excluded.updated_at
       WHERE excluded.revision > revision`
    ),
    tombstone: db.prepare(
      `INSERT INTO screenings (screening_id, revision, status, seats_known, updated_at) VALUES (?, 0, 'cancelled', 0, ?)
       ON CONFLICT (screening_id) DO UPDATE SET status = 'cancelled', updated_at = excluded.updated_at`
    ),
    isUnregistered: db.prepare(`SELECT 1 FROM unregistered_users WHERE user_id = ?`).pluck(),
    recordUnregistered: db.prepare(
      `INSERT OR IGNORE INTO unregistered_users (user_id, unregistered_at) VALUES (?, ?)`
    ),
    unknownSeats: db.prepare(
      `SELECT j.value FROM json_each(?) j
       WHERE NOT EXISTS (SELECT 1 FROM screening_seats s WHERE s.screening_id = ? AND s.seat_number = j.value)`
    ).pluck(),
    takenSeats: db.prepare(
      `SELECT j.value FROM json_each(?) j
       WHERE EXISTS (SELECT 1 FROM tickets t
                     WHERE t.screening_id = ? AND t.seat_number = j.value AND t.status IN ${LIVE})`
    ).pluck(),
    liveSeatsOfUser: db.prepare(
      `SELECT coalesce(sum(seat_count), 0) FROM bookings
       WHERE user_id = ? AND screening_id = ? AND status IN ${LIVE}`
    ).pluck(),
    insertTicket: db.prepare(
      `INSERT INTO tickets (ticket_id, booking_id, screening_id, seat_number, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'reserved', ?, ?)`
    ),
    markReserved: db.prepare(
      `UPDATE bookings SET status = 'reserved', amount = ?, currency = ?, expires_at = ?, updated_at = ?
       WHERE booking_id = ? AND status = 'pending'`
    ),
    markFailed: db.prepare(
      `UPDATE bookings SET status = 'failed', reason = ?, updated_at = ? WHERE booking_id = ? AND status = ?`
    ),
    markBooked: db.prepare(
      `UPDATE bookings SET status = 'booked', updated_at = ? WHERE booking_id = ? AND status = 'reserved'`
    ),
    markCancelled: db.prepare(
      `UPDATE bookings SET status = 'cancelled', reason = ?, updated_at = ?
       WHERE booking_id = ? AND status IN ${LIVE}`
    ),
    moveTickets: db.prepare(
      `UPDATE tickets SET status = @to, updated_at = @now WHERE booking_id = @bookingId AND status IN ${LIVE}`
    ),
    liveBookingsOfScreening: db.prepare(
      `SELECT * FROM bookings WHERE screening_id = ? AND status IN ${LIVE} ORDER BY booking_id`
    ),
    openBookingsOfUser: db.prepare(
      `SELECT * FROM bookings WHERE user_id = ? AND status IN ('pending', 'reserved') ORDER BY booking_id`
    ),
    findKey: db.prepare(
      `SELECT request_hash, status_code, response, created_at FROM idempotency_keys
       WHERE user_id = ? AND route = ? AND key = ?`
    ),
    saveKey: db.prepare(
      `INSERT INTO idempotency_keys (user_id, route, key, request_hash, status_code, response, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, route, key) DO UPDATE SET request_hash = excluded.request_hash,
         status_code = excluded.status_code, response = excluded.response, created_at = excluded.created_at`
    ),
    pruneKeys: db.prepare(`DELETE FROM idempotency_keys WHERE created_at < ?`),

    recordPayment: db.prepare(
      `INSERT INTO booking_payments (payment_id, booking_id, amount, currency, succeeded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (payment_id) DO UPDATE SET succeeded_at = coalesce(succeeded_at, excluded.succeeded_at)`
    ),
    recordRefund: db.prepare(
      `INSERT INTO booking_payments (payment_id, booking_id, amount, currency, refunded_amount, refunded_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (payment_id) DO UPDATE SET refunded_amount = excluded.refunded_amount,
         refunded_at = coalesce(refunded_at, excluded.refunded_at)`
    ),
    capacity: db.prepare(`SELECT count(*) FROM screening_seats WHERE screening_id = ?`).pluck(),
    seatCounts: db.prepare(
      `SELECT coalesce(sum(status = 'reserved'), 0) AS reserved, coalesce(sum(status = 'booked'), 0) AS booked,
         coalesce(sum(status = 'booked' AND admitted_at IS NOT NULL), 0) AS admitted
       FROM tickets WHERE screening_id = ?`
    ),
    bookingCounts: db.prepare(`SELECT status, count(*) AS n FROM bookings WHERE screening_id = ? GROUP BY status`),
    revenue: db.prepare(
      `SELECT coalesce(sum(CASE WHEN p.succeeded_at IS NOT NULL THEN p.amount END), 0) AS gross,
         coalesce(sum(p.refunded_amount), 0) AS refunded, min(p.currency) AS currency
       FROM booking_payments p JOIN bookings b ON b.booking_id = p.booking_id WHERE b.screening_id = ?`
    ),
    screeningsStarting: db.prepare(
      `SELECT ${SCREENING_COLUMNS} FROM screenings WHERE starts_at >= ? AND starts_at < ? ORDER BY starts_at, screening_id`
    ),
    screeningsOfCinemaStarting: db.prepare(
      `SELECT ${SCREENING_COLUMNS} FROM screenings WHERE cinema_id = ? AND starts_at >= ? AND starts_at < ?
       ORDER BY starts_at, screening_id`
    )
  }

  return {
    insertBooking: (b: NewBooking): void => {
      s.insertBooking.run(b.bookingId, b.userId, b.screeningId, JSON.stringify(b.seatNumbers), b.seatNumbers.length, b.now, b.now, b.clientKey ?? null)
    },
    /** Seats of the user's pending and reserved bookings across screenings, and when the first of those holds expires. */
    heldSeatsOfUser: (userId: string) => s.heldSeatsOfUser.get(userId) as HeldSeats,
    /** The same for a client address's key. */
    heldSeatsOfClient: (clientKey: string) => s.heldSeatsOfClient.get(clientKey) as HeldSeats,
    findBooking: (bookingId: string) => s.findBooking.get(bookingId) as BookingRow | undefined,
    /** The user's bookings, newest first (booking ids are time-ordered UUIDv7). */
    listOfUser: (userId: string, before: string | undefined, limit: number) =>
      (before === undefined ? s.listFirst.all(userId, limit) : s.listAfter.all(userId, before, limit)) as Array<BookingRow>,
    ticketsOf: (bookingId: string) => s.ticketsOf.all(bookingId) as Array<TicketRow>,
    ticketStatesOf: (bookingId: string) => s.ticketStatesOf.all(bookingId) as Array<TicketStateRow>,
    findTicket: (ticketId: string) => s.findTicket.get(ticketId) as TicketStateRow | undefined,
    setTicketCode: (ticketId: string, code: string): void => {
      s.setCode.run(code, ticketId)
    },
    /** True when this call admitted the ticket; false when it was not booked or admitted already. */
    admit: (ticketId: string, now: number): boolean => s.admit.run(now, now, ticketId).changes === 1,
    firstAdmission: (bookingId: string) =>
      s.firstAdmission.get(bookingId) as { readonly ticketId: string; readonly admittedAt: number } | undefined,

    findScreening: (screeningId: string) => s.findScreening.get(screeningId) as ScreeningRow | undefined,
    projectScheduled: (sc: ScheduledScreening, now: number): void => {
      s.upsertScheduled.run({
        screeningId: sc.screeningId,
        cinemaId: sc.cinemaId,
        revision: sc.revision,
        startsAt: sc.startsAt,
        endsAt: sc.endsAt,
        priceAmount: sc.priceAmount,
        currency: sc.currency,
        ...sc.names,
        now
      })
      for (const seat of sc.seatNumbers) s.insertSeat.run(sc.screeningId, seat)
    },
    projectUpdated: ({ names, ...sc }: Omit<ScheduledScreening, "seatNumbers" | "cinemaId">, now: number): boolean =>
      s.upsertUpdated.run({ ...sc, ...names, now }).changes > 0,
    tombstone: (screeningId: string, now: number): void => {
      s.tombstone.run(screeningId, now)
    },

    isUnregistered: (userId: string): boolean => s.isUnregistered.get(userId) !== undefined,
    /** True the first time the user is recorded as unregistered; false for a repeat. */
    recordUnregistered: (userId: string, now: number): boolean => s.recordUnregistered.run(userId, now).changes === 1,

    /** Requested seats the screening's hall does not have, in request order. */
    unknownSeats: (screeningId: string, seatsJson: string) => s.unknownSeats.all(seatsJson, screeningId) as Array<string>,
    /** Requested seats held by a live (reserved or booked) ticket, in request order. */
    takenSeats: (screeningId: string, seatsJson: string) => s.takenSeats.all(seatsJson, screeningId) as Array<string>,
    liveSeatsOfUser: (userId: string, screeningId: string) => s.liveSeatsOfUser.get(userId, screeningId) as number,

    insertReservedTickets: (bookingId: string, screeningId: string, tickets: ReadonlyArray<TicketRow>, now: number): void => {
      for (const t of tickets) s.insertTicket.run(t.ticketId, bookingId, screeningId, t.seatNumber, now, now)
    },
    /** Each transition is guarded by the current status; false when the booking had moved on. */
    markReserved: (bookingId: string, amount: number, currency: string, expiresAt: number, now: number): boolean =>
      s.markReserved.run(amount, currency, expiresAt, now, bookingId).changes === 1,
    markFailed: (bookingId: string, from: "pending" | "reserved", reason: string, now: number): boolean =>
      s.markFailed.run(reason, now, bookingId, from).changes === 1,
    markBooked: (bookingId: string, now: number): boolean => s.markBooked.run(now, bookingId).changes === 1,
    markCancelled: (bookingId: string, reason: string, now: number): boolean =>
      s.markCancelled.run(reason, now, bookingId).changes === 1,
    /** Moves the booking's live tickets to `to`; a terminal ticket never moves again. */
    moveLiveTickets: (bookingId: string, to: TicketStatus, now: number): number =>
      s.moveTickets.run({ bookingId, to, now }).changes,
    liveBookingsOfScreening: (screeningId: string) => s.liveBookingsOfScreening.all(screeningId) as Array<BookingRow>,
    /** The user's bookings not yet decided or paid (pending or reserved), oldest first. */
    openBookingsOfUser: (userId: string) => s.openBookingsOfUser.all(userId) as Array<BookingRow>,

    findIdempotencyKey: (userId: string, route: string, key: string) =>
      s.findKey.get(userId, route, key) as IdempotencyRow | undefined,
    saveIdempotencyKey: (
      userId: string,
      route: string,
      key: string,
      requestHash: string,
      statusCode: number,
      response: string,
      now: number
    ): void => {
      s.saveKey.run(userId, route, key, requestHash, statusCode, response, now)
    },
    pruneIdempotencyKeys: (olderThan: number): number => s.pruneKeys.run(olderThan).changes,

    /** A payment payments took for the booking (kept whatever the booking's state: payments refunds it then). */
    recordPayment: (p: PaymentFact, now: number): void => {
      s.recordPayment.run(p.paymentId, p.bookingId, p.amount, p.currency, now)
    },
    recordRefund: (p: PaymentFact, now: number): void => {
      s.recordRefund.run(p.paymentId, p.bookingId, p.amount, p.currency, p.amount, now)
    },
    /** The figures of one screening, from the booking database alone. */
    figuresOf: (screeningId: string): ScreeningFigures => {
      const seats = s.seatCounts.get(screeningId) as { reserved: number; booked: number; admitted: number }
      const bookings = { pending: 0, reserved: 0, booked: 0, cancelled: 0, failed: 0 }
      for (const r of s.bookingCounts.all(screeningId) as Array<{ status: BookingStatus; n: number }>) bookings[r.status] = r.n
      const revenue = s.revenue.get(screeningId) as { gross: number; refunded: number; currency: string | null }
      return { capacity: s.capacity.get(screeningId) as number, seats, bookings, revenue }
    },
    /** Screenings starting in [from, to), earliest first; only one cinema's when given. */
    screeningsStarting: (from: number, to: number, cinemaId: string | undefined) =>
      (cinemaId === undefined
        ? s.screeningsStarting.all(from, to)
        : s.screeningsOfCinemaStarting.all(cinemaId, from, to)) as Array<ScreeningRow>
  }
}

export type BookingRepoShape = ReturnType<typeof makeBookingRepo>

export class BookingRepo extends Context.Service<BookingRepo, BookingRepoShape>()("booking/store/BookingRepo") {
  static readonly layer = Layer.effect(
    BookingRepo,
    Effect.map(Store, (store) => BookingRepo.of(makeBookingRepo(store.db)))
  )
}
