// Events published by the screenings service to `screenings.events`.
import { Schema } from "effect"
import { CinemaId, HallId, IsoDateTime, Money, MovieId, ScreeningId, SeatNumber, TimeZone } from "./primitives.ts"

const Revision = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/**
 * The names a person reads, as the screenings service knew them when the screening was scheduled or
 * updated; each is absent when it was not known then (or on events written before they were carried).
 */
const Names = {
  movieTitle: Schema.optionalKey(Schema.String),
  cinemaName: Schema.optionalKey(Schema.String),
  hallName: Schema.optionalKey(Schema.String),
  timeZone: Schema.optionalKey(TimeZone)
}

export const ScreeningScheduled = Schema.Struct({
  screeningId: ScreeningId,
  revision: Revision,
  movieId: MovieId,
  cinemaId: CinemaId,
  hallId: HallId,
  startsAt: IsoDateTime,
  endsAt: IsoDateTime,
  price: Money,
  seatNumbers: Schema.Array(SeatNumber),
  ...Names
})
export const ScreeningUpdated = Schema.Struct({
  screeningId: ScreeningId,
  revision: Revision,
  startsAt: IsoDateTime,
  endsAt: IsoDateTime,
  price: Money,
  ...Names
})
export const ScreeningCancelled = Schema.Struct({
  screeningId: ScreeningId,
  reason: Schema.String
})
