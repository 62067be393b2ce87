// The payments use cases, shared by the HTTP routes, the event handlers and the sweeper.
import { IDEMPOTENCY_KEY_TTL_MS, Ids, type EventData, type EventPayload, type EventType, type PaymentsApi } from "@bat/contracts"
import { countHoldExpired, countPayment, type Principal } from "@bat/http"
import { eventMessage, holdTimerMessage, inSpan, traceparentNow } from "@bat/messaging"
import { Store, type StoreError } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { createHmac } from "node:crypto"
import {
  BookingAlreadyPaid,
  BookingNotFound,
  GatewayUnavailable,
  IdempotencyKeyReused,
  PaymentInProgress,
  PaymentNotFound,
  ReservationClosed,
  ReservationExpired,
  ReservationNotFoundYet
} from "../domain/errors.ts"
import { cardBrand } from "../domain/card.ts"
import { lapsedUpTo, toPayment, toPayResponse, type ChargeOutcome, type Payment } from "../domain/payment.ts"
import { PaymentsRepo } from "../store/PaymentsRepo.ts"
import { CardGateway } from "./CardGateway.ts"
import { FingerprintKey } from "./FingerprintKey.ts"
import { RefundSignal } from "./RefundSignal.ts"

const PRODUCER = "payments"
const PAY_ROUTE = "POST /payments"
const SWEEP_BATCH = 500

export interface PaymentsSettingsShape {
  readonly holdTtlMs: number
  /**
   * How far booking's clock may lag payments' (DESIGN §3.1 "Clocks"): holds are payable until
   * `expiresAt + clockSkewGraceMs` by payments' clock, and expire then.
   */
  readonly clockSkewGraceMs: number
  /** A `charging` row older than this is settled by asking the gateway (DESIGN §6: 60 s). */
  readonly chargingSettleMs: number
}
export class PaymentsSettings extends Context.Service<PaymentsSettings, PaymentsSettingsShape>()(
  "payments/app/PaymentsSettings"
) {}

export interface PayInput {
  readonly principal: Principal
  readonly request: PaymentsApi.PayRequest
  readonly idempotencyKey: string | undefined
}

export interface SweepReport {
  readonly expired: number
  readonly settled: number
  readonly refunded: number
}

export type PayError =
  | ReservationNotFoundYet
  | BookingNotFound
  | ReservationExpired
  | PaymentInProgress
  | BookingAlreadyPaid
  | ReservationClosed
  | IdempotencyKeyReused
  | GatewayUnavailable
  | StoreError

export interface PaymentsShape {
  readonly recordReservation: (data: EventData<"TicketReserved">, causationId: string) => Effect.Effect<void, StoreError>
  readonly expireIfDue: (bookingId: string, causationId: string | null) => Effect.Effect<boolean, StoreError>
  readonly closeForCancelledBooking: (
    data: EventData<"TicketCancelled">,
    causationId: string
  ) => Effect.Effect<void, StoreError>
  readonly pay: (input: PayInput) => Effect.Effect<PaymentsApi.PayResponse, PayError>
  readonly get: (paymentId: string, principal: Principal) => Effect.Effect<PaymentsApi.Payment, PaymentNotFound>
  readonly runRefunds: () => Effect.Effect<number, StoreError>
  readonly sweep: () => Effect.Effect<SweepReport, StoreError>
}

type Claim =
  | { readonly kind: "replay"; readonly response: PaymentsApi.PayResponse }
  | { readonly kind: "expired"; readonly payment: Payment }
  | { readonly kind: "claimed"; readonly payment: Payment }

