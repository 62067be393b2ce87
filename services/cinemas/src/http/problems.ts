// How the cinemas service's tagged errors become problem+json.
import type { ProblemTableOf } from "@bat/http"
import type { CinemaNotFound, HallNameTaken, HallRowsDuplicated } from "../domain/errors.ts"

/** The tagged errors the service's use cases answer HTTP requests with. */
export type CinemasError = CinemaNotFound | HallNameTaken | HallRowsDuplicated

export const problems = {
  CinemaNotFound: { status: 404, code: "cinema_not_found" },
  HallNameTaken: { status: 409, code: "hall_name_taken" },
  HallRowsDuplicated: { status: 422, code: "duplicate_row_label" }
} satisfies ProblemTableOf<CinemasError>
