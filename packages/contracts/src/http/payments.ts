// HTTP request and response bodies of the payments service.
import { Schema } from "effect"
import { Currency, Uuid } from "../primitives.ts"
import { PathId } from "./common.ts"

export { IdempotencyKey } from "./common.ts"

/** The Luhn (mod 10) check digit test every card number passes. */
export const luhnValid = (digits: string): boolean => {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (d < 0 || d > 9) return false
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return digits.length > 0 && sum % 10 === 0
}

const CARD_NUMBER_MESSAGE = "Expected a card number of 12 to 19 digits that passes the Luhn check"

// Messages never quote the input: a card number must not come back in an error body. JSON Schema has
// no way to state the Luhn check: the documents say it in words, and mark the schema as looser.
export const CardNumber = Schema.String.check(
  Schema.isPattern(/^[0-9]{12,19}$/u, { message: CARD_NUMBER_MESSAGE }),
  Schema.makeFilter((s: string) => luhnValid(s), { message: CARD_NUMBER_MESSAGE, toJsonSchema: () => [{}, true] })
).annotate({ description: "12 to 19 digits, no spaces, passing the Luhn (mod 10) check." })

export const Card = Schema.Struct({
  number: CardNumber,
  expMonth: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 12 }, { message: "Expected a month from 1 to 12" })),
  expYear: Schema.Int.check(
    Schema.isBetween({ minimum: 2000, maximum: 2099 }, { message: "Expected a four-digit year such as 2030" })
  ),
  cvc: Schema.String.check(Schema.isPattern(/^[0-9]{3,4}$/u, { message: "Expected a CVC of 3 or 4 digits" }))
}).annotate({ description: "The card to charge. One whose expiry month has passed is refused (422 invalid_input at card.expYear)." })
export type Card = typeof Card.Type

export const PayRequest = Schema.Struct({ bookingId: Uuid, card: Card })
export type PayRequest = typeof PayRequest.Type

export const PaymentStatus = Schema.Literals([
  "pending",
  "charging",
  "succeeded",
  "failed",
  "expired",
  "cancelled",
  "refunded"
])
export type PaymentStatus = typeof PaymentStatus.Type

export const PaymentReason = Schema.Literals(["declined", "insufficient_funds", "expired"])
export type PaymentReason = typeof PaymentReason.Type

const Amount = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * The answer to `POST /payments`: the outcome of the one charge attempt. The amount is the
 * reservation's, never the client's; `reason` only when `failed`.
 */
export const PayResponse = Schema.Struct({
  paymentId: Uuid,
  bookingId: Uuid,
  status: Schema.Literals(["succeeded", "failed"]),
  amount: Amount,
  currency: Currency,
  reason: Schema.optionalKey(PaymentReason)
})
export type PayResponse = typeof PayResponse.Type

/** The brand of a card, from its leading digits. */
export const CardBrand = Schema.Literals(["visa", "mastercard", "amex", "discover", "other"])
export type CardBrand = typeof CardBrand.Type

/**
 * A payment as its owner (or staff) sees it; `cardLast4` and `cardBrand` once a charge was made, `reason` when it
 * failed or expired.
 */
export const Payment = Schema.Struct({
  paymentId: Uuid,
  bookingId: Uuid,
  status: PaymentStatus,
  amount: Amount,
  currency: Currency,
  cardLast4: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[0-9]{4}$/u))),
  cardBrand: Schema.optionalKey(CardBrand),
  reason: Schema.optionalKey(PaymentReason)
})
export type Payment = typeof Payment.Type

/** Any string: an unknown or malformed id is a 404 `payment_not_found`, not a 422. */
export const PaymentParams = Schema.Struct({ paymentId: PathId })
