// Pure card rules that need more than the request's shape: expiry and what may be kept of a number.
import type { PaymentsApi } from "@bat/contracts"

/** A card is valid through the last day of its expiry month (UTC). */
export const cardExpired = (card: Pick<PaymentsApi.Card, "expMonth" | "expYear">, nowMs: number): boolean => {
  const now = new Date(nowMs)
  const year = now.getUTCFullYear()
  const month = now.getUTCMonth() + 1
  return card.expYear < year || (card.expYear === year && card.expMonth < month)
}

/** With the brand, the only part of a card number that is ever stored or logged. */
export const last4 = (number: string): string => number.slice(-4)

export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "other"

/** The card's brand from its leading digits (issuer identification number ranges); for people, never a secret. */
export const cardBrand = (number: string): CardBrand => {
  if (/^4/u.test(number)) return "visa"
  if (/^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/u.test(number)) return "mastercard"
  if (/^3[47]/u.test(number)) return "amex"
  if (/^(6011|65|64[4-9])/u.test(number)) return "discover"
  return "other"
}
