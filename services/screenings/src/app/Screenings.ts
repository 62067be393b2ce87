// Use cases of the screenings service, called by both the HTTP routes and the event handlers.
import { Ids, type IdsShape, seatNumbersOf, toIso, type EventData } from "@bat/contracts"
import type { ScreeningsApi } from "@bat/contracts"
import { eventMessage } from "@bat/messaging"
import { Store, type StoreError, type StoreShape } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import {
  HallBusy,
  HallUnknown,
  MovieUnknown,
  ScreeningAlreadyCancelled,
  ScreeningNotFound,
  ScreeningStarted,
  StartTimeInPast,
  StartTimeTooFar
} from "../domain/errors.ts"
import { checkStartTime, endsAtOf, hasStarted, occupancyOf } from "../domain/schedule.ts"
import { buildSeatMap } from "../domain/seatMap.ts"
import {
  makeScreeningsRepo,
  type ScreeningNames,
  type ScreeningRow,
  type ScreeningsRepo,
  type TicketTransition
} from "../store/ScreeningsRepo.ts"
import { joinFrames, SeatFeed, seatsFrame, snapshotFrame, type SeatFrame, type SeatHub } from "./SeatFeed.ts"
import { ScreeningsSettings, type ScreeningsSettingsShape } from "./ScreeningsSettings.ts"

const PRODUCER = "screenings"

/** Why a screening was cancelled, as carried by ScreeningCancelled. */
export const CancelReason = {
  staff: "cancelled_by_staff",
  movieRemoved: "movie_removed",
  cinemaDeleted: "cinema_deleted"
} as const

/** Where a change came from: the HTTP request id, or the consumed message. */
export interface Origin {
  readonly correlationId: string
  readonly causationId?: string | null
}

type Screening = ScreeningsApi.Screening
type Tickets = EventData<"TicketReserved">["tickets"]

/** A screening as the API shows it: its row, with the names and free seats the projections hold. */
export const toScreening = (r: ScreeningRow, names: ScreeningNames, defaultTimeZone: string): Screening =>
  ({
    screeningId: r.screeningId,
    movieId: r.movieId,
    cinemaId: r.cinemaId,
    hallId: r.hallId,
    startsAt: toIso(r.startsAt),
    endsAt: toIso(r.endsAt),
    price: { amount: r.priceAmount, currency: r.priceCurrency },
    status: r.status,
    movie: { movieId: r.movieId, title: names.movieTitle, genre: names.movieGenre, durationMinutes: names.movieDurationMinutes },
    cinema: {
      cinemaId: r.cinemaId,
      name: names.cinemaName,
      address: names.cinemaAddress,
      timeZone: names.cinemaTimeZone ?? defaultTimeZone
    },
    hall: { hallId: r.hallId, name: names.hallName },
    seatsAvailable: names.seatsAvailable
  }) as Screening

/** The names ScreeningScheduled and ScreeningUpdated carry: those known now, as readers will want them. */
const namesForEvent = (names: ScreeningNames, defaultTimeZone: string) => ({
  ...(names.movieTitle === null ? {} : { movieTitle: names.movieTitle }),
  ...(names.cinemaName === null ? {} : { cinemaName: names.cinemaName }),
  ...(names.hallName === null ? {} : { hallName: names.hallName }),
  timeZone: names.cinemaTimeZone ?? defaultTimeZone
})

/** Where a page of the active screenings continues: after this (startsAt, screeningId). */
export interface ScreeningsPosition {
  readonly startsAt: number
  readonly screeningId: string
}

/** What a live seat map stream sends first: a snapshot, or the changes after the client's version. */
export interface SeatStreamStart {
  /** The version the stream is at once these frames are sent. */
  readonly version: number
  readonly frames: ReadonlyArray<SeatFrame>
}

/** The most change-log entries one flush or one resume reads back. */
const CHANGES_READ_LIMIT = 10_000

/** `GET /screenings` as the use case takes it: the filters, and the page. */
export interface ScreeningsListRequest {
  readonly movieId?: string | undefined
  readonly cinemaId?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly limit: number
  readonly after: ScreeningsPosition | undefined
}

