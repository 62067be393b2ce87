// How the movies service's tagged errors become problem+json.
import type { ProblemTable } from "@bat/http"

export const problems: ProblemTable = {
  MovieNotFound: { status: 404, code: "movie_not_found" }
}
