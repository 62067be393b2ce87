// The users service's expected failures; packages/http maps each to a problem (see http/problems.ts).
import { Schema } from "effect"

export class EmailTaken extends Schema.TaggedError<EmailTaken>()("EmailTaken", {
  message: Schema.String
}) {}

/** Wrong e-mail or wrong password: deliberately one error, so a caller cannot tell which. */
export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {
  message: Schema.String
}) {}

export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  userId: Schema.String,
  message: Schema.String
}) {}

export class UnregisterForbidden extends Schema.TaggedError<UnregisterForbidden>()("UnregisterForbidden", {
  userId: Schema.String,
  message: Schema.String
}) {}

/** The service cannot start: its configuration is missing or wrong. */
export class UsersConfigInvalid extends Schema.TaggedError<UsersConfigInvalid>()("UsersConfigInvalid", {
  message: Schema.String
}) {}
