// HTTP request and response bodies of the movies service.
import { Schema } from "effect"
import { NonEmptyText, Uuid } from "../primitives.ts"
import { hasAnyOf, Page, PathId } from "./common.ts"

export const DurationMinutes = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 600 }))

export const AddMovieRequest = Schema.Struct({
  title: NonEmptyText(200),
  genre: NonEmptyText(50),
  durationMinutes: DurationMinutes
})
export type AddMovieRequest = typeof AddMovieRequest.Type

/** `PATCH /movies/{id}`: only the given fields change; at least one is given. */
export const UpdateMovieRequest = Schema.Struct({
  title: Schema.optionalKey(NonEmptyText(200)),
  genre: Schema.optionalKey(NonEmptyText(50)),
  durationMinutes: Schema.optionalKey(DurationMinutes)
}).check(hasAnyOf(["title", "genre", "durationMinutes"]))
export type UpdateMovieRequest = typeof UpdateMovieRequest.Type

/** A movie; `revision` goes up by one with every change. */
export const Movie = Schema.Struct({
  movieId: Uuid,
  title: Schema.String,
  genre: Schema.String,
  durationMinutes: Schema.Int,
  revision: Schema.Int
})
export type Movie = typeof Movie.Type

/** `GET /movies`: live movies in creation order. */
export const MoviePage = Page(Movie)
export type MoviePage = typeof MoviePage.Type

/** Path parameters; any string, so an unknown or malformed id is a 404 `movie_not_found`. */
export const MovieParams = Schema.Struct({ id: PathId })
