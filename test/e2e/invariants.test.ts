// The invariant checks of invariants.ts on hand-made data, no fleet: each holds on a consistent picture and
// fails on a deliberately broken one, so a fault test that runs them could fail for each reason.
import { describe, expect, test } from "bun:test"
import {
  holdReleaseProblems,
  moneyProblems,
  notificationProblems,
  seatMapProblems,
  terminalNoticeKind,
  type GatewayLedgerSeen,
  type NoticeSeen,
  type PaymentSeen
} from "./invariants.ts"

const at = (s: number) => new Date(Date.UTC(2026, 10, 29, 12, 0, s)).toISOString()
const ms = (s: number) => Date.UTC(2026, 10, 29, 12, 0, s)

interface View {
  readonly bookingId: string
  readonly userId: string
  readonly status: string
  readonly reason?: string
  readonly amount: number | null
  readonly tickets: ReadonlyArray<{ readonly seatNumber: string }>
}

const finals = new Map<string, View>(
  [
    { bookingId: "b-booked", userId: "u1", status: "booked", amount: 1000, tickets: [{ seatNumber: "A1" }, { seatNumber: "A2" }] },
    { bookingId: "b-expired", userId: "u1", status: "failed", reason: "payment_expired", amount: 500, tickets: [{ seatNumber: "A3" }] },
    { bookingId: "b-taken", userId: "u2", status: "failed", reason: "seat_unavailable", amount: null, tickets: [] },
    { bookingId: "b-cancelled", userId: "u2", status: "cancelled", reason: "screening_cancelled", amount: 500, tickets: [{ seatNumber: "A4" }] }
  ].map((f): [string, View] => [f.bookingId, f])
)

const notices: Array<NoticeSeen> = [
  { bookingId: "b-booked", kind: "reserved", createdAt: at(0) },
  { bookingId: "b-booked", kind: "booked", createdAt: at(2) },
  { bookingId: "b-expired", kind: "reserved", createdAt: at(0) },
  { bookingId: "b-expired", kind: "booking_failed", createdAt: at(31) },
  { bookingId: "b-taken", kind: "reservation_failed", createdAt: at(0) },
  { bookingId: "b-cancelled", kind: "reserved", createdAt: at(0) },
  { bookingId: "b-cancelled", kind: "cancelled", createdAt: at(3) },
  { bookingId: "someone-elses", kind: "booked", createdAt: at(0) }
]

describe("notificationProblems (I2 notified, I5, I6)", () => {
  test("the terminal kind follows the final state and its reason", () => {
    expect([...finals.values()].map(terminalNoticeKind)).toEqual(["booked", "booking_failed", "reservation_failed", "cancelled"])
    expect(terminalNoticeKind({ status: "reserved" })).toBeUndefined()
  })

  test("holds when each ended booking has exactly one terminal notice of its kind", () => {
    expect(notificationProblems(finals, notices)).toEqual([])
  })

  test("fails when a booking's user was never told", () => {
    const problems = notificationProblems(finals, notices.filter((n) => !(n.bookingId === "b-expired" && n.kind === "booking_failed")))
    expect(problems).toEqual([expect.stringContaining("b-expired is failed but its user was never told")])
  })

  test("an unregistered user need not be told", () => {
    const untold = notices.filter((n) => n.bookingId !== "b-taken")
    expect(notificationProblems(finals, untold)).toHaveLength(1)
    expect(notificationProblems(finals, untold, new Set(["u2"]))).toEqual([])
  })

  test("fails when the notice says another end than booking's state", () => {
    const wrong = notices.map((n) => (n.bookingId === "b-booked" && n.kind === "booked" ? { ...n, kind: "booking_failed" } : n))
    expect(notificationProblems(finals, wrong)).toEqual([expect.stringContaining("b-booked is booked but its user was told booking_failed")])
  })

  test("fails on two terminal notices, and on a repeated kind (a message applied twice)", () => {
    const two = [...notices, { bookingId: "b-taken", kind: "cancelled", createdAt: at(5) }]
    expect(notificationProblems(finals, two)).toEqual([expect.stringContaining("b-taken has 2 terminal notifications")])
    const twice = [...notices, { bookingId: "b-booked", kind: "reserved", createdAt: at(1) }]
    expect(notificationProblems(finals, twice)).toEqual([expect.stringContaining("b-booked has more than one reserved notification")])
  })

  test("fails on a refund told for a booking that keeps its seats, and on a booking not ended", () => {
    const refunded = [...notices, { bookingId: "b-booked", kind: "refunded", createdAt: at(9) }]
    expect(notificationProblems(finals, refunded)).toEqual([expect.stringContaining("b-booked is booked but its user was told of a refund")])
    const open = new Map([...finals, ["b-open", { bookingId: "b-open", userId: "u1", status: "reserved", amount: 500, tickets: [] }] as const])
    expect(notificationProblems(open, notices)).toEqual([expect.stringContaining("b-open is reserved, not in a terminal state")])
  })
})

