// HTTP routes of the payments service: decode, call a use case, encode.
import { PaymentsApi } from "@bat/contracts"
import { HttpProblem, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { Payments } from "../app/Payments.ts"
import { cardExpired } from "../domain/card.ts"
import type { PaymentsServices } from "../PaymentsService.ts"

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,200}$/

const idempotencyKeyOf = (headers: Record<string, string | undefined>): string | undefined => {
  const key = headers["idempotency-key"]
  if (key === undefined) return undefined
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new HttpProblem({
      status: 422,
      code: "invalid_input",
      detail: "The Idempotency-Key header is invalid.",
      errors: [{ path: "headers.idempotency-key", message: "Expected 1 to 200 visible ASCII characters" }]
    })
  }
  return key
}

export const paymentRoutes = (ctx: ServiceContext<PaymentsServices>) =>
  new Elysia({ prefix: "/payments" })
    .post(
      "",
      async ({ headers, body }) => {
        const principal = await ctx.auth.authenticate(headers)
        const idempotencyKey = idempotencyKeyOf(headers)
        if (cardExpired(body.card, Date.now())) {
          throw new HttpProblem({
            status: 422,
            code: "invalid_input",
            detail: "The request body is invalid.",
            errors: [{ path: "card.expYear", message: "The card has expired" }]
          })
        }
        return ctx.run(Payments.use((p) => p.pay({ principal, request: body, idempotencyKey })))
      },
      {
        body: schema(PaymentsApi.PayRequest),
        response: { 200: schema(PaymentsApi.PayResponse) },
        detail: {
          summary: "Pay for a reservation: charge the card once and answer with the outcome",
          tags: ["payments"],
          security: [{ bearer: [] }]
        }
      }
    )
    .get(
      "/:paymentId",
      async ({ headers, params }) => {
        const principal = await ctx.auth.authenticate(headers)
        return ctx.run(Payments.use((p) => p.get(params.paymentId, principal)))
      },
      {
        params: schema(PaymentsApi.PaymentParams),
        response: { 200: schema(PaymentsApi.Payment) },
        detail: { summary: "A payment (its owner or staff)", tags: ["payments"], security: [{ bearer: [] }] }
      }
    )
