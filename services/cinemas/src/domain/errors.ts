// The cinemas service's expected failures; http/problems.ts decides their statuses.
import { Schema } from "effect"

export class CinemaNotFound extends Schema.TaggedError<CinemaNotFound>()("CinemaNotFound", {
  cinemaId: Schema.String,
  message: Schema.String
}) {}

export class HallNameTaken extends Schema.TaggedError<HallNameTaken>()("HallNameTaken", {
  cinemaId: Schema.String,
  name: Schema.String,
  message: Schema.String
}) {}

export class HallRowsDuplicated extends Schema.TaggedError<HallRowsDuplicated>()("HallRowsDuplicated", {
  labels: Schema.Array(Schema.String),
  message: Schema.String
}) {}