export class Payments extends Context.Service<Payments, PaymentsShape>()("payments/app/Payments") {
  static readonly layer = Layer.effect(
    Payments,
    Effect.gen(function* () {
      const store = yield* Store
      const ids = yield* Ids
      const repo = yield* PaymentsRepo
      const gateway = yield* CardGateway
      const settings = yield* PaymentsSettings
      const refundSignal = yield* RefundSignal
      const { key: fingerprintKey } = yield* FingerprintKey
      // Counted once the transaction that reached the status has committed: a rolled-back one counts nothing.
      const counted = (status: Parameters<typeof countPayment>[0]) => store.afterCommit(() => countPayment(status))

      // Booking-scoped events carry the booking id as correlation id (DESIGN §3).
      const emit = <T extends EventType>(type: T, data: EventPayload<T>, bookingId: string, causationId: string | null) =>
        store.appendOutbox([eventMessage(PRODUCER, type, data, { correlationId: bookingId, causationId })])

      const emitExpired = (p: Payment, causationId: string | null) => {
        counted("expired")
        emit(
          "PaymentFailed",
          { paymentId: p.paymentId, bookingId: p.bookingId, userId: p.userId, reason: "expired" },
          p.bookingId,
          causationId
        )
      }

      /**
       * A keyed hash of the request's booking and card NUMBER: the same key with another card is detected without
       * keeping the card. Never the CVC (PCI DSS: not kept in any form after authorisation) nor the expiry; the key
       * lives outside the database (FingerprintKey).
       */
      const fingerprint = (r: PaymentsApi.PayRequest) =>
        createHmac("sha256", fingerprintKey).update(JSON.stringify(["v2", r.bookingId, r.card.number])).digest("base64url")
      /** Fingerprints from before v2 were blanked by migration 3: such a key matches any body until it lapses. */
      const sameRequest = (stored: string, hash: string | undefined) => stored === "" || stored === hash

      /** Deadlines at or before this are over at `now`: the one cut-off every expiry decision uses. */
      const lapsed = (now: number) => lapsedUpTo(now, settings.clockSkewGraceMs)

      const expireIn = (bookingId: string, now: number, causationId: string | null): boolean => {
        const p = repo.byBooking(bookingId)
        if (p === undefined || p.status !== "pending" || p.deadline > lapsed(now)) return false
        if (!repo.expire(p.paymentId, now, lapsed(now))) return false
        store.afterCommit(() => countHoldExpired())
        emitExpired(p, causationId)
        return true
      }

      /** Step (a): one transaction claims a live, unclaimed hold and emits PaymentAttempted. */
      const claim = (input: PayInput, now: number) =>
        Effect.gen(function* () {
          const { principal, request, idempotencyKey } = input
          const hash = idempotencyKey === undefined ? undefined : fingerprint(request)
          if (idempotencyKey !== undefined) {
            const seen = repo.findKey(principal.userId, PAY_ROUTE, idempotencyKey)
            if (seen !== undefined && seen.createdAt <= now - IDEMPOTENCY_KEY_TTL_MS) {
              repo.deleteKey(principal.userId, PAY_ROUTE, idempotencyKey)
            } else if (seen !== undefined) {
              if (!sameRequest(seen.requestHash, hash)) return yield* new IdempotencyKeyReused({ key: idempotencyKey })
              if (seen.response !== null) {
                return { kind: "replay", response: JSON.parse(seen.response) as PaymentsApi.PayResponse } satisfies Claim
              }
              const first = repo.byId(seen.paymentId)
              if (first?.status === "charging") {
                return yield* new PaymentInProgress({ bookingId: first.bookingId, paymentId: first.paymentId })
              }
              const settled = first === undefined ? undefined : toPayResponse(first)
              if (settled !== undefined) {
                repo.storeResponse(principal.userId, PAY_ROUTE, idempotencyKey, JSON.stringify(settled))
                return { kind: "replay", response: settled } satisfies Claim
              }
              // The first attempt's charge was voided: answer as a new request would be answered.
              repo.deleteKey(principal.userId, PAY_ROUTE, idempotencyKey)
            }
          }
          const p = repo.byBooking(request.bookingId)
          if (p === undefined) {
            if (repo.isClosed(request.bookingId)) return yield* new ReservationClosed({ bookingId: request.bookingId })
            return yield* new ReservationNotFoundYet({ bookingId: request.bookingId })
          }
          if (p.userId !== principal.userId) return yield* new BookingNotFound({ bookingId: p.bookingId })
          const ids = { bookingId: p.bookingId, paymentId: p.paymentId }
          switch (p.status) {
            case "charging":
              return yield* new PaymentInProgress(ids)
            case "succeeded":
              return yield* new BookingAlreadyPaid(ids)
            case "expired":
              return yield* new ReservationExpired(ids)
            case "failed":
            case "cancelled":
            case "refunded":
              return yield* new ReservationClosed({ bookingId: p.bookingId })
            case "pending":
              break
          }
          if (p.deadline <= lapsed(now)) {
            // Late: the hold is expired now, and that commits even though the request fails.
            expireIn(p.bookingId, now, null)
            return { kind: "expired", payment: p } satisfies Claim
          }
          if (!repo.claim(p.paymentId, now, lapsed(now))) return yield* new PaymentInProgress(ids)
          repo.setCardBrand(p.paymentId, cardBrand(request.card.number))
          emit(
            "PaymentAttempted",
            { paymentId: p.paymentId, bookingId: p.bookingId, userId: p.userId, amount: p.amount, currency: p.currency },
            p.bookingId,
            null
          )
          if (idempotencyKey !== undefined && hash !== undefined) {
            repo.insertKey(principal.userId, PAY_ROUTE, idempotencyKey, hash, p.paymentId, now)
          }
          return { kind: "claimed", payment: p } satisfies Claim
        })

      /** Step (c), also used by the sweeper: records what the gateway said, once, guarded by `charging`. */
      const recordOutcome = (paymentId: string, outcome: ChargeOutcome, now: number) =>
        Effect.sync(() => {
          const p = repo.byId(paymentId)
          if (p === undefined) return undefined
          const who = { paymentId: p.paymentId, bookingId: p.bookingId, userId: p.userId }
          switch (outcome.status) {
            case "succeeded":
              if (repo.succeed(paymentId, outcome.cardLast4, outcome.transactionDate, now)) {
                counted("succeeded")
                emit(
                  "PaymentSuccessful",
                  { ...who, amount: p.amount, currency: p.currency, transactionDate: outcome.transactionDate },
                  p.bookingId,
                  null
                )
                if (p.refundRequested) refundSignal.request()
              }
              break
            case "declined":
            case "insufficient_funds":
              if (repo.fail(paymentId, outcome.status, outcome.cardLast4, now)) {
                counted("failed")
                emit("PaymentFailed", { ...who, reason: outcome.status }, p.bookingId, null)
              }
              break
            case "voided":
              if (repo.unclaim(paymentId, now) && !p.refundRequested) emitExpired(p, null)
              break
          }
          return repo.byId(paymentId)
        })

      const now = Clock.currentTimeMillis

      const recordReservation = Effect.fn("Payments.recordReservation")(function* (
        data: EventData<"TicketReserved">,
        causationId: string
      ) {
        const at = yield* now
        yield* store.transaction(
          Effect.sync(() => {
            if (repo.isClosed(data.bookingId) || repo.byBooking(data.bookingId) !== undefined) return
            const deadline = Date.parse(data.expiresAt)
            const paymentId = ids.next()
            const live = deadline > lapsed(at)
            repo.insert({
              paymentId,
              bookingId: data.bookingId,
              userId: data.userId,
              amount: data.amount,
              currency: data.currency,
              status: live ? "pending" : "expired",
              deadline,
              now: at,
              traceParent: traceparentNow()
            })
            const meta = { correlationId: data.bookingId, causationId }
            if (live) {
              store.appendOutbox([
                holdTimerMessage(settings.holdTtlMs, { bookingId: data.bookingId, paymentId }, meta)
              ])
            } else {
              counted("expired")
              emit("PaymentFailed", { paymentId, bookingId: data.bookingId, userId: data.userId, reason: "expired" }, data.bookingId, causationId)
            }
          })
        )
      })

      const expireIfDue = Effect.fn("Payments.expireIfDue")(function* (bookingId: string, causationId: string | null) {
        const at = yield* now
        return yield* store.transaction(Effect.sync(() => expireIn(bookingId, at, causationId)))
      })

      const closeForCancelledBooking = Effect.fn("Payments.closeForCancelledBooking")(function* (
        data: EventData<"TicketCancelled">,
        _causationId: string
      ) {
        const at = yield* now
        yield* store.transaction(
          Effect.sync(() => {
            const p = repo.byBooking(data.bookingId)
            if (p === undefined) return repo.closeBooking(data.bookingId, at)
            if (p.status === "pending") repo.cancelPending(p.paymentId, at)
            // A charge in flight is refunded once it settles as succeeded.
            else if (p.status === "charging") repo.requestRefund(p.paymentId, at)
            else if (p.status === "succeeded" && repo.requestRefund(p.paymentId, at)) refundSignal.request()
          })
        )
      })

      // A payment is its own request, yet part of the booking: it continues the booking's trace, linked to the request's.
      const pay = (input: PayInput) =>
        inSpan("pay booking", repo.traceParentOf(input.request.bookingId), payInTrace(input), { "bookaticket.booking_id": input.request.bookingId })

      const payInTrace = Effect.fn("Payments.pay")(function* (input: PayInput) {
        const claimed = yield* store.transaction(claim(input, yield* now))
        if (claimed.kind === "replay") return claimed.response
        const p = claimed.payment
        if (claimed.kind === "expired") {
          return yield* new ReservationExpired({ bookingId: p.bookingId, paymentId: p.paymentId })
        }
        // Step (b): outside any transaction; the payment id makes a repeated charge harmless.
        const outcome = yield* gateway.charge({
          idempotencyKey: p.paymentId,
          amount: p.amount,
          currency: p.currency,
          card: input.request.card
        })
        const at = yield* now
        const recorded = yield* store.transaction(
          Effect.flatMap(recordOutcome(p.paymentId, outcome, at), (after) =>
            Effect.sync(() => {
              const response = after === undefined ? undefined : toPayResponse(after)
              if (response !== undefined && input.idempotencyKey !== undefined) {
                repo.storeResponse(input.principal.userId, PAY_ROUTE, input.idempotencyKey, JSON.stringify(response))
              }
              return { after, response }
            })
          )
        )
        if (recorded.response !== undefined) return recorded.response
        // The sweeper voided this charge meanwhile (it took longer than the settle time).
        if (recorded.after?.status === "cancelled") return yield* new ReservationClosed({ bookingId: p.bookingId })
        return yield* new ReservationExpired({ bookingId: p.bookingId, paymentId: p.paymentId })
      })

      const get = Effect.fn("Payments.get")(function* (paymentId: string, principal: Principal) {
        const p = repo.byId(paymentId)
        if (p === undefined || (p.userId !== principal.userId && principal.role !== "staff")) {
          return yield* new PaymentNotFound({ paymentId })
        }
        return toPayment(p)
      })

      /** Refunds requested and not yet done; each refund is one gateway call then one guarded transaction. */
      const runRefunds = Effect.fn("Payments.runRefunds")(function* () {
        let refunded = 0
        for (const p of repo.refundsDue(100)) {
          const done = yield* gateway
            .refund({ idempotencyKey: `refund:${p.paymentId}`, chargeKey: p.paymentId, amount: p.amount })
            .pipe(
              Effect.as(true),
              Effect.catchTag("GatewayUnavailable", (e) =>
                Effect.logWarning("refund not done; retried on the next sweep", { paymentId: p.paymentId, reason: e.reason }).pipe(
                  Effect.as(false)
                )
              )
            )
          if (!done) continue
          const at = yield* now
          const marked = yield* store.transaction(
            Effect.sync(() => {
              if (!repo.markRefunded(p.paymentId, at)) return false
              counted("refunded")
              emit(
                "PaymentRefunded",
                { paymentId: p.paymentId, bookingId: p.bookingId, userId: p.userId, amount: p.amount, currency: p.currency },
                p.bookingId,
                null
              )
              return true
            })
          )
          if (marked) refunded++
        }
        return refunded
      })

      const sweep = Effect.fn("Payments.sweep")(function* () {
        const at = yield* now
        const overdue = repo.overdueHolds(lapsed(at), SWEEP_BATCH)
        const expired =
          overdue.length === 0
            ? 0
            : yield* store.transaction(Effect.sync(() => overdue.filter((b) => expireIn(b, at, null)).length))
        let settled = 0
        for (const paymentId of repo.stuckCharges(at - settings.chargingSettleMs, 100)) {
          const outcome = yield* gateway.outcome(paymentId).pipe(
            Effect.catchTag("GatewayUnavailable", (e) =>
              Effect.logWarning("cannot settle a charge yet", { paymentId, reason: e.reason }).pipe(Effect.as(undefined))
            )
          )
          if (outcome === undefined) continue
          const after = yield* store.transaction(recordOutcome(paymentId, outcome, yield* now))
          if (after !== undefined && after.status !== "charging") settled++
        }
        const refunded = yield* runRefunds()
        repo.pruneKeys(at - IDEMPOTENCY_KEY_TTL_MS)
        return { expired, settled, refunded } satisfies SweepReport
      })

      return Payments.of({ recordReservation, expireIfDue, closeForCancelledBooking, pay, get, runRefunds, sweep })
    })
  )
}
