// The port to a card payment provider. A real provider implements this; the simulated one ships with the service.
import type { PaymentsApi } from "@bat/contracts"
import { Context, type Effect } from "effect"
import type { GatewayUnavailable } from "../domain/errors.ts"
import type { ChargeOutcome } from "../domain/payment.ts"

export interface ChargeRequest {
  /** The payment id: a repeated charge with the same key returns the first outcome and never charges twice. */
  readonly idempotencyKey: string
  readonly amount: number
  readonly currency: string
  readonly card: PaymentsApi.Card
}

export interface RefundRequest {
  /** `refund:<paymentId>`: repeating it never refunds twice. */
  readonly idempotencyKey: string
  /** The key the charge was made with. */
  readonly chargeKey: string
  readonly amount: number
}

export interface CardGatewayShape {
  readonly charge: (request: ChargeRequest) => Effect.Effect<ChargeOutcome, GatewayUnavailable>
  /**
   * The outcome of the charge made with this key, for settling a charge whose answer was lost.
   * A key the provider never saw is voided (`{status: "voided"}`): a later charge with it is refused,
   * so a late request can never take money for a hold that was released.
   */
  readonly outcome: (idempotencyKey: string) => Effect.Effect<ChargeOutcome, GatewayUnavailable>
  readonly refund: (request: RefundRequest) => Effect.Effect<{ readonly refundedAt: string }, GatewayUnavailable>
}

export class CardGateway extends Context.Service<CardGateway, CardGatewayShape>()("payments/app/CardGateway") {}
