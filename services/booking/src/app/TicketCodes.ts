// Ticket codes (DESIGN §10): compact JWS over TicketClaims, signed with booking's Ed25519 key (generated
// once, persisted in booking.db, published at /tickets/.well-known/jwks.json) and verified at the door.
import { Booking, type UsersApi } from "@bat/contracts"
import { loadOrCreateSigningKey, publicSigningKeys } from "@bat/http"
import { Store } from "@bat/store"
import { Context, Effect, Layer, Result, Schema } from "effect"
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose"
import { createPrivateKey, sign as signBytes, type JsonWebKeyInput, type KeyObject } from "node:crypto"
import { InvalidTicketCode } from "../domain/Booking.ts"

const ALG = "EdDSA"
/** The `typ` of a ticket code's header: it is not an access token, and a token is not a ticket. */
export const TICKET_CODE_TYPE = "bat-ticket+jwt"

export interface TicketCodesShape {
  /** The public keys, as served at /tickets/.well-known/jwks.json. */
  readonly jwks: UsersApi.Jwks
  /**
   * A code for the claims. Synchronous (node's Ed25519 signing), so it runs inside the transaction that
   * books the tickets: the consumer applies a message in one synchronous transaction, where jose's
   * asynchronous signing cannot run. The result is a standard compact JWS any JOSE library verifies.
   */
  readonly sign: (claims: (typeof Booking.TicketClaims)["Encoded"]) => string
  /** The claims of a code this service signed; `InvalidTicketCode` for a bad signature, a foreign key or a wrong shape. */
  readonly verify: (code: string) => Effect.Effect<Booking.TicketClaims, InvalidTicketCode>
}

const base64url = (bytes: string | Uint8Array) => Buffer.from(bytes).toString("base64url")
const decodeClaims = Schema.decodeUnknownResult(Booking.TicketClaims)

const make = Effect.gen(function* () {
  const store = yield* Store
  const key = yield* loadOrCreateSigningKey(store)
  const { kid } = key
  const privateKey: KeyObject = createPrivateKey({ key: key.privateJwk, format: "jwk" } as JsonWebKeyInput)
  const jwks = { keys: publicSigningKeys(store.db) } as unknown as UsersApi.Jwks
  const keySet = createLocalJWKSet(jwks as unknown as JSONWebKeySet)
  const header = base64url(JSON.stringify({ alg: ALG, kid, typ: TICKET_CODE_TYPE }))

  const sign = (c: (typeof Booking.TicketClaims)["Encoded"]): string => {
    const claims = { ticketId: c.ticketId, bookingId: c.bookingId, screeningId: c.screeningId, seatNumber: c.seatNumber, startsAt: c.startsAt }
    const input = `${header}.${base64url(JSON.stringify(claims))}`
    return `${input}.${base64url(signBytes(null, Buffer.from(input), privateKey))}`
  }

  const verify = (code: string): Effect.Effect<Booking.TicketClaims, InvalidTicketCode> =>
    Effect.tryPromise({
      try: () => jwtVerify(code, keySet, { algorithms: [ALG], typ: TICKET_CODE_TYPE }),
      catch: () => new InvalidTicketCode({ reason: "signature" })
    }).pipe(
      Effect.flatMap(({ payload }) => {
        const claims = decodeClaims(payload)
        return Result.isSuccess(claims) ? Effect.succeed(claims.success) : Effect.fail(new InvalidTicketCode({ reason: "shape" }))
      })
    )

  return TicketCodes.of({ jwks, sign, verify })
})

export class TicketCodes extends Context.Service<TicketCodes, TicketCodesShape>()("booking/app/TicketCodes") {
  static readonly layer = Layer.effect(TicketCodes, make)
}