export interface ScreeningsShape {
  readonly schedule: (
    input: ScreeningsApi.ScheduleScreeningBody,
    origin: Origin
  ) => Effect.Effect<Screening, MovieUnknown | HallUnknown | HallBusy | StartTimeInPast | StartTimeTooFar | StoreError>
  readonly update: (
    screeningId: string,
    patch: ScreeningsApi.UpdateScreeningBody,
    origin: Origin
  ) => Effect.Effect<
    Screening,
    ScreeningNotFound | ScreeningAlreadyCancelled | ScreeningStarted | HallBusy | StartTimeInPast | StartTimeTooFar | StoreError
  >
  readonly cancel: (
    screeningId: string,
    origin: Origin
  ) => Effect.Effect<void, ScreeningNotFound | ScreeningStarted | StoreError>
  readonly get: (screeningId: string) => Effect.Effect<Screening, ScreeningNotFound>
  readonly list: (
    request: ScreeningsListRequest
  ) => Effect.Effect<{ items: Array<Screening>; next: ScreeningsPosition | null }>
  /** The seat map with its version, read together. */
  readonly seatMap: (screeningId: string) => Effect.Effect<ScreeningsApi.SeatMapSnapshot, ScreeningNotFound>
  /** Only the seat map's version (one indexed read): enough to answer a conditional GET. */
  readonly seatVersion: (screeningId: string) => Effect.Effect<number, ScreeningNotFound>
  /**
   * The first frames of a live stream: the changes after `lastEventId` when every one of them is still
   * logged, else a snapshot. Synchronous, so a caller that subscribed just before misses nothing.
   */
  readonly openSeatStream: (
    screeningId: string,
    lastEventId: number | undefined
  ) => Effect.Effect<SeatStreamStart, ScreeningNotFound>
  /** Forgets logged seat changes beyond the kept window; how many were dropped. */
  readonly pruneSeatChanges: () => Effect.Effect<number, StoreError>
  readonly recordHall: (hall: EventData<"HallCreated">) => Effect.Effect<void, StoreError>
  readonly projectCinema: (cinema: EventData<"CinemaCreated">) => Effect.Effect<boolean, StoreError>
  readonly deleteCinema: (cinemaId: string, origin: Origin) => Effect.Effect<Array<string>, StoreError>
  readonly projectMovie: (movie: EventData<"MovieAdded">) => Effect.Effect<boolean, StoreError>
  readonly removeMovie: (movieId: string, origin: Origin) => Effect.Effect<Array<string>, StoreError>
  readonly applyTickets: (
    to: TicketTransition,
    screeningId: string,
    tickets: Tickets
  ) => Effect.Effect<number, StoreError>
}

const make = Effect.gen(function* () {
  const store = yield* Store
  const ids = yield* Ids
  const settings = yield* ScreeningsSettings
  const feed = yield* SeatFeed
  return Screenings.of(makeScreenings(store, makeScreeningsRepo(store.db), settings, feed, ids))
})

export class Screenings extends Context.Service<Screenings, ScreeningsShape>()("screenings/app/Screenings") {
  static readonly layer = Layer.effect(Screenings, make)
}

