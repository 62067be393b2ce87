// What every fault test checks once the weather has cleared: each accepted booking in one terminal
// state (I2), no seat booked twice (I1), booked if and only if paid (I3), the seat map agreeing; and,
// below, checks of I2's notification, I4, I5 and I6 on what the services answer (DESIGN §7).
import { pollUntil } from "@bat/testing"
import { expect } from "bun:test"
import { CARD_OK, type Api, type Reply } from "./client.ts"

export interface AcceptedBooking {
  readonly bookingId: string
  readonly who: Api
}

const TERMINAL = new Set(["booked", "failed", "cancelled"])

/** The booking's status once it is no longer `pending`. */
export const decided = (b: AcceptedBooking, timeoutMs: number): Promise<string> =>
  pollUntil(
    async () => {
      const status = (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body?.status
      return status === "pending" || status === undefined ? undefined : (status as string)
    },
    { timeoutMs, message: `booking ${b.bookingId} to be decided` }
  )

/** Pays once the reservation has reached payments; the payment id if it succeeded. */
export const payOnceKnown = async (b: AcceptedBooking, timeoutMs: number): Promise<string | undefined> => {
  const r = await pollUntil(
    async () => {
      const p = await b.who.post("/payments", { bookingId: b.bookingId, card: CARD_OK })
      return p.status === 409 && p.body.code === "reservation_not_found_yet" ? undefined : p
    },
    { timeoutMs, intervalMs: 250, message: `the reservation of ${b.bookingId} to reach payments` }
  )
  return r.status === 200 ? (r.body.paymentId as string) : undefined
}

/** Waits until every accepted booking is booked, failed or cancelled; returns each final view. */
export const awaitTerminal = async (accepted: ReadonlyArray<AcceptedBooking>, timeoutMs: number): Promise<Map<string, any>> => {
  const finals = new Map<string, any>()
  await pollUntil(
    async () => {
      for (const b of accepted) {
        if (finals.has(b.bookingId)) continue
        const r = await b.who.get(`/tickets/bookings/${b.bookingId}`)
        if (TERMINAL.has(r.body?.status)) finals.set(b.bookingId, r.body)
      }
      return finals.size === accepted.length
    },
    { timeoutMs, intervalMs: 500, message: "every accepted booking to reach a terminal state" }
  )
  return finals
}

export const countByStatus = (finals: Map<string, any>): Record<string, number> =>
  [...finals.values()].reduce<Record<string, number>>((m, f) => ({ ...m, [f.status]: (m[f.status] ?? 0) + 1 }), {})

/**
 * I1: no seat is held by two booked bookings. I3: a booking is booked if and only if a succeeded
 * payment exists for it; another paid booking's payment is failed, expired or refunded. Then the
 * seat map is polled until it shows exactly the booked seats.
 */
export const expectSeatsAndMoneyAgree = async (opts: {
  readonly api: Api
  readonly screeningId: string
  readonly accepted: ReadonlyArray<AcceptedBooking>
  readonly finals: Map<string, any>
  readonly paid: Map<string, string>
}): Promise<void> => {
  const holders = new Map<string, string>()
  for (const f of opts.finals.values()) {
    if (f.status !== "booked") continue
    for (const t of f.tickets) {
      expect(holders.get(t.seatNumber)).toBeUndefined()
      holders.set(t.seatNumber, f.bookingId)
    }
  }
  for (const b of opts.accepted) {
    const f = opts.finals.get(b.bookingId)
    const paymentId = opts.paid.get(b.bookingId)
    if (f.status === "booked") {
      expect(paymentId).toBeDefined()
      expect((await b.who.get(`/payments/${paymentId}`)).body.status).toBe("succeeded")
    } else if (paymentId) {
      expect(["failed", "expired", "refunded"]).toContain((await b.who.get(`/payments/${paymentId}`)).body.status)
    }
  }
  await pollUntil(
    async () => {
      const map = await opts.api.get(`/screenings/${opts.screeningId}/seats`)
      const booked = map.body.rows.flatMap((r: any) => r.seats).filter((s: any) => s.status === "booked").map((s: any) => s.seatNumber)
      return booked.length === holders.size && booked.every((s: string) => holders.has(s))
    },
    { timeoutMs: 20_000, message: "the seat map to match booking" }
  )
}

// ---------------------------------------------------------------------------------------------------
// I2 (notified), I4, I5 and I6 as checks a test can see from outside. Each `*Problems` function is pure:
// it takes what the services answered and returns one sentence per violation (empty when the invariant
// holds), so invariants.test.ts can show each one failing on hand-made data without a fleet.

/** A notification as `GET /notifications` lists it (the fields these checks read). */
export interface NoticeSeen {
  readonly bookingId: string
  readonly kind: string
  readonly createdAt: string
}

/** The notification kinds that tell a booking's end (notifications' `terminalKinds`). */
export const TERMINAL_NOTICE_KINDS: ReadonlySet<string> = new Set(["reservation_failed", "booked", "booking_failed", "cancelled"])

/**
 * The one terminal notification a booking's final view calls for: `booked`; `booking_failed` for a
 * failure after the hold (TicketBookingFailed, reasons `payment_*`); `reservation_failed` for a refused
 * reservation (TicketReservingFailed); `cancelled`.
 */
export const terminalNoticeKind = (view: { readonly status: string; readonly reason?: string }): string | undefined =>
  view.status === "booked"
    ? "booked"
    : view.status === "cancelled"
      ? "cancelled"
      : view.status === "failed"
        ? String(view.reason ?? "").startsWith("payment_")
          ? "booking_failed"
          : "reservation_failed"
        : undefined

/**
 * I2 (notified), I5 and I6 on notifications. For every final booking view (`finals`, by booking id):
 * its user, unless in `unregistered`, has exactly one terminal notification for it, of the kind its
 * final state calls for (so every state change booking committed is visible downstream, I6); no
 * booking has two notifications of one kind (I5); a `refunded` notice only for a cancelled booking.
 * `notices` are every notification of the bookings' users (other bookings' notices are ignored).
 */
export const notificationProblems = (
  finals: ReadonlyMap<string, { readonly bookingId: string; readonly userId: string; readonly status: string; readonly reason?: string }>,
  notices: ReadonlyArray<NoticeSeen>,
  unregistered: ReadonlySet<string> = new Set()
): Array<string> => {
  const problems: Array<string> = []
  const byBooking = new Map<string, Array<NoticeSeen>>()
  for (const n of notices) {
    if (!finals.has(n.bookingId)) continue
    byBooking.set(n.bookingId, [...(byBooking.get(n.bookingId) ?? []), n])
  }
  for (const [bookingId, view] of finals) {
    const mine = byBooking.get(bookingId) ?? []
    const kinds = mine.map((n) => n.kind)
    const repeated = [...new Set(kinds.filter((k, i) => kinds.indexOf(k) !== i))]
    if (repeated.length > 0) problems.push(`I5: booking ${bookingId} has more than one ${repeated.join(", ")} notification`)
    if (kinds.includes("refunded") && view.status !== "cancelled") {
      problems.push(`I3: booking ${bookingId} is ${view.status} but its user was told of a refund`)
    }
    const terminal = kinds.filter((k) => TERMINAL_NOTICE_KINDS.has(k))
    const expected = terminalNoticeKind(view)
    if (expected === undefined) {
      problems.push(`I2: booking ${bookingId} is ${view.status}, not in a terminal state`)
      continue
    }
    if (unregistered.has(view.userId)) continue
    if (terminal.length === 0) problems.push(`I2/I6: booking ${bookingId} is ${view.status} but its user was never told (no ${expected} notification)`)
    else if (terminal.length > 1) problems.push(`I2: booking ${bookingId} has ${terminal.length} terminal notifications (${terminal.join(", ")})`)
    else if (terminal[0] !== expected) problems.push(`I2/I6: booking ${bookingId} is ${view.status} but its user was told ${terminal[0]}`)
  }
  return problems
}

/** Every notification of one user, following `nextCursor` to the last page. */
export const allNotifications = async (who: Api): Promise<Array<NoticeSeen & Record<string, unknown>>> => {
  const items: Array<NoticeSeen & Record<string, unknown>> = []
  let cursor: string | null = null
  do {
    const page: Reply = await who.get(`/notifications?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
    if (page.status !== 200) throw new Error(`GET /notifications answered ${page.status}`)
    items.push(...page.body.items)
    cursor = page.body.nextCursor
  } while (cursor)
  return items
}

/** A hold that ended in `payment_expired`: when it was due, and the earliest moment it was seen released. */
export interface HoldRelease {
  readonly bookingId: string
  /** The booking's `expiresAt` (epoch ms), the deadline the customer was told. */
  readonly deadline: number
  /** An upper bound of when booking released it (epoch ms): the earliest look that found it failed, or its notice's createdAt. */
  readonly releasedBy: number
  /** False when `deadline` is only an upper bound (the `reserved` notice's createdAt + HOLD_TTL_MS): then only lateness is judged. */
  readonly deadlineExact?: boolean
}

/**
 * I4: a hold not paid is released within its deadline + `graceMs` (the fleet's CLOCK_SKEW_GRACE_MS:
 * payments waits that long past `expiresAt`) + `slackMs` (5 s) while booking, payments and the broker
 * are up; when the broker outage `[from, to]` (from the kill until every service's /ready answered 200
 * again) could have held it up, within `slackMs` of the recovery. `releasedBy` is an upper bound of
 * the release, so a late bound is a late release only up to the observation's own lag — the checks
 * take the earliest observation. A hold whose release was seen before its deadline was released early.
 */
export const holdReleaseProblems = (
  holds: ReadonlyArray<HoldRelease>,
  opts: { readonly graceMs: number; readonly slackMs?: number; readonly outage?: { readonly from: number; readonly to: number } }
): Array<string> => {
  const slack = opts.slackMs ?? 5_000
  const problems: Array<string> = []
  for (const h of holds) {
    const due = h.deadline + opts.graceMs
    const delayed = opts.outage !== undefined && opts.outage.from <= due + slack
    const bound = (delayed ? Math.max(due, opts.outage!.to) : due) + slack
    if (h.releasedBy > bound) {
      problems.push(
        `I4: hold of booking ${h.bookingId} due ${new Date(h.deadline).toISOString()} was released only by ` +
          `${new Date(h.releasedBy).toISOString()}, ${((h.releasedBy - bound) / 1000).toFixed(1)} s past its bound` +
          (delayed ? " (recovery + 5 s)" : "")
      )
    }
    if (h.deadlineExact !== false && h.releasedBy < h.deadline) {
      problems.push(`I4: hold of booking ${h.bookingId} due ${new Date(h.deadline).toISOString()} was released early, by ${new Date(h.releasedBy).toISOString()}`)
    }
  }
  return problems
}

/** A payment as `GET /payments/{id}` answers (the fields these checks read). */
export interface PaymentSeen {
  readonly paymentId: string
  readonly bookingId: string
  readonly status: string
  readonly amount: number
}

/** The simulated card gateway's ledger: charges keyed by payment id, refunds naming the charge. */
export interface GatewayLedgerSeen {
  readonly charges: ReadonlyArray<{ readonly key: string; readonly amount: number; readonly status: string }>
  readonly refunds: ReadonlyArray<{ readonly chargeKey: string; readonly amount: number }>
}

/**
 * I5 and I3 on money. No booking has two succeeded payments; at the card gateway every charge belongs
 * to a payment of one of the bookings, is refunded at most once and in full, and each booking holds
 * exactly as many unrefunded succeeded charges as it is booked (1 if booked, else 0), of the booking's
 * amount. `payments` are every payment a customer was answered, by payment id.
 */
export const moneyProblems = (
  finals: ReadonlyMap<string, { readonly bookingId: string; readonly status: string; readonly amount: number | null }>,
  payments: ReadonlyMap<string, PaymentSeen>,
  ledger: GatewayLedgerSeen
): Array<string> => {
  const problems: Array<string> = []
  const succeeded = new Map<string, number>()
  for (const p of payments.values()) if (p.status === "succeeded") succeeded.set(p.bookingId, (succeeded.get(p.bookingId) ?? 0) + 1)
  for (const [bookingId, n] of succeeded) if (n > 1) problems.push(`I5: booking ${bookingId} has ${n} succeeded payments`)
  const refunds = new Map<string, Array<number>>()
  for (const r of ledger.refunds) refunds.set(r.chargeKey, [...(refunds.get(r.chargeKey) ?? []), r.amount])
  const held = new Map<string, Array<number>>()
  for (const c of ledger.charges) {
    const payment = payments.get(c.key)
    if (payment === undefined || !finals.has(payment.bookingId)) {
      problems.push(`I5: the card gateway holds a charge ${c.key} of no payment of these bookings`)
      continue
    }
    const back = refunds.get(c.key) ?? []
    if (back.length > 1) problems.push(`I5: charge ${c.key} of booking ${payment.bookingId} was refunded ${back.length} times`)
    if (back.some((a) => a !== c.amount)) problems.push(`I3: charge ${c.key} of booking ${payment.bookingId} was refunded ${back.join(", ")}, not its ${c.amount}`)
    if (c.status === "succeeded" && back.length === 0) held.set(payment.bookingId, [...(held.get(payment.bookingId) ?? []), c.amount])
  }
  for (const [bookingId, view] of finals) {
    const money = held.get(bookingId) ?? []
    const want = view.status === "booked" ? 1 : 0
    if (money.length !== want) problems.push(`I3/I5: booking ${bookingId} is ${view.status} and holds ${money.length} charges at the card gateway`)
    if (money.some((a) => a !== view.amount)) problems.push(`I3: booking ${bookingId} of ${view.amount} was charged ${money.join(", ")}`)
  }
  return problems
}

/** A seat map as `GET /screenings/{id}/seats` answers it (the fields these checks read). */
export interface SeatMapSeen {
  readonly rows: ReadonlyArray<{ readonly seats: ReadonlyArray<{ readonly seatNumber: string; readonly status: string }> }>
}

/**
 * I6 (and I1) on seats, once every booking of the screening has ended: every seat of the screenings
 * projection shows booking's truth — `booked` exactly for the live tickets of booked bookings, no seat
 * `reserved`, every other seat `available` — so the booked count equals booking's live tickets.
 */
export const seatMapProblems = (
  map: SeatMapSeen,
  finals: ReadonlyMap<string, { readonly bookingId: string; readonly status: string; readonly tickets: ReadonlyArray<{ readonly seatNumber: string }> }>
): Array<string> => {
  const problems: Array<string> = []
  const truth = new Map<string, string>()
  for (const f of finals.values()) {
    if (f.status === "reserved" || f.status === "pending") problems.push(`booking ${f.bookingId} has not ended (${f.status})`)
    if (f.status !== "booked") continue
    for (const t of f.tickets) {
      if (truth.has(t.seatNumber)) problems.push(`I1: seat ${t.seatNumber} is booked by ${truth.get(t.seatNumber)} and ${f.bookingId}`)
      truth.set(t.seatNumber, f.bookingId)
    }
  }
  const seats = map.rows.flatMap((r) => r.seats)
  const shown = new Set(seats.map((s) => s.seatNumber))
  for (const s of seats) {
    const want = truth.has(s.seatNumber) ? "booked" : "available"
    if (s.status !== want) problems.push(`I6: seat ${s.seatNumber} shows ${s.status}, booking says ${want}`)
  }
  for (const seat of truth.keys()) if (!shown.has(seat)) problems.push(`I6: booked seat ${seat} is missing from the seat map`)
  const booked = seats.filter((s) => s.status === "booked").length
  if (booked !== truth.size) problems.push(`I6: the seat map shows ${booked} booked seats, booking has ${truth.size} live tickets`)
  return problems
}

/** Polls `problems` until it returns none or `timeoutMs` passes; the last problems found (empty when it held). */
export const settleProblems = async (problems: () => Promise<Array<string>>, timeoutMs: number, intervalMs = 1_000): Promise<Array<string>> => {
  const until = performance.now() + timeoutMs
  for (;;) {
    const found = await problems()
    if (found.length === 0 || performance.now() >= until) return found
    await Bun.sleep(intervalMs)
  }
}
