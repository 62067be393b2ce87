// The screenings service's expected failures, each carrying the ids involved.
import { Schema } from "effect"

export class ScreeningNotFound extends Schema.TaggedError<ScreeningNotFound>()("ScreeningNotFound", {
  screeningId: Schema.String
}) {}

export class MovieUnknown extends Schema.TaggedError<MovieUnknown>()("MovieUnknown", {
  movieId: Schema.String
}) {}

export class HallUnknown extends Schema.TaggedError<HallUnknown>()("HallUnknown", {
  hallId: Schema.String
}) {}

/** The hall is occupied (screening plus cleaning gap) by another scheduled screening. */
export class HallBusy extends Schema.TaggedError<HallBusy>()("HallBusy", {
  hallId: Schema.String,
  conflictingScreeningId: Schema.String
}) {}

export class ScreeningStarted extends Schema.TaggedError<ScreeningStarted>()("ScreeningStarted", {
  screeningId: Schema.String
}) {}

export class ScreeningAlreadyCancelled extends Schema.TaggedError<ScreeningAlreadyCancelled>()(
  "ScreeningAlreadyCancelled",
  { screeningId: Schema.String }
) {}

export class StartTimeInPast extends Schema.TaggedError<StartTimeInPast>()("StartTimeInPast", {
  startsAt: Schema.String
}) {}

export class StartTimeTooFar extends Schema.TaggedError<StartTimeTooFar>()("StartTimeTooFar", {
  startsAt: Schema.String
}) {}
