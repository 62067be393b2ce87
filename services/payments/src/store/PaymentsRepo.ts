// All SQL of the payments service. Methods are synchronous; callers run them inside a store transaction.
import { Store, type Db } from "@bat/store"
import { Context, Effect, Layer } from "effect"
import type { FailureReason, Payment, PaymentStatus } from "../domain/payment.ts"

interface PaymentRow {
  paymentId: string
  bookingId: string
  userId: string
  amount: number
  currency: string
  status: PaymentStatus
  deadline: number
  reason: FailureReason | null
  cardLast4: string | null
  cardBrand: string | null
  transactionDate: string | null
  claimedAt: number | null
  refundRequested: number
}

export interface IdempotencyRow {
  readonly requestHash: string
  readonly paymentId: string
  readonly response: string | null
  readonly createdAt: number
}

export interface NewPayment {
  readonly paymentId: string
  readonly bookingId: string
  readonly userId: string
  readonly amount: number
  readonly currency: string
  readonly status: "pending" | "expired"
  readonly deadline: number
  readonly now: number
  /** The W3C traceparent of the reservation's processing, if traced. */
  readonly traceParent?: string | undefined
}

const columns = `payment_id AS paymentId, booking_id AS bookingId, user_id AS userId, amount, currency, status,
  deadline, reason, card_last4 AS cardLast4, card_brand AS cardBrand, transaction_date AS transactionDate, claimed_at AS claimedAt,
  refund_requested AS refundRequested`

const toPayment = (r: PaymentRow | undefined): Payment | undefined =>
  r === undefined ? undefined : { ...r, refundRequested: r.refundRequested === 1 }

