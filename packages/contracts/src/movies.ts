// Events published by the movies service to `movies.events`.
import { Schema } from "effect"
import { MovieId } from "./primitives.ts"

export const MovieAdded = Schema.Struct({
  movieId: MovieId,
  revision: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  title: Schema.String,
  genre: Schema.String,
  durationMinutes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})
export const MovieUpdated = MovieAdded
export const MovieRemoved = Schema.Struct({ movieId: MovieId })
