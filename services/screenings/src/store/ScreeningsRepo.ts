// All SQL of the screenings service: projections of halls, movies and seats, and the screenings table.
// Methods are synchronous; callers run them inside a store transaction.
import type { RowLayout } from "@bat/contracts"
import type { Db } from "@bat/store"

export interface HallRow {
  readonly hallId: string
  readonly cinemaId: string
  readonly rows: ReadonlyArray<RowLayout>
  readonly cinemaDeleted: boolean
}

export interface MovieRow {
  readonly movieId: string
  readonly revision: number
  readonly durationMinutes: number | null
  readonly removed: boolean
}

/** What a person reads about a screening's movie, cinema and hall, and its free seats. */
export interface ScreeningNames {
  readonly movieTitle: string | null
  readonly movieGenre: string | null
  readonly movieDurationMinutes: number | null
  readonly cinemaName: string | null
  readonly cinemaAddress: string | null
  readonly cinemaTimeZone: string | null
  readonly hallName: string | null
  readonly seatsAvailable: number
}

export interface ScreeningRow {
  readonly screeningId: string
  readonly movieId: string
  readonly cinemaId: string
  readonly hallId: string
  readonly startsAt: number
  readonly endsAt: number
  readonly priceAmount: number
  readonly priceCurrency: string
  readonly status: "scheduled" | "cancelled"
  readonly revision: number
}

export interface ListFilter {
  readonly now: number
  readonly movieId: string | null
  readonly cinemaId: string | null
  readonly from: number | null
  readonly to: number | null
  /** Exclusive lower bound on (startsAt, screeningId). */
  readonly after: { readonly startsAt: number; readonly screeningId: string } | null
  readonly limit: number
}

export type TicketTransition = "reserved" | "booked" | "failed" | "cancelled"

export type SeatStatus = "available" | "reserved" | "booked"

/** One seat's new status, as the change log and the live seat map carry it. */
export interface SeatChange {
  readonly seatNumber: string
  readonly status: SeatStatus
}

/** What applying one event's tickets did: how many tickets moved, and the new version if a seat's status changed. */
export interface TicketsApplied {
  readonly tickets: number
  readonly version: number | undefined
  readonly changes: ReadonlyArray<SeatChange>
}

/** One entry of a screening's change log. */
export interface SeatChangeRow {
  readonly version: number
  readonly changes: ReadonlyArray<SeatChange>
}

/** A screening's seat map version, if the screening (and its hall) is known. */
export interface SeatVersionRow {
  readonly version: number
  readonly hallKnown: boolean
}

const SEAT_STATUS_BY_RANK: ReadonlyArray<SeatStatus> = ["available", "reserved", "booked"]

const screeningColumns = `screening_id AS screeningId, movie_id AS movieId, cinema_id AS cinemaId, hall_id AS hallId,
  starts_at AS startsAt, ends_at AS endsAt, price_amount AS priceAmount, price_currency AS priceCurrency,
  status, revision`

