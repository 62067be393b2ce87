// How each expected failure of the screenings service is answered over HTTP.
import type { ProblemTableOf } from "@bat/http"
import type {
  ScreeningNotFound,
  MovieUnknown,
  HallUnknown,
  HallBusy,
  ScreeningStarted,
  ScreeningAlreadyCancelled,
  StartTimeInPast,
  StartTimeTooFar
} from "../domain/errors.ts"

/** The tagged errors the service's use cases answer HTTP requests with. */
export type ScreeningsError =
  | ScreeningNotFound
  | MovieUnknown
  | HallUnknown
  | HallBusy
  | ScreeningStarted
  | ScreeningAlreadyCancelled
  | StartTimeInPast
  | StartTimeTooFar

export const problems = {
  ScreeningNotFound: { status: 404, code: "screening_not_found", detail: () => "No such screening." },
  MovieUnknown: { status: 422, code: "unknown_movie", detail: () => "No such movie, or it was removed." },
  HallUnknown: { status: 422, code: "unknown_hall", detail: () => "No such hall, or its cinema was deleted." },
  HallBusy: {
    status: 409,
    code: "hall_busy",
    detail: (e: { conflictingScreeningId: string }) =>
      `The hall is occupied by screening ${e.conflictingScreeningId} (including the cleaning gap).`
  },
  ScreeningStarted: { status: 409, code: "screening_started", detail: () => "The screening has already begun." },
  ScreeningAlreadyCancelled: { status: 409, code: "screening_cancelled", detail: () => "The screening was cancelled." },
  StartTimeInPast: { status: 422, code: "starts_at_in_past", detail: () => "startsAt must lie in the future." },
  StartTimeTooFar: { status: 422, code: "starts_at_too_far", detail: () => "startsAt lies too far in the future." }
} satisfies ProblemTableOf<ScreeningsError>
