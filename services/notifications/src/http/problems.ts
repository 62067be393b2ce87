// The notifications service's tagged errors as HTTP problems: status, stable code and a sentence for people.
import type { ProblemTableOf } from "@bat/http"
import type {
  LastEventIdInvalid
} from "../domain/errors.ts"

/** The tagged errors the service's use cases answer HTTP requests with. */
export type NotificationsError =
  | LastEventIdInvalid

export const problems = {
  LastEventIdInvalid: {
    status: 422,
    code: "invalid_last_event_id",
    detail: () => "Last-Event-ID must be the id of an event this stream sent (a non-negative integer)."
  }
} satisfies ProblemTableOf<NotificationsError>
