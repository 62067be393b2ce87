// The notifications service's tagged errors as HTTP problems: status, stable code and a sentence for people.
import type { ProblemTable } from "@bat/http"

export const problems: ProblemTable = {
  LastEventIdInvalid: {
    status: 422,
    code: "invalid_last_event_id",
    detail: () => "Last-Event-ID must be the id of an event this stream sent (a non-negative integer)."
  }
}