const makeScreenings = (
  store: StoreShape,
  repo: ScreeningsRepo,
  config: ScreeningsSettingsShape,
  feed: SeatHub,
  ids: IdsShape
): ScreeningsShape => {
  const cleaningGapMs = config.cleaningGapMinutes * 60_000
  const view = (r: ScreeningRow): Screening => toScreening(r, repo.names(r), config.defaultTimeZone)

  const cancelledEvents = (screeningIds: ReadonlyArray<string>, reason: string, origin: Origin) =>
    screeningIds.map((screeningId) =>
      eventMessage(PRODUCER, "ScreeningCancelled", { screeningId, reason }, origin)
    )

  const ensureHallFree = (hallId: string, screeningId: string, startsAt: number, endsAt: number) => {
    const occupied = occupancyOf(startsAt, endsAt, cleaningGapMs)
    const conflict = repo.hallConflict({
      hallId,
      exceptScreeningId: screeningId,
      from: occupied.from,
      until: occupied.until,
      cleaningGapMs
    })
    return conflict === undefined ? Effect.void : Effect.fail(new HallBusy({ hallId, conflictingScreeningId: conflict }))
  }

  const validStart = (startsAt: string, now: number) => {
    const checked = checkStartTime(startsAt, now)
    return typeof checked === "number" ? Effect.succeed(checked) : Effect.fail(checked)
  }

  const schedule = Effect.fn("Screenings.schedule")(function* (input: ScreeningsApi.ScheduleScreeningBody, origin: Origin) {
    const now = yield* Clock.currentTimeMillis
    const startsAt = yield* validStart(input.startsAt, now)
    return yield* store.transaction(
      Effect.gen(function* () {
        const movie = repo.movie(input.movieId)
        if (movie === undefined || movie.removed || movie.durationMinutes === null) {
          return yield* new MovieUnknown({ movieId: input.movieId })
        }
        const hall = repo.hall(input.hallId)
        if (hall === undefined || hall.cinemaDeleted) return yield* new HallUnknown({ hallId: input.hallId })
        const screeningId = ids.next()
        const endsAt = endsAtOf(startsAt, movie.durationMinutes)
        yield* ensureHallFree(hall.hallId, screeningId, startsAt, endsAt)
        const row: ScreeningRow = {
          screeningId,
          movieId: input.movieId,
          cinemaId: hall.cinemaId,
          hallId: hall.hallId,
          startsAt,
          endsAt,
          priceAmount: input.price.amount,
          priceCurrency: input.price.currency,
          status: "scheduled",
          revision: 1
        }
        repo.insertScreening(row, now)
        const names = repo.names(row)
        const screening = toScreening(row, names, config.defaultTimeZone)
        store.appendOutbox([
          eventMessage(
            PRODUCER,
            "ScreeningScheduled",
            {
              screeningId: screening.screeningId,
              revision: 1,
              movieId: screening.movieId,
              cinemaId: screening.cinemaId,
              hallId: screening.hallId,
              startsAt: screening.startsAt,
              endsAt: screening.endsAt,
              price: screening.price,
              seatNumbers: seatNumbersOf(hall.rows),
              ...namesForEvent(names, config.defaultTimeZone)
            },
            origin
          )
        ])
        return screening
      })
    )
  })

  const update = Effect.fn("Screenings.update")(function* (
    screeningId: string,
    patch: ScreeningsApi.UpdateScreeningBody,
    origin: Origin
  ) {
    const now = yield* Clock.currentTimeMillis
    const newStart = patch.startsAt === undefined ? undefined : yield* validStart(patch.startsAt, now)
    return yield* store.transaction(
      Effect.gen(function* () {
        const current = repo.screening(screeningId)
        if (current === undefined) return yield* new ScreeningNotFound({ screeningId })
        if (current.status === "cancelled") return yield* new ScreeningAlreadyCancelled({ screeningId })
        if (hasStarted(current.startsAt, now)) return yield* new ScreeningStarted({ screeningId })
        // The running time was fixed when the screening was scheduled; moving it keeps that length.
        const startsAt = newStart ?? current.startsAt
        const endsAt = startsAt + (current.endsAt - current.startsAt)
        const price = patch.price ?? { amount: current.priceAmount, currency: current.priceCurrency }
        const unchanged =
          startsAt === current.startsAt && price.amount === current.priceAmount && price.currency === current.priceCurrency
        if (unchanged) return view(current)
        if (startsAt !== current.startsAt) yield* ensureHallFree(current.hallId, screeningId, startsAt, endsAt)
        const next = { screeningId, expectedRevision: current.revision, startsAt, endsAt, priceAmount: price.amount, priceCurrency: price.currency }
        // Within this IMMEDIATE transaction nothing can move the row, but the guard states the rule.
        if (!repo.updateScreening(next, now)) return yield* new ScreeningStarted({ screeningId })
        const updated: ScreeningRow = { ...current, startsAt, endsAt, priceAmount: price.amount, priceCurrency: price.currency, revision: current.revision + 1 }
        const names = repo.names(updated)
        const screening = toScreening(updated, names, config.defaultTimeZone)
        store.appendOutbox([
          eventMessage(
            PRODUCER,
            "ScreeningUpdated",
            {
              screeningId,
              revision: updated.revision,
              startsAt: screening.startsAt,
              endsAt: screening.endsAt,
              price: screening.price,
              ...namesForEvent(names, config.defaultTimeZone)
            },
            origin
          )
        ])
        return screening
      })
    )
  })

  const cancel = Effect.fn("Screenings.cancel")(function* (screeningId: string, origin: Origin) {
    const now = yield* Clock.currentTimeMillis
    yield* store.transaction(
      Effect.gen(function* () {
        const current = repo.screening(screeningId)
        if (current === undefined) return yield* new ScreeningNotFound({ screeningId })
        if (current.status === "cancelled") return // cancelling twice is the same as once
        if (hasStarted(current.startsAt, now) || !repo.cancelScreening(screeningId, CancelReason.staff, now)) {
          return yield* new ScreeningStarted({ screeningId })
        }
        store.appendOutbox(cancelledEvents([screeningId], CancelReason.staff, origin))
      })
    )
  })

  const get = Effect.fn("Screenings.get")(function* (screeningId: string) {
    const row = repo.screening(screeningId)
    if (row === undefined) return yield* new ScreeningNotFound({ screeningId })
    return view(row)
  })

  const list = Effect.fn("Screenings.list")(function* (query: ScreeningsListRequest) {
    const now = yield* Clock.currentTimeMillis
    const limit = query.limit
    const rows = repo.listActive({
      now,
      movieId: query.movieId ?? null,
      cinemaId: query.cinemaId ?? null,
      from: query.from === undefined ? null : Date.parse(query.from),
      to: query.to === undefined ? null : Date.parse(query.to),
      after: query.after ?? null,
      limit: limit + 1
    })
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return {
      items: page.map(view),
      next: rows.length > limit && last ? { startsAt: last.startsAt, screeningId: last.screeningId } : null
    }
  })

  /** The map and its version in one synchronous read, so the version names exactly this map. */
  const readSeatMap = (screeningId: string): ScreeningsApi.SeatMapSnapshot | undefined => {
    const screening = repo.screening(screeningId)
    const hall = screening && repo.hall(screening.hallId)
    if (screening === undefined || hall === undefined) return undefined
    const view = buildSeatMap(hall.rows, repo.heldSeats(screeningId))
    const ids = { screeningId, hallId: hall.hallId } as Pick<ScreeningsApi.SeatMap, "screeningId" | "hallId">
    return { ...ids, ...view, version: repo.currentSeatVersion(screeningId) }
  }

  const seatMap = Effect.fn("Screenings.seatMap")(function* (screeningId: string) {
    const snapshot = readSeatMap(screeningId)
    if (snapshot === undefined) return yield* new ScreeningNotFound({ screeningId })
    return snapshot
  })

  const seatVersion = Effect.fn("Screenings.seatVersion")(function* (screeningId: string) {
    const row = repo.seatVersion(screeningId)
    if (row === undefined || !row.hallKnown) return yield* new ScreeningNotFound({ screeningId })
    return row.version
  })

  const openSeatStream = Effect.fn("Screenings.openSeatStream")(function* (screeningId: string, lastEventId: number | undefined) {
    const current = repo.seatVersion(screeningId)
    if (current === undefined || !current.hallKnown) return yield* new ScreeningNotFound({ screeningId })
    if (lastEventId === current.version) return { version: current.version, frames: [] }
    const missed = lastEventId === undefined ? 0 : current.version - lastEventId
    if (lastEventId !== undefined && missed > 0 && missed <= CHANGES_READ_LIMIT) {
      const rows = repo.seatChangesAfter(screeningId, lastEventId, missed)
      // Versions are unique and at most the current one: `missed` rows are exactly the versions missed.
      if (rows.length === missed) {
        return { version: current.version, frames: rows.map((r) => seatsFrame({ version: r.version, changes: r.changes })) }
      }
    }
    const cached = feed.snapshot(screeningId, current.version)
    if (cached !== undefined) return { version: current.version, frames: [cached] }
    const snapshot = readSeatMap(screeningId)
    if (snapshot === undefined) return yield* new ScreeningNotFound({ screeningId })
    const frame = snapshotFrame(snapshot)
    feed.keepSnapshot(screeningId, frame)
    return { version: snapshot.version, frames: [frame] }
  })

  const pruneSeatChanges = Effect.fn("Screenings.pruneSeatChanges")(function* () {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => repo.pruneSeatChanges(now - config.seatChangesKeepMs, config.seatChangesKeepVersions))
    )
  })

  // Seat changes reach the streams only once committed: the consumer applies events inside its own batch
  // transaction (each in a savepoint that may roll back), so what is published is read back from the log
  // after the outermost commit, once per change, whatever the number of viewers. All changes of one
  // commit travel as one write per stream (the write, a system call per stream, is what a crowd makes
  // expensive); a busy consumer commits bigger batches, so this coalescing grows with the load by itself.
  // `seatStreamCoalesceMs` > 0 also throttles: a change after a quiet spell goes out at once, later ones
  // within that many ms of the last flush wait for the next one and travel together.
  const unpublished = new Map<string, number>()
  let flushScheduled = false
  let lastFlushAt = Number.NEGATIVE_INFINITY
  // Registered inside the transaction that changed the seats; noted only once it has committed (a rolled-back
  // change is never read back nor published).
  const noteSeatChange = (screeningId: string, version: number) =>
    store.afterCommit(() => {
      const lowest = unpublished.get(screeningId)
      if (lowest === undefined || version < lowest) unpublished.set(screeningId, version)
      if (flushScheduled) return
      flushScheduled = true
      const wait = lastFlushAt + config.seatStreamCoalesceMs - performance.now()
      if (wait > 0) setTimeout(flushSeatChanges, wait)
      else queueMicrotask(flushSeatChanges)
    })
  // Runs on a later turn than the commits it publishes: never inside a transaction (they are synchronous).
  const flushSeatChanges = () => {
    flushScheduled = false
    lastFlushAt = performance.now()
    const screenings = [...unpublished]
    unpublished.clear()
    for (const [screeningId, lowest] of screenings) {
      if (!feed.watched(screeningId)) continue
      const rows = repo.seatChangesAfter(screeningId, lowest - 1, CHANGES_READ_LIMIT)
      // The changes of one commit go out together: one write per stream however many there are.
      if (rows.length > 0) feed.publish(screeningId, joinFrames(rows.map((r) => seatsFrame({ version: r.version, changes: r.changes }))))
    }
  }

  const recordHall = Effect.fn("Screenings.recordHall")(function* (hall: EventData<"HallCreated">) {
    yield* store.transaction(Effect.sync(() => repo.recordHall(hall)))
  })

  const projectCinema = Effect.fn("Screenings.projectCinema")(function* (cinema: EventData<"CinemaCreated">) {
    return yield* store.transaction(Effect.sync(() => repo.upsertCinema(cinema)))
  })

  const deleteCinema = Effect.fn("Screenings.deleteCinema")(function* (cinemaId: string, origin: Origin) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => {
        repo.markCinemaDeleted(cinemaId, now)
        const cancelled = repo.cancelFutureScreeningsOfCinema(cinemaId, CancelReason.cinemaDeleted, now)
        store.appendOutbox(cancelledEvents(cancelled, CancelReason.cinemaDeleted, origin))
        return cancelled
      })
    )
  })

  const projectMovie = Effect.fn("Screenings.projectMovie")(function* (movie: EventData<"MovieAdded">) {
    return yield* store.transaction(Effect.sync(() => repo.upsertMovie(movie)))
  })

  const removeMovie = Effect.fn("Screenings.removeMovie")(function* (movieId: string, origin: Origin) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => {
        repo.markMovieRemoved(movieId)
        const cancelled = repo.cancelFutureScreeningsOfMovie(movieId, CancelReason.movieRemoved, now)
        store.appendOutbox(cancelledEvents(cancelled, CancelReason.movieRemoved, origin))
        return cancelled
      })
    )
  })

  const applyTickets = Effect.fn("Screenings.applyTickets")(function* (
    to: TicketTransition,
    screeningId: string,
    tickets: Tickets
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => {
        const applied = repo.applyTicket(to, screeningId, tickets, now)
        if (applied.version !== undefined) noteSeatChange(screeningId, applied.version)
        return applied.tickets
      })
    )
  })

  return {
    schedule,
    update,
    cancel,
    get,
    list,
    seatMap,
    seatVersion,
    openSeatStream,
    pruneSeatChanges,
    recordHall,
    projectCinema,
    deleteCinema,
    projectMovie,
    removeMovie,
    applyTickets
  }
}

