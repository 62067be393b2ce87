// SQL over a service's signing keys (users: access tokens; booking: ticket codes), generated once and
// persisted in its own database (a `signing_keys` table of its migrations), so what it signed stays valid
// across restarts.
import type { Db, StoreShape } from "@bat/store"
import { Clock, Effect } from "effect"
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose"

export interface StoredKey {
  readonly kid: string
  readonly publicJwk: JWK
  readonly privateJwk: JWK
}

interface Row {
  kid: string
  public_jwk: string
  private_jwk: string
}

const toKey = (r: Row): StoredKey => ({
  kid: r.kid,
  publicJwk: JSON.parse(r.public_jwk) as JWK,
  privateJwk: JSON.parse(r.private_jwk) as JWK
})

/** The key new tokens or codes are signed with: the newest one. */
export const currentSigningKey = (db: Db): StoredKey | undefined => {
  const r = db
    .prepare<[], Row>("SELECT kid, public_jwk, private_jwk FROM signing_keys ORDER BY created_at DESC, kid DESC LIMIT 1")
    .get()
  return r === undefined ? undefined : toKey(r)
}

/** Every public key: a key no longer signing still verifies what it signed. */
export const publicSigningKeys = (db: Db): Array<JWK> =>
  db
    .prepare<[], { public_jwk: string }>("SELECT public_jwk FROM signing_keys ORDER BY created_at DESC, kid DESC")
    .all()
    .map((r) => JSON.parse(r.public_jwk) as JWK)

/** Stores a key unless one with the same id exists. */
export const insertSigningKey = (db: Db, key: StoredKey, now: number): void => {
  db.prepare("INSERT OR IGNORE INTO signing_keys (kid, public_jwk, private_jwk, created_at) VALUES (?, ?, ?, ?)").run(
    key.kid,
    JSON.stringify(key.publicJwk),
    JSON.stringify(key.privateJwk),
    now
  )
}

/** A fresh Ed25519 key pair; its id is the RFC 7638 thumbprint of the public key. */
const generateSigningKey = async (): Promise<StoredKey> => {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const meta = { kid, alg: "EdDSA", use: "sig" }
  return { kid, publicJwk: { ...publicJwk, ...meta }, privateJwk: { ...(await exportJWK(privateKey)), ...meta } }
}

/** The key to sign with: the newest stored one, or a new one generated and stored on first start. */
export const loadOrCreateSigningKey = (store: StoreShape): Effect.Effect<StoredKey> =>
  Effect.gen(function* () {
    const stored = currentSigningKey(store.db)
    if (stored !== undefined) return stored
    const generated = yield* Effect.promise(generateSigningKey)
    const now = yield* Clock.currentTimeMillis
    store.transactSync(() => insertSigningKey(store.db, generated, now))
    return currentSigningKey(store.db) ?? generated
  })
