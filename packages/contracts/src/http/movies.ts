// HTTP request and response bodies of the movies service.
import { Schema } from "effect"
import { NonEmptyText, Uuid } from "../primitives.ts"
import { PathId } from "./common.ts"

const atLeastOneField = Schema.makeFilter((o: object) => Object.keys(o).length > 0 || "At least one field is required")

export const DurationMinutes = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 600 }))

export const AddMovieRequest = Schema.Struct({
  title: NonEmptyText(200),
  genre: NonEmptyText(50),
  durationMinutes: DurationMinutes
})
export type AddMovieRequest = typeof AddMovieRequest.Type

export const UpdateMovieRequest = Schema.Struct({
  title: Schema.optionalKey(NonEmptyText(200)),
  genre: Schema.optionalKey(NonEmptyText(50)),
  durationMinutes: Schema.optionalKey(DurationMinutes)
}).check(atLeastOneField)
export type UpdateMovieRequest = typeof UpdateMovieRequest.Type

export const Movie = Schema.Struct({
  movieId: Uuid,
  title: Schema.String,
  genre: Schema.String,
  durationMinutes: Schema.Int,
  revision: Schema.Int
})
export type Movie = typeof Movie.Type

/** Path parameters; any string, so an unknown or malformed id is a 404 `movie_not_found`. */
export const MovieParams = Schema.Struct({ id: PathId })
