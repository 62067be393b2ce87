// Events published by the screenings service to `screenings.events`.
import { Schema } from "effect"
import { CinemaId, HallId, IsoDateTime, Money, MovieId, ScreeningId, SeatNumber } from "./primitives.ts"

const Revision = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const ScreeningScheduled = Schema.Struct({
  screeningId: ScreeningId,
  revision: Revision,
  movieId: MovieId,
  cinemaId: CinemaId,
  hallId: HallId,
  startsAt: IsoDateTime,
  endsAt: IsoDateTime,
  price: Money,
  seatNumbers: Schema.Array(SeatNumber)
})
export const ScreeningUpdated = Schema.Struct({
  screeningId: ScreeningId,
  revision: Revision,
  startsAt: IsoDateTime,
  endsAt: IsoDateTime,
  price: Money
})
export const ScreeningCancelled = Schema.Struct({
  screeningId: ScreeningId,
  reason: Schema.String
})