export const makePaymentsRepo = (db: Db) => {
  // Deleted rows (pruned idempotency keys) are overwritten with zeros, not left in free pages; and whatever an
  // earlier version left in the write-ahead log is folded in and the log truncated before any request.
  db.pragma("secure_delete = ON")
  db.pragma("wal_checkpoint(TRUNCATE)")
  const byId = db.prepare<[string], PaymentRow>(`SELECT ${columns} FROM payments WHERE payment_id = ?`)
  const byBooking = db.prepare<[string], PaymentRow>(`SELECT ${columns} FROM payments WHERE booking_id = ?`)
  const traceParentOf = db.prepare<[string], { trace_parent: string | null }>("SELECT trace_parent FROM payments WHERE booking_id = ?")
  const insert = db.prepare(
    `INSERT INTO payments (payment_id, booking_id, user_id, amount, currency, status, deadline, reason, trace_parent, created_at, updated_at)
     VALUES (@paymentId, @bookingId, @userId, @amount, @currency, @status, @deadline, @reason, @traceParent, @now, @now)
     ON CONFLICT (booking_id) DO NOTHING`
  )
  const claim = db.prepare(
    `UPDATE payments SET status = 'charging', claimed_at = ?, updated_at = ?
     WHERE payment_id = ? AND status = 'pending' AND deadline > ?`
  )
  const expire = db.prepare(
    `UPDATE payments SET status = 'expired', reason = 'expired', updated_at = ?
     WHERE payment_id = ? AND status = 'pending' AND deadline <= ?`
  )
  const succeed = db.prepare(
    `UPDATE payments SET status = 'succeeded', card_last4 = ?, transaction_date = ?, updated_at = ?
     WHERE payment_id = ? AND status = 'charging'`
  )
  const fail = db.prepare(
    `UPDATE payments SET status = 'failed', reason = ?, card_last4 = ?, updated_at = ?
     WHERE payment_id = ? AND status = 'charging'`
  )
  // A charge the gateway never took (voided): the hold is not handed out again; its window is over.
  const unclaim = db.prepare(
    `UPDATE payments SET status = CASE WHEN refund_requested = 1 THEN 'cancelled' ELSE 'expired' END,
      reason = CASE WHEN refund_requested = 1 THEN NULL ELSE 'expired' END,
      refund_requested = 0, updated_at = ?
     WHERE payment_id = ? AND status = 'charging'`
  )
  const cancelPending = db.prepare(
    `UPDATE payments SET status = 'cancelled', updated_at = ? WHERE payment_id = ? AND status = 'pending'`
  )
  const requestRefund = db.prepare(
    `UPDATE payments SET refund_requested = 1, updated_at = ?
     WHERE payment_id = ? AND status IN ('charging', 'succeeded') AND refund_requested = 0`
  )
  const refunded = db.prepare(
    `UPDATE payments SET status = 'refunded', updated_at = ?
     WHERE payment_id = ? AND status = 'succeeded' AND refund_requested = 1`
  )
  const overdue = db.prepare<[number, number], { bookingId: string }>(
    `SELECT booking_id AS bookingId FROM payments WHERE status = 'pending' AND deadline <= ? ORDER BY deadline LIMIT ?`
  )
  const stuck = db.prepare<[number, number], { paymentId: string }>(
    `SELECT payment_id AS paymentId FROM payments WHERE status = 'charging' AND claimed_at <= ? ORDER BY claimed_at LIMIT ?`
  )
  const refundsDue = db.prepare<[number], PaymentRow>(
    `SELECT ${columns} FROM payments WHERE status = 'succeeded' AND refund_requested = 1 LIMIT ?`
  )
  const closeBooking = db.prepare("INSERT OR IGNORE INTO closed_bookings (booking_id, closed_at) VALUES (?, ?)")
  const isClosed = db.prepare<[string], { one: number }>("SELECT 1 AS one FROM closed_bookings WHERE booking_id = ?")
  const findKey = db.prepare<[string, string, string], IdempotencyRow>(
    `SELECT request_hash AS requestHash, payment_id AS paymentId, response, created_at AS createdAt
     FROM idempotency_keys WHERE user_id = ? AND route = ? AND key = ?`
  )
  const deleteKey = db.prepare("DELETE FROM idempotency_keys WHERE user_id = ? AND route = ? AND key = ?")
  const insertKey = db.prepare(
    `INSERT INTO idempotency_keys (user_id, route, key, request_hash, payment_id, response, created_at)
     VALUES (?, ?, ?, ?, ?, NULL, ?)`
  )
  const storeResponse = db.prepare(
    "UPDATE idempotency_keys SET response = ? WHERE user_id = ? AND route = ? AND key = ? AND response IS NULL"
  )
  const pruneKeys = db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?")
  const setBrand = db.prepare("UPDATE payments SET card_brand = ? WHERE payment_id = ?")

  return {
    byId: (paymentId: string) => toPayment(byId.get(paymentId)),
    byBooking: (bookingId: string) => toPayment(byBooking.get(bookingId)),
    /** False when the booking already has a payment (a duplicate reservation). */
    insert: (p: NewPayment): boolean =>
      insert.run({ ...p, reason: p.status === "expired" ? "expired" : null, traceParent: p.traceParent ?? null }).changes === 1,
    /** The trace a payment for the booking continues (its reservation's), if it was traced. */
    traceParentOf: (bookingId: string): string | undefined => traceParentOf.get(bookingId)?.trace_parent ?? undefined,
    /** `lapsedUpTo`: deadlines at or before it are over (see domain `lapsedUpTo`); `now` stamps the row. */
    claim: (paymentId: string, now: number, lapsedUpTo: number): boolean =>
      claim.run(now, now, paymentId, lapsedUpTo).changes === 1,
    expire: (paymentId: string, now: number, lapsedUpTo: number): boolean =>
      expire.run(now, paymentId, lapsedUpTo).changes === 1,
    succeed: (paymentId: string, cardLast4: string, transactionDate: string, now: number): boolean =>
      succeed.run(cardLast4, transactionDate, now, paymentId).changes === 1,
    fail: (paymentId: string, reason: "declined" | "insufficient_funds", cardLast4: string, now: number): boolean =>
      fail.run(reason, cardLast4, now, paymentId).changes === 1,
    /** A charge the gateway never took: the hold ends `expired` (or `cancelled` if its booking was cancelled meanwhile). */
    unclaim: (paymentId: string, now: number): boolean => unclaim.run(now, paymentId).changes === 1,
    cancelPending: (paymentId: string, now: number): boolean => cancelPending.run(now, paymentId).changes === 1,
    requestRefund: (paymentId: string, now: number): boolean => requestRefund.run(now, paymentId).changes === 1,
    markRefunded: (paymentId: string, now: number): boolean => refunded.run(now, paymentId).changes === 1,
    /** Pending holds whose deadline is at or before `lapsedUpTo`, oldest first (index payments_status_deadline). */
    overdueHolds: (lapsedUpTo: number, limit: number) => overdue.all(lapsedUpTo, limit).map((r) => r.bookingId),
    stuckCharges: (claimedBefore: number, limit: number) => stuck.all(claimedBefore, limit).map((r) => r.paymentId),
    refundsDue: (limit: number) => refundsDue.all(limit).map((r) => toPayment(r)!),
    closeBooking: (bookingId: string, now: number) => void closeBooking.run(bookingId, now),
    isClosed: (bookingId: string) => isClosed.get(bookingId) !== undefined,
    findKey: (userId: string, route: string, key: string) => findKey.get(userId, route, key),
    deleteKey: (userId: string, route: string, key: string) => void deleteKey.run(userId, route, key),
    insertKey: (userId: string, route: string, key: string, hash: string, paymentId: string, now: number) =>
      void insertKey.run(userId, route, key, hash, paymentId, now),
    storeResponse: (userId: string, route: string, key: string, response: string) =>
      void storeResponse.run(response, userId, route, key),
    pruneKeys: (createdBefore: number) => pruneKeys.run(createdBefore).changes,
    /** The brand of the card a charge is being made to (for people, beside its last four digits). */
    setCardBrand: (paymentId: string, brand: string) => void setBrand.run(brand, paymentId)
  }
}

export type PaymentsRepoShape = ReturnType<typeof makePaymentsRepo>

export class PaymentsRepo extends Context.Service<PaymentsRepo, PaymentsRepoShape>()("payments/store/PaymentsRepo") {
  static readonly layer = Layer.effect(
    PaymentsRepo,
    Effect.map(Store, (store) => PaymentsRepo.of(makePaymentsRepo(store.db)))
  )
}
