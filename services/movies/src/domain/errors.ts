// The movies service's expected failures; http/problems.ts decides their statuses.
import { Schema } from "effect"

export class MovieNotFound extends Schema.TaggedError<MovieNotFound>()("MovieNotFound", {
  movieId: Schema.String,
  message: Schema.String
}) {}
