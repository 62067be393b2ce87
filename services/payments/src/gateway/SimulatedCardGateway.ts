// The simulated card provider: fixed test numbers decide the outcome, idempotent per key, own ledger file.
import { Effect } from "effect"
import type { CardGatewayShape } from "../app/CardGateway.ts"
import { last4 } from "../domain/card.ts"
import { GatewayUnavailable } from "../domain/errors.ts"
import type { ChargeOutcome } from "../domain/payment.ts"
import type { GatewayLedger, LedgerCharge } from "../store/gatewayLedger.ts"

export const DECLINED_CARD = "4000000000000002"
export const INSUFFICIENT_FUNDS_CARD = "4000000000009995"

const decide = (number: string): LedgerCharge["status"] =>
  number === DECLINED_CARD ? "declined" : number === INSUFFICIENT_FUNDS_CARD ? "insufficient_funds" : "succeeded"

const toOutcome = (c: LedgerCharge): ChargeOutcome =>
  c.status === "voided"
    ? { status: "voided" }
    : c.status === "succeeded"
      ? { status: "succeeded", transactionDate: c.transactionDate!, cardLast4: c.cardLast4! }
      : { status: c.status, cardLast4: c.cardLast4! }

const ledgerCall = <A>(f: () => A) =>
  Effect.try({ try: f, catch: (e) => new GatewayUnavailable({ reason: e instanceof Error ? e.message : String(e) }) })

export const makeSimulatedCardGateway = (ledger: GatewayLedger): CardGatewayShape => ({
  charge: (req) =>
    ledgerCall(() =>
      toOutcome(
        ledger.charge({
          key: req.idempotencyKey,
          amount: req.amount,
          currency: req.currency,
          cardLast4: last4(req.card.number),
          status: decide(req.card.number),
          transactionDate: new Date().toISOString()
        })
      )
    ),
  outcome: (key) =>
    ledgerCall(() =>
      toOutcome(
        ledger.find(key) ??
          ledger.charge({ key, amount: 0, currency: "XXX", cardLast4: null, status: "voided", transactionDate: null })
      )
    ),
  refund: (req) =>
    ledgerCall(() =>
      ledger.refund({
        key: req.idempotencyKey,
        chargeKey: req.chargeKey,
        amount: req.amount,
        refundedAt: new Date().toISOString()
      })
    ).pipe(Effect.map((r) => ({ refundedAt: r.refundedAt })))
})
