// HTTP request and response bodies of the users service.
import { Schema } from "effect"
import { Uuid } from "../primitives.ts"
import { Role } from "../users.ts"
import { PathId } from "./common.ts"

// Lengths count Unicode code points (`isMin/MaxCodePoints`), as JSON Schema's minLength/maxLength do,
// so the published limits are the enforced ones to the character.

/** An e-mail address; the service stores it lower-cased. */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u
export const Email = Schema.String.check(
  Schema.isMaxCodePoints(254),
  Schema.isPattern(EMAIL, { message: "Expected an e-mail address such as ann@example.com" })
)

/** 8 to 1024 characters; the upper bound keeps hashing cheap for absurd inputs. */
export const Password = Schema.String.check(
  Schema.isMinCodePoints(8, { message: "A password needs at least 8 characters" }),
  Schema.isMaxCodePoints(1024, { message: "A password may have at most 1024 characters" })
)

export const FullName = Schema.String.check(Schema.isMinCodePoints(1), Schema.isMaxCodePoints(200), Schema.isTrimmed())

export const RegisterRequest = Schema.Struct({ fullName: FullName, email: Email, password: Password })
export type RegisterRequest = typeof RegisterRequest.Type

/** Login checks only the shape: whether the e-mail or password is right is a 401, never a 422. */
export const LoginRequest = Schema.Struct({
  email: Schema.String.check(Schema.isMaxCodePoints(254)),
  password: Schema.String.check(Schema.isMaxCodePoints(1024))
})
export type LoginRequest = typeof LoginRequest.Type

/** An account as its owner sees it (`POST /users/register` 201, `GET /users/me`, inside the login answer). */
export const User = Schema.Struct({ userId: Uuid, fullName: Schema.String, email: Schema.String, role: Role })
export type User = typeof User.Type

export const LoginResponse = Schema.Struct({
  token: Schema.String.annotate({ description: "An access token (a JWT signed with EdDSA); send it as `Authorization: Bearer <token>`." }),
  user: User
})
export type LoginResponse = typeof LoginResponse.Type

/** One public signing key (RFC 8037 Ed25519 JWK) with its key id. */
export const SigningKey = Schema.Struct({
  kty: Schema.Literal("OKP"),
  crv: Schema.Literal("Ed25519"),
  /** The public key, base64url. */
  x: Schema.String,
  /** Its RFC 7638 thumbprint: what a token's `kid` header names. */
  kid: Schema.String,
  alg: Schema.Literal("EdDSA"),
  use: Schema.Literal("sig")
})

/** `GET /users/.well-known/jwks.json`: every key that still verifies tokens, newest first. */
export const Jwks = Schema.Struct({ keys: Schema.Array(SigningKey) })
export type Jwks = typeof Jwks.Type

/** Path parameters of `/users/:userId/...`; any string, so an unknown or malformed id is a 404 `user_not_found`. */
export const UserParams = Schema.Struct({ userId: PathId })
