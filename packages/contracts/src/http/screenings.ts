// HTTP request and response bodies of the screenings service.
import { Schema } from "effect"
import { CinemaId, Currency, HallId, IsoDateTime, IsoTimestamp, MovieId, ScreeningId, SeatNumber, TimeZone, Uuid } from "../primitives.ts"
import { Page, PageQuery, PathId } from "./common.ts"

/** A ticket price: integer minor units, bounded so it stays an exact integer everywhere. */
export const Price = Schema.Struct({
  amount: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000_000 })),
  currency: Currency
})
export type Price = typeof Price.Type

export const ScreeningStatus = Schema.Literals(["scheduled", "cancelled"])
export type ScreeningStatus = typeof ScreeningStatus.Type

/** The movie shown, as the screenings service last heard of it; a field is null if it never heard it. */
export const ScreeningMovie = Schema.Struct({
  movieId: MovieId,
  title: Schema.NullOr(Schema.String),
  genre: Schema.NullOr(Schema.String),
  durationMinutes: Schema.NullOr(Schema.Int)
})
export type ScreeningMovie = typeof ScreeningMovie.Type

/**
 * The cinema, as the screenings service last heard of it (CinemaCreated/Updated); `name` and `address` are
 * null until it has. `timeZone` is the cinema's zone, or the default zone while it is not known.
 */
export const ScreeningCinema = Schema.Struct({
  cinemaId: CinemaId,
  name: Schema.NullOr(Schema.String),
  address: Schema.NullOr(Schema.String),
  timeZone: TimeZone
})
export type ScreeningCinema = typeof ScreeningCinema.Type

export const ScreeningHall = Schema.Struct({ hallId: HallId, name: Schema.NullOr(Schema.String) })
export type ScreeningHall = typeof ScreeningHall.Type

/**
 * A screening; `endsAt` is `startsAt` plus the movie's running time, fixed when it was scheduled.
 * `movie`, `cinema` and `hall` name what the ids point to; `seatsAvailable` is the hall's capacity less the
 * seats held or booked (advisory: booking decides).
 */
export const Screening = Schema.Struct({
  screeningId: ScreeningId,
  movieId: MovieId,
  cinemaId: CinemaId,
  hallId: HallId,
  startsAt: IsoTimestamp,
  endsAt: IsoTimestamp,
  price: Price,
  status: ScreeningStatus,
  movie: ScreeningMovie,
  cinema: ScreeningCinema,
  hall: ScreeningHall,
  seatsAvailable: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})
export type Screening = typeof Screening.Type

/** `GET /screenings`: active screenings, soonest first. */
export const ScreeningPage = Page(Screening)
export type ScreeningPage = typeof ScreeningPage.Type

/** `POST /screenings` */
export const ScheduleScreeningBody = Schema.Struct({
  movieId: MovieId,
  hallId: HallId,
  startsAt: IsoDateTime,
  price: Price
})
export type ScheduleScreeningBody = typeof ScheduleScreeningBody.Type

/** `PATCH /screenings/{id}`: only the given fields change. */
export const UpdateScreeningBody = Schema.Struct({
  startsAt: Schema.optionalKey(IsoDateTime),
  price: Schema.optionalKey(Price)
})
export type UpdateScreeningBody = typeof UpdateScreeningBody.Type

/** Any string: an unknown or malformed id is a 404 `screening_not_found`, not a 422. */
export const ScreeningParams = Schema.Struct({ id: PathId })

/** `GET /screenings`: active screenings, optionally of one movie or cinema, starting within [from, to). */
export const ScreeningsQuery = Schema.Struct({
  ...PageQuery.fields,
  movieId: Schema.optionalKey(Uuid),
  cinemaId: Schema.optionalKey(Uuid),
  from: Schema.optionalKey(IsoDateTime),
  to: Schema.optionalKey(IsoDateTime)
})
export type ScreeningsQuery = typeof ScreeningsQuery.Type

export const SeatStatus = Schema.Literals(["available", "reserved", "booked"])
export type SeatStatus = typeof SeatStatus.Type

const SeatCount = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** `GET /screenings/{id}/seats`: every seat of the hall, row by row, with its status (advisory: booking decides). */
export const SeatMap = Schema.Struct({
  screeningId: ScreeningId,
  hallId: HallId,
  rows: Schema.Array(
    Schema.Struct({
      label: Schema.String,
      seats: Schema.Array(Schema.Struct({ seatNumber: SeatNumber, status: SeatStatus }))
    })
  ),
  counts: Schema.Struct({ available: SeatCount, reserved: SeatCount, booked: SeatCount })
})
export type SeatMap = typeof SeatMap.Type

/** A seat map's version: +1 for each applied change that altered at least one seat's status (0 before any). */
export const SeatMapVersion = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
export type SeatMapVersion = typeof SeatMapVersion.Type

/** The `snapshot` event of `GET /screenings/{id}/seats/stream`: the seat map as of `version`. */
export const SeatMapSnapshot = Schema.Struct({
  ...SeatMap.fields,
  version: SeatMapVersion
})
export type SeatMapSnapshot = typeof SeatMapSnapshot.Type

/** One seat's new status within a change of the seat map. */
export const SeatChange = Schema.Struct({ seatNumber: SeatNumber, status: SeatStatus })
export type SeatChange = typeof SeatChange.Type

/** A `seats` event of `GET /screenings/{id}/seats/stream`: what changed to reach `version` from `version - 1`. */
export const SeatChanges = Schema.Struct({
  version: SeatMapVersion,
  changes: Schema.Array(SeatChange)
})
export type SeatChanges = typeof SeatChanges.Type

/**
 * `GET /screenings/{id}/seats/stream`: `lastEventId` resumes after that version, for clients that cannot send
 * the `Last-Event-ID` header (which wins). Anything that is not a version this stream sent gets a snapshot.
 */
export const SeatStreamQuery = Schema.Struct({ lastEventId: Schema.optionalKey(Schema.String) })
export type SeatStreamQuery = typeof SeatStreamQuery.Type
