// HTTP request and response bodies of the screenings service.
import { Schema } from "effect"
import { CinemaId, Currency, HallId, IsoDateTime, MovieId, ScreeningId, SeatNumber, Uuid } from "../primitives.ts"
import { Page, PageQuery, PathId } from "./common.ts"

/** A ticket price: integer minor units, bounded so it stays an exact integer everywhere. */
export const Price = Schema.Struct({
  amount: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000_000 })),
  currency: Currency
})
export type Price = typeof Price.Type

export const ScreeningStatus = Schema.Literals(["scheduled", "cancelled"])
export type ScreeningStatus = typeof ScreeningStatus.Type

export const Screening = Schema.Struct({
  screeningId: ScreeningId,
  movieId: MovieId,
  cinemaId: CinemaId,
  hallId: HallId,
  startsAt: IsoDateTime,
  endsAt: IsoDateTime,
  price: Price,
  status: ScreeningStatus
})
export type Screening = typeof Screening.Type

export const ScreeningPage = Page(Screening)

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
  movieId: Schema.optional(Uuid),
  cinemaId: Schema.optional(Uuid),
  from: Schema.optional(IsoDateTime),
  to: Schema.optional(IsoDateTime)
})
export type ScreeningsQuery = typeof ScreeningsQuery.Type

export const SeatStatus = Schema.Literals(["available", "reserved", "booked"])
export type SeatStatus = typeof SeatStatus.Type

export const SeatMap = Schema.Struct({
  screeningId: ScreeningId,
  hallId: HallId,
  rows: Schema.Array(
    Schema.Struct({
      label: Schema.String,
      seats: Schema.Array(Schema.Struct({ seatNumber: SeatNumber, status: SeatStatus }))
    })
  ),
  counts: Schema.Struct({ available: Schema.Int, reserved: Schema.Int, booked: Schema.Int })
})
export type SeatMap = typeof SeatMap.Type
