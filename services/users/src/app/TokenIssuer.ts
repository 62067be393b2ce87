// Mints access tokens with the service's Ed25519 key, generated once and persisted in the users database.
import { newId } from "@bat/contracts"
import {
  currentSigningKey,
  insertSigningKey,
  publicSigningKeys,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type Role,
  type StoredKey
} from "@bat/http"
import { Store, type StoreShape } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JSONWebKeySet } from "jose"
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

/** A fresh key pair; its id is the RFC 7638 thumbprint of the public key. */
const generateSigningKey = async (): Promise<StoredKey> => {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: "Ed25519", extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const meta = { kid, alg: ALG, use: "sig" }
  return { kid, publicJwk: { ...publicJwk, ...meta }, privateJwk: { ...(await exportJWK(privateKey)), ...meta } }
}

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
  const { ttlMinutes } = yield* UsersSettings
  let key = currentSigningKey(store.db)
  if (key === undefined) {
    const generated = yield* Effect.promise(generateSigningKey)
    const now = yield* Clock.currentTimeMillis
    store.transactSync(() => insertSigningKey(store.db, generated, now))
    key = currentSigningKey(store.db) ?? generated
  }
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
        .setJti(newId())
        .sign(privateKey)
    )
  })
  return TokenIssuer.of({ jwks, sign })
})

export class TokenIssuer extends Context.Service<TokenIssuer, TokenIssuerShape>()("users/app/TokenIssuer") {
  static readonly layer = Layer.effect(TokenIssuer, make)
}
