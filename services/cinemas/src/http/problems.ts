// How the cinemas service's tagged errors become problem+json.
import type { ProblemTable } from "@bat/http"

export const problems: ProblemTable = {
  CinemaNotFound: { status: 404, code: "cinema_not_found" },
  HallNameTaken: { status: 409, code: "hall_name_taken" },
  HallRowsDuplicated: { status: 422, code: "duplicate_row_label" }
}
