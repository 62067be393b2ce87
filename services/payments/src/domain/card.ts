// Pure card rules that need more than the request's shape: expiry and what may be kept of a number.
import type { PaymentsApi } from "@bat/contracts"

/** A card is valid through the last day of its expiry month (UTC). */
export const cardExpired = (card: Pick<PaymentsApi.Card, "expMonth" | "expYear">, nowMs: number): boolean => {
  const now = new Date(nowMs)
  const year = now.getUTCFullYear()
  const month = now.getUTCMonth() + 1
  return card.expYear < year || (card.expYear === year && card.expMonth < month)
}

/** The only part of a card number that is ever stored or logged. */
export const last4 = (number: string): string => number.slice(-4)
