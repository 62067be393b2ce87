// The notifications service's expected failures.
import { Schema } from "effect"

/** A `cursor` that this service did not hand out. */
export class CursorInvalid extends Schema.TaggedError<CursorInvalid>()("CursorInvalid", {
  message: Schema.String
}) {}

/** A `Last-Event-ID` that is not a notification sequence number. */
export class LastEventIdInvalid extends Schema.TaggedError<LastEventIdInvalid>()("LastEventIdInvalid", {
  message: Schema.String
}) {}
