// How the users service's tagged errors become problem+json: the one place their statuses are decided.
import type { ProblemTable } from "@bat/http"

export const problems: ProblemTable = {
  EmailTaken: { status: 409, code: "email_taken" },
  InvalidCredentials: { status: 401, code: "invalid_credentials" },
  UserNotFound: { status: 404, code: "user_not_found" },
  UnregisterForbidden: { status: 403, code: "forbidden" }
}