describe("holdReleaseProblems (I4)", () => {
  const hold = { bookingId: "b-expired", deadline: ms(30) }

  test("holds within deadline + grace + 5 s", () => {
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(34) }], { graceMs: 0 })).toEqual([])
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(44) }], { graceMs: 10_000 })).toEqual([])
  })

  test("fails on a release later than that, and on one before the deadline", () => {
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(36) }], { graceMs: 0 })).toEqual([expect.stringContaining("1.0 s past its bound")])
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(29) }], { graceMs: 0 })).toEqual([expect.stringContaining("released early")])
    // A deadline known only as an upper bound judges lateness alone.
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(29), deadlineExact: false }], { graceMs: 0 })).toEqual([])
  })

  test("an outage that could hold the release up moves the bound to 5 s after the recovery, and no further", () => {
    const outage = { from: ms(28), to: ms(40) }
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(44) }], { graceMs: 0, outage })).toEqual([])
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(46) }], { graceMs: 0, outage })).toEqual([expect.stringContaining("(recovery + 5 s)")])
    // An outage over well before the hold was due changes nothing.
    const early = { from: ms(5), to: ms(12) }
    expect(holdReleaseProblems([{ ...hold, releasedBy: ms(36) }], { graceMs: 0, outage: early })).toHaveLength(1)
  })
})

describe("moneyProblems (I5, I3)", () => {
  const payments = new Map<string, PaymentSeen>([
    ["p-booked", { paymentId: "p-booked", bookingId: "b-booked", status: "succeeded", amount: 1000 }],
    ["p-cancelled", { paymentId: "p-cancelled", bookingId: "b-cancelled", status: "refunded", amount: 500 }]
  ])
  const ledger: GatewayLedgerSeen = {
    charges: [
      { key: "p-booked", amount: 1000, status: "succeeded" },
      { key: "p-cancelled", amount: 500, status: "succeeded" }
    ],
    refunds: [{ chargeKey: "p-cancelled", amount: 500 }]
  }

  test("holds with one charge per booked booking and every other charge refunded once in full", () => {
    expect(moneyProblems(finals, payments, ledger)).toEqual([])
  })

  test("fails on a second succeeded payment of one booking", () => {
    const twice = new Map([...payments, ["p-again", { paymentId: "p-again", bookingId: "b-booked", status: "succeeded", amount: 1000 }]])
    expect(moneyProblems(finals, twice, ledger)).toEqual([expect.stringContaining("b-booked has 2 succeeded payments")])
  })

  test("fails on a charge of no known payment, a booking charged twice, a refund twice, and a booked booking without its charge", () => {
    expect(moneyProblems(finals, payments, { ...ledger, charges: [...ledger.charges, { key: "p-stray", amount: 1000, status: "succeeded" }] })).toEqual([
      expect.stringContaining("charge p-stray of no payment")
    ])
    expect(moneyProblems(finals, payments, { ...ledger, refunds: [...ledger.refunds, { chargeKey: "p-cancelled", amount: 500 }] })).toEqual([
      expect.stringContaining("refunded 2 times")
    ])
    expect(moneyProblems(finals, payments, { ...ledger, charges: ledger.charges.filter((c) => c.key !== "p-booked") })).toEqual([
      expect.stringContaining("b-booked is booked and holds 0 charges")
    ])
    expect(moneyProblems(finals, payments, { ...ledger, refunds: [] })).toEqual([expect.stringContaining("b-cancelled is cancelled and holds 1 charges")])
  })
})

describe("seatMapProblems (I6, I1)", () => {
  const map = (statuses: Record<string, string>) => ({
    rows: [{ seats: Object.entries(statuses).map(([seatNumber, status]) => ({ seatNumber, status })) }]
  })
  const truth = { A1: "booked", A2: "booked", A3: "available", A4: "available", A5: "available" }

  test("holds when the seat map shows booking's truth", () => {
    expect(seatMapProblems(map(truth), finals)).toEqual([])
  })

  test("fails on a seat still held, a released seat shown booked, and a booked seat shown free", () => {
    expect(seatMapProblems(map({ ...truth, A3: "reserved" }), finals)).toEqual([expect.stringContaining("seat A3 shows reserved, booking says available")])
    expect(seatMapProblems(map({ ...truth, A4: "booked" }), finals)).toEqual([
      expect.stringContaining("seat A4 shows booked"),
      expect.stringContaining("3 booked seats, booking has 2 live tickets")
    ])
    expect(seatMapProblems(map({ ...truth, A2: "available" }), finals)).toEqual([
      expect.stringContaining("seat A2 shows available, booking says booked"),
      expect.stringContaining("1 booked seats, booking has 2 live tickets")
    ])
  })

  test("fails on a seat booked by two bookings", () => {
    const both = new Map([...finals, ["b-twin", { bookingId: "b-twin", userId: "u3", status: "booked", amount: 500, tickets: [{ seatNumber: "A1" }] }] as const])
    expect(seatMapProblems(map(truth), both)).toEqual([expect.stringContaining("I1: seat A1 is booked by b-booked and b-twin")])
  })
})
