// How the users service's tagged errors become problem+json: the one place their statuses are decided.
import type { ProblemTableOf } from "@bat/http"
import type {
  EmailTaken,
  InvalidCredentials,
  UserNotFound,
  UnregisterForbidden
} from "../domain/errors.ts"

/** The tagged errors the service's use cases answer HTTP requests with. */
export type UsersError =
  | EmailTaken
  | InvalidCredentials
  | UserNotFound
  | UnregisterForbidden

export const problems = {
  EmailTaken: { status: 409, code: "email_taken" },
  InvalidCredentials: { status: 401, code: "invalid_credentials" },
  UserNotFound: { status: 404, code: "user_not_found" },
  UnregisterForbidden: { status: 403, code: "forbidden" }
} satisfies ProblemTableOf<UsersError>
