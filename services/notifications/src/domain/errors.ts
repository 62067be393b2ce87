// The notifications service's expected failures.
import { Schema } from "effect"

/** A `Last-Event-ID` that is not a notification sequence number. */
export class LastEventIdInvalid extends Schema.TaggedError<LastEventIdInvalid>()("LastEventIdInvalid", {
  message: Schema.String
}) {}
