// The payment's life cycle and how a gateway outcome maps onto it.
import type { PaymentsApi } from "@bat/contracts"

export type PaymentStatus = PaymentsApi.PaymentStatus
export type FailureReason = "declined" | "insufficient_funds" | "expired"

/**
 * pending ─claim→ charging ─charge→ succeeded ─cancel→ (refund) → refunded
 *    │                 └────────→ failed (declined | insufficient_funds)
 *    ├─deadline→ expired
 *    └─cancel→ cancelled
 */
export interface Payment {
  readonly paymentId: string
  readonly bookingId: string
  readonly userId: string
  readonly amount: number
  readonly currency: string
  readonly status: PaymentStatus
  readonly deadline: number
  readonly reason: FailureReason | null
  readonly cardLast4: string | null
  readonly cardBrand: string | null
  readonly transactionDate: string | null
  readonly claimedAt: number | null
  readonly refundRequested: boolean
}

/**
 * The latest deadline that has lapsed at `now` (payments' clock). A hold is payable while
 * `deadline > lapsedUpTo(now, grace)` and expired once `deadline <= lapsedUpTo(now, grace)`, i.e. at
 * `expiresAt + grace`: booking's clock may run behind payments' by up to the grace, and a customer who
 * pays before the `expiresAt` booking told them is never refused (DESIGN §3.1 "Clocks"). The claim,
 * the timer, the sweeper and a late reservation all decide with this one cut-off.
 */
export const lapsedUpTo = (now: number, clockSkewGraceMs: number): number => now - clockSkewGraceMs

/** What the card gateway says about one charge. `voided`: it never saw the charge and now refuses it. */
export type ChargeOutcome =
  | { readonly status: "succeeded"; readonly transactionDate: string; readonly cardLast4: string }
  | { readonly status: "declined" | "insufficient_funds"; readonly cardLast4: string }
  | { readonly status: "voided" }

export const toPayment = (p: Payment): PaymentsApi.Payment => ({
  paymentId: p.paymentId,
  bookingId: p.bookingId,
  status: p.status,
  amount: p.amount,
  currency: p.currency,
  ...(p.cardLast4 !== null ? { cardLast4: p.cardLast4 } : {}),
  ...(p.cardLast4 !== null && p.cardBrand !== null ? { cardBrand: p.cardBrand as PaymentsApi.CardBrand } : {}),
  ...(p.reason !== null ? { reason: p.reason } : {})
})

/** The answer to a pay request once the charge is settled; undefined while it is not. */
export const toPayResponse = (p: Payment): PaymentsApi.PayResponse | undefined => {
  const base = { paymentId: p.paymentId, bookingId: p.bookingId, amount: p.amount, currency: p.currency }
  if (p.status === "succeeded" || p.status === "refunded") return { ...base, status: "succeeded" }
  if (p.status === "failed") return { ...base, status: "failed", ...(p.reason !== null ? { reason: p.reason } : {}) }
  return undefined
}
