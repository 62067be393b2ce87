// How the movies service's tagged errors become problem+json.
import type { ProblemTableOf } from "@bat/http"
import type {
  MovieNotFound
} from "../domain/errors.ts"

/** The tagged errors the service's use cases answer HTTP requests with. */
export type MoviesError =
  | MovieNotFound

export const problems = {
  MovieNotFound: { status: 404, code: "movie_not_found" }
} satisfies ProblemTableOf<MoviesError>
