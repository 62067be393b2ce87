// HTTP routes of the payments service: decode, call a use case, encode.
import { PaymentsApi } from "@bat/contracts"
import {
  abuseLimitsEnabled,
  HttpProblem,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  authorize,
  operation,
  rateSetting,
  schema,
  tokenBucket,
  tooManyRequests,
  type ServiceContext
} from "@bat/http"
import { Elysia } from "elysia"
import { Payments } from "../app/Payments.ts"
import { cardExpired } from "../domain/card.ts"
import type { PaymentsServices } from "../app/PaymentsServices.ts"

const tags = ["payments"]
/** Every route verifies the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const

/** Payment attempts per account (PAY_RATE_PER_ACCOUNT, DESIGN §17): card testing and retry storms stop here. */
export const payRate = (env: Readonly<Record<string, string | undefined>>) =>
  tokenBucket("pay_account", rateSetting(env, "PAY_RATE_PER_ACCOUNT", "30/1m"), abuseLimitsEnabled(env))

export const paymentRoutes = (ctx: ServiceContext<PaymentsServices>) => {
  const rate = payRate(ctx.config.env)
  return new Elysia({ prefix: "/payments" })
    .use(authorize(ctx.auth))
    .post(
      "",
      async ({ principal, headers, body }) => {
        const verdict = rate.take(principal.userId)
        if (!verdict.ok) throw tooManyRequests(verdict.retryAfterMs, "Too many payment attempts from your account; try again shortly.")
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
        ...operation({
          summary: "Pay for a reservation: charge the card once and answer with the outcome",
          description:
            "Charges the reservation's amount (never one from the client) to the card, once. A declined card is a 200 " +
            "with `status: failed` and a `reason`; the seats are then released. Only the booking's owner may pay " +
            "(404 `booking_not_found` for anyone else). 409 `reservation_not_found_yet` means the reservation has not " +
            "reached payments yet: try again in a moment. An `Idempotency-Key` (per user, kept 24 h) returns the first " +
            "answer for a repeat, or 422 `idempotency_key_reused` for a different body. 503 " +
            "`payment_gateway_unavailable`: the card gateway could not be reached; the payment is settled automatically. " +
            "Too many attempts from one account are 429 `rate_limited` with `Retry-After`.",
          tags,
          auth: "owner",
          ok: { status: 200, schema: PaymentsApi.PayResponse, description: "The outcome of the charge." },
          problems: {
            404: ["booking_not_found"],
            409: ["reservation_expired", "already_paid", "payment_in_progress", "reservation_closed", "reservation_not_found_yet"],
            422: ["idempotency_key_reused"],
            429: ["rate_limited"],
            503: ["payment_gateway_unavailable", "auth_unavailable"]
          },
          requestHeaders: [idempotencyKeyHeader]
        })
      }
    )
    .get(
      "/:paymentId",
      async ({ principal, params }) => {
        return ctx.run(Payments.use((p) => p.get(params.paymentId, principal)))
      },
      {
        params: schema(PaymentsApi.PaymentParams),
        response: { 200: schema(PaymentsApi.Payment) },
        ...operation({
          summary: "A payment (its owner or staff)",
          tags,
          auth: "owner",
          ok: { status: 200, schema: PaymentsApi.Payment },
          problems: { 404: ["payment_not_found"], ...authUnavailable }
        })
      }
    )
}