export const makeScreeningsRepo = (db: Db) => {
  const s = {
    insertHall: db.prepare(
      `INSERT INTO halls (hall_id, cinema_id, name, rows_json, capacity) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(hall_id) DO NOTHING`
    ),
    hall: db.prepare(
      `SELECT h.hall_id AS hallId, h.cinema_id AS cinemaId, h.rows_json AS rowsJson,
         EXISTS (SELECT 1 FROM deleted_cinemas d WHERE d.cinema_id = h.cinema_id) AS cinemaDeleted
       FROM halls h WHERE h.hall_id = ?`
    ),
    upsertCinema: db.prepare(
      `INSERT INTO cinemas (cinema_id, revision, name, address, time_zone) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(cinema_id) DO UPDATE SET revision = excluded.revision, name = excluded.name,
         address = excluded.address, time_zone = excluded.time_zone
       WHERE cinemas.revision < excluded.revision`
    ),
    names: db.prepare(
      `SELECT m.title AS movieTitle, m.genre AS movieGenre, m.duration_minutes AS movieDurationMinutes,
         c.name AS cinemaName, c.address AS cinemaAddress, c.time_zone AS cinemaTimeZone, h.name AS hallName,
         MAX(0, COALESCE(h.capacity, 0) - (SELECT COUNT(*) FROM seat_tickets t
           WHERE t.screening_id = :screeningId AND t.status IN ('reserved', 'booked'))) AS seatsAvailable
       FROM (SELECT 1) LEFT JOIN movies m ON m.movie_id = :movieId
         LEFT JOIN cinemas c ON c.cinema_id = :cinemaId
         LEFT JOIN halls h ON h.hall_id = :hallId`
    ),
    deleteCinema: db.prepare(`INSERT INTO deleted_cinemas (cinema_id, deleted_at) VALUES (?, ?) ON CONFLICT DO NOTHING`),
    upsertMovie: db.prepare(
      `INSERT INTO movies (movie_id, revision, title, genre, duration_minutes, removed) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT(movie_id) DO UPDATE SET revision = excluded.revision, title = excluded.title,
         genre = excluded.genre, duration_minutes = excluded.duration_minutes
       WHERE movies.removed = 0 AND movies.revision < excluded.revision`
    ),
    removeMovie: db.prepare(
      `INSERT INTO movies (movie_id, revision, removed) VALUES (?, 0, 1)
       ON CONFLICT(movie_id) DO UPDATE SET removed = 1 WHERE movies.removed = 0`
    ),
    movie: db.prepare(
      `SELECT movie_id AS movieId, revision, duration_minutes AS durationMinutes, removed FROM movies WHERE movie_id = ?`
    ),
    insertScreening: db.prepare(
      `INSERT INTO screenings (screening_id, movie_id, cinema_id, hall_id, starts_at, ends_at, price_amount,
         price_currency, status, revision, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', 1, ?, ?)`
    ),
    screening: db.prepare(`SELECT ${screeningColumns} FROM screenings WHERE screening_id = ?`),
    hallConflict: db.prepare(
      `SELECT screening_id AS screeningId FROM screenings
       WHERE hall_id = ? AND status = 'scheduled' AND screening_id <> ?
         AND starts_at < ? AND ends_at + ? > ?
       ORDER BY starts_at LIMIT 1`
    ),
    updateScreening: db.prepare(
      `UPDATE screenings SET starts_at = ?, ends_at = ?, price_amount = ?, price_currency = ?,
         revision = revision + 1, updated_at = ?
       WHERE screening_id = ? AND status = 'scheduled' AND revision = ? AND starts_at > ?`
    ),
    cancelScreening: db.prepare(
      `UPDATE screenings SET status = 'cancelled', cancel_reason = ?, updated_at = ?
       WHERE screening_id = ? AND status = 'scheduled' AND starts_at > ?`
    ),
    cancelFutureOfMovie: db.prepare(
      `UPDATE screenings SET status = 'cancelled', cancel_reason = ?, updated_at = ?
       WHERE movie_id = ? AND status = 'scheduled' AND starts_at > ? RETURNING screening_id AS screeningId`
    ),
    cancelFutureOfCinema: db.prepare(
      `UPDATE screenings SET status = 'cancelled', cancel_reason = ?, updated_at = ?
       WHERE cinema_id = ? AND status = 'scheduled' AND starts_at > ? RETURNING screening_id AS screeningId`
    ),
    list: db.prepare(
      `SELECT ${screeningColumns} FROM screenings
       WHERE status = 'scheduled' AND starts_at > :now
         AND (:movieId IS NULL OR movie_id = :movieId)
         AND (:cinemaId IS NULL OR cinema_id = :cinemaId)
         AND (:from IS NULL OR starts_at >= :from)
         AND (:to IS NULL OR starts_at < :to)
         AND (:afterStartsAt IS NULL OR (starts_at, screening_id) > (:afterStartsAt, :afterId))
       ORDER BY starts_at, screening_id
       LIMIT :limit`
    ),
    // A terminal ticket state is never left; a reservation never overrides a later state.
    ticketReserved: db.prepare(
      `INSERT INTO seat_tickets (ticket_id, screening_id, seat_number, status, updated_at) VALUES (?, ?, ?, 'reserved', ?)
       ON CONFLICT(ticket_id) DO NOTHING`
    ),
    ticketBooked: db.prepare(
      `INSERT INTO seat_tickets (ticket_id, screening_id, seat_number, status, updated_at) VALUES (?, ?, ?, 'booked', ?)
       ON CONFLICT(ticket_id) DO UPDATE SET status = 'booked', updated_at = excluded.updated_at
       WHERE seat_tickets.status = 'reserved'`
    ),
    ticketFailed: db.prepare(
      `INSERT INTO seat_tickets (ticket_id, screening_id, seat_number, status, updated_at) VALUES (?, ?, ?, 'failed', ?)
       ON CONFLICT(ticket_id) DO UPDATE SET status = 'failed', updated_at = excluded.updated_at
       WHERE seat_tickets.status = 'reserved'`
    ),
    ticketCancelled: db.prepare(
      `INSERT INTO seat_tickets (ticket_id, screening_id, seat_number, status, updated_at) VALUES (?, ?, ?, 'cancelled', ?)
       ON CONFLICT(ticket_id) DO UPDATE SET status = 'cancelled', updated_at = excluded.updated_at
       WHERE seat_tickets.status IN ('reserved', 'booked')`
    ),
    heldSeats: db.prepare(
      `SELECT seat_number AS seatNumber, status FROM seat_tickets
       WHERE screening_id = ? AND status IN ('reserved', 'booked')`
    ),
    // A seat's status from its live tickets: booked wins over reserved (as in buildSeatMap).
    seatRank: db.prepare(
      `SELECT COALESCE(MAX(CASE status WHEN 'booked' THEN 2 ELSE 1 END), 0) AS rank FROM seat_tickets
       WHERE screening_id = ? AND seat_number = ? AND status IN ('reserved', 'booked')`
    ),
    bumpSeatVersion: db.prepare(
      `INSERT INTO seat_map_versions (screening_id, version) VALUES (?, 1)
       ON CONFLICT(screening_id) DO UPDATE SET version = version + 1
       RETURNING version`
    ),
    insertSeatChange: db.prepare(
      `INSERT INTO seat_changes (screening_id, version, changes, created_at) VALUES (?, ?, ?, ?)`
    ),
    seatVersion: db.prepare(
      `SELECT COALESCE(v.version, 0) AS version,
         EXISTS (SELECT 1 FROM halls h WHERE h.hall_id = s.hall_id) AS hallKnown
       FROM screenings s LEFT JOIN seat_map_versions v ON v.screening_id = s.screening_id
       WHERE s.screening_id = ?`
    ),
    currentSeatVersion: db.prepare(`SELECT version FROM seat_map_versions WHERE screening_id = ?`),
    seatChangesAfter: db.prepare(
      `SELECT version, changes FROM seat_changes WHERE screening_id = ? AND version > ? ORDER BY version LIMIT ?`
    ),
    pruneSeatChangesByAge: db.prepare(`DELETE FROM seat_changes WHERE created_at < ?`),
    pruneSeatChangesByCount: db.prepare(
      `DELETE FROM seat_changes WHERE version <=
         (SELECT v.version FROM seat_map_versions v WHERE v.screening_id = seat_changes.screening_id) - ?`
    )
  }
  const ticketStatements = {
    reserved: s.ticketReserved,
    booked: s.ticketBooked,
    failed: s.ticketFailed,
    cancelled: s.ticketCancelled
  } as const

  return {
    recordHall: (h: { hallId: string; cinemaId: string; name: string; rows: ReadonlyArray<RowLayout>; capacity: number }) =>
      s.insertHall.run(h.hallId, h.cinemaId, h.name, JSON.stringify(h.rows), h.capacity).changes > 0,

    hall: (hallId: string): HallRow | undefined => {
      const row = s.hall.get(hallId) as { hallId: string; cinemaId: string; rowsJson: string; cinemaDeleted: number } | undefined
      return row && {
        hallId: row.hallId,
        cinemaId: row.cinemaId,
        rows: JSON.parse(row.rowsJson) as ReadonlyArray<RowLayout>,
        cinemaDeleted: row.cinemaDeleted === 1
      }
    },

    /** Applies a cinema revision if it is newer than the one held; true if it was applied. */
    upsertCinema: (c: { cinemaId: string; revision: number; name: string; address: string; timeZone?: string | undefined }) =>
      s.upsertCinema.run(c.cinemaId, c.revision, c.name, c.address, c.timeZone ?? null).changes > 0,

    /** The names of a screening's movie, cinema and hall as projected, and its seats not held or booked. */
    names: (r: { screeningId: string; movieId: string; cinemaId: string; hallId: string }): ScreeningNames =>
      s.names.get({ screeningId: r.screeningId, movieId: r.movieId, cinemaId: r.cinemaId, hallId: r.hallId }) as ScreeningNames,

    /** Records the tombstone; true if it is new. */
    markCinemaDeleted: (cinemaId: string, now: number) => s.deleteCinema.run(cinemaId, now).changes > 0,

    /** Applies a movie revision if it is newer than the one held and the movie was not removed. */
    upsertMovie: (m: { movieId: string; revision: number; title: string; genre: string; durationMinutes: number }) =>
      s.upsertMovie.run(m.movieId, m.revision, m.title, m.genre, m.durationMinutes).changes > 0,

    markMovieRemoved: (movieId: string) => s.removeMovie.run(movieId).changes > 0,

    movie: (movieId: string): MovieRow | undefined => {
      const row = s.movie.get(movieId) as (Omit<MovieRow, "removed"> & { removed: number }) | undefined
      return row && { ...row, removed: row.removed === 1 }
    },

    insertScreening: (r: Omit<ScreeningRow, "status" | "revision">, now: number) => {
      s.insertScreening.run(
        r.screeningId, r.movieId, r.cinemaId, r.hallId, r.startsAt, r.endsAt, r.priceAmount, r.priceCurrency, now, now
      )
    },

    screening: (screeningId: string): ScreeningRow | undefined => s.screening.get(screeningId) as ScreeningRow | undefined,

    /** Another scheduled screening whose occupied interval overlaps [from, until), if any. */
    hallConflict: (q: { hallId: string; exceptScreeningId: string; from: number; until: number; cleaningGapMs: number }) =>
      (s.hallConflict.get(q.hallId, q.exceptScreeningId, q.until, q.cleaningGapMs, q.from) as { screeningId: string } | undefined)
        ?.screeningId,

    /** Guarded by status, revision read and not-yet-started; false if the screening moved on. */
    updateScreening: (
      u: { screeningId: string; expectedRevision: number; startsAt: number; endsAt: number; priceAmount: number; priceCurrency: string },
      now: number
    ) =>
      s.updateScreening.run(u.startsAt, u.endsAt, u.priceAmount, u.priceCurrency, now, u.screeningId, u.expectedRevision, now)
        .changes > 0,

    cancelScreening: (screeningId: string, reason: string, now: number) =>
      s.cancelScreening.run(reason, now, screeningId, now).changes > 0,

    cancelFutureScreeningsOfMovie: (movieId: string, reason: string, now: number): Array<string> =>
      (s.cancelFutureOfMovie.all(reason, now, movieId, now) as Array<{ screeningId: string }>).map((r) => r.screeningId),

    cancelFutureScreeningsOfCinema: (cinemaId: string, reason: string, now: number): Array<string> =>
      (s.cancelFutureOfCinema.all(reason, now, cinemaId, now) as Array<{ screeningId: string }>).map((r) => r.screeningId),

    listActive: (f: ListFilter): Array<ScreeningRow> =>
      s.list.all({
        now: f.now,
        movieId: f.movieId,
        cinemaId: f.cinemaId,
        from: f.from,
        to: f.to,
        afterStartsAt: f.after?.startsAt ?? null,
        afterId: f.after?.screeningId ?? null,
        limit: f.limit
      }) as Array<ScreeningRow>,

    /**
     * Moves each ticket towards `to` if the transition is allowed from its current state. If that changed
     * the status of at least one seat, the screening's seat map gets the next version and the change log
     * its entry, in the caller's transaction.
     */
    applyTicket: (
      to: TicketTransition,
      screeningId: string,
      tickets: ReadonlyArray<{ ticketId: string; seatNumber: string }>,
      now: number
    ): TicketsApplied => {
      const seats = [...new Set(tickets.map((t) => t.seatNumber))]
      const rankOf = (seatNumber: string) => (s.seatRank.get(screeningId, seatNumber) as { rank: number }).rank
      const before = seats.map(rankOf)
      let moved = 0
      for (const t of tickets) moved += ticketStatements[to].run(t.ticketId, screeningId, t.seatNumber, now).changes
      if (moved === 0) return { tickets: 0, version: undefined, changes: [] }
      const changes: Array<SeatChange> = []
      seats.forEach((seatNumber, i) => {
        const after = rankOf(seatNumber)
        if (after !== before[i]) changes.push({ seatNumber, status: SEAT_STATUS_BY_RANK[after]! })
      })
      if (changes.length === 0) return { tickets: moved, version: undefined, changes }
      const { version } = s.bumpSeatVersion.get(screeningId) as { version: number }
      s.insertSeatChange.run(screeningId, version, JSON.stringify(changes), now)
      return { tickets: moved, version, changes }
    },

    /** The seat map's version of a known screening (0 before any change), in one indexed read. */
    seatVersion: (screeningId: string): SeatVersionRow | undefined => {
      const row = s.seatVersion.get(screeningId) as { version: number; hallKnown: number } | undefined
      return row && { version: row.version, hallKnown: row.hallKnown === 1 }
    },

    /** The seat map's version, whether or not the screening is known (0 before any change). */
    currentSeatVersion: (screeningId: string): number =>
      (s.currentSeatVersion.get(screeningId) as { version: number } | undefined)?.version ?? 0,

    /** Up to `limit` logged changes after `version`, oldest first. */
    seatChangesAfter: (screeningId: string, version: number, limit: number): Array<SeatChangeRow> =>
      (s.seatChangesAfter.all(screeningId, version, limit) as Array<{ version: number; changes: string }>).map((r) => ({
        version: r.version,
        changes: JSON.parse(r.changes) as Array<SeatChange>
      })),

    /** Forgets changes older than `before` and those more than `keepVersions` behind their screening's version. */
    pruneSeatChanges: (before: number, keepVersions: number): number =>
      s.pruneSeatChangesByAge.run(before).changes + s.pruneSeatChangesByCount.run(keepVersions).changes,

    heldSeats: (screeningId: string) =>
      s.heldSeats.all(screeningId) as Array<{ seatNumber: string; status: "reserved" | "booked" }>
  }
}

export type ScreeningsRepo = ReturnType<typeof makeScreeningsRepo>
