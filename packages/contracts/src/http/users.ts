// HTTP request and response bodies of the users service.
import { Schema } from "effect"
import { Uuid } from "../primitives.ts"
import { Role } from "../users.ts"
import { PathId } from "./common.ts"

/** An e-mail address; the service stores it lower-cased. */
export const Email = Schema.String.check(
  Schema.isMaxLength(254),
  Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: "Expected an e-mail address such as ann@example.com" })
)

/** At least 8 characters; a generous upper bound keeps hashing cheap for absurd inputs. */
export const Password = Schema.String.check(
  Schema.isMinLength(8, { message: "A password needs at least 8 characters" }),
  Schema.isMaxLength(1024, { message: "A password may have at most 1024 characters" })
)

export const FullName = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200), Schema.isTrimmed())

export const RegisterRequest = Schema.Struct({ fullName: FullName, email: Email, password: Password })
export type RegisterRequest = typeof RegisterRequest.Type

/** Login checks only the shape: whether the e-mail or password is right is a 401, never a 422. */
export const LoginRequest = Schema.Struct({
  email: Schema.String.check(Schema.isMaxLength(254)),
  password: Schema.String.check(Schema.isMaxLength(1024))
})
export type LoginRequest = typeof LoginRequest.Type

export const User = Schema.Struct({ userId: Uuid, fullName: Schema.String, email: Schema.String, role: Role })
export type User = typeof User.Type

export const LoginResponse = Schema.Struct({ token: Schema.String, user: User })
export type LoginResponse = typeof LoginResponse.Type

/** Path parameters of `/users/:userId/...`; any string, so an unknown or malformed id is a 404 `user_not_found`. */
export const UserParams = Schema.Struct({ userId: PathId })
