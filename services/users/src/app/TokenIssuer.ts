// Mints access tokens with the service's Ed25519 key, generated once and persisted in the users database.
import { Ids } from "@bat/contracts"
import { loadOrCreateSigningKey, publicSigningKeys, TOKEN_AUDIENCE, TOKEN_ISSUER, type Role } from "@bat/http"
import { Store, type StoreShape } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { importJWK, SignJWT, type JSONWebKeySet } from "jose"
import { UsersSettings } from "./UsersSettings.ts"

export interface TokenSubject {
  readonly userId: string
  readonly role: Role
  readonly email: string
}

export interface TokenIssuerShape {
  /** The public keys, as served at /users/.well-known/jwks.json. */
  readonly jwks: JSONWebKeySet
  readonly sign: (subject: TokenSubject) => Effect.Effect<string>
}

const ALG = "EdDSA"

/** The key set verifying this service's tokens, read from the database once it holds a key. */
export const localKeySet = (store: StoreShape): (() => JSONWebKeySet) => {
  let cached: JSONWebKeySet | undefined
  return () => {
    if (cached !== undefined) return cached
    const keys = publicSigningKeys(store.db)
    const set = { keys }
    if (keys.length > 0) cached = set
    return set
  }
}

const make = Effect.gen(function* () {
  const store = yield* Store
  const ids = yield* Ids
  const { ttlMinutes } = yield* UsersSettings
  const key = yield* loadOrCreateSigningKey(store)
  const { kid } = key
  const privateKey = yield* Effect.promise(() => importJWK(key.privateJwk, ALG))
  const jwks: JSONWebKeySet = { keys: publicSigningKeys(store.db) }

  const sign = Effect.fn("TokenIssuer.sign")(function* (subject: TokenSubject) {
    const nowSeconds = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    return yield* Effect.promise(() =>
      new SignJWT({ role: subject.role, email: subject.email })
        .setProtectedHeader({ alg: ALG, kid, typ: "JWT" })
        .setSubject(subject.userId)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + ttlMinutes * 60)
        .setJti(ids.next())
        .sign(privateKey)
    )
  })
  return TokenIssuer.of({ jwks, sign })
})

export class TokenIssuer extends Context.Service<TokenIssuer, TokenIssuerShape>()("users/app/TokenIssuer") {
  static readonly layer = Layer.effect(TokenIssuer, make)
}
