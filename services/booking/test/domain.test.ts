// The decision rule on its own: every reason, and which one wins when several apply.
import { describe, expect, test } from "bun:test"
import { cancellableUntil, decide, refuseCancellation, type AttemptFacts } from "../src/domain/Booking.ts"

const now = Date.parse("2026-12-01T12:00:00Z")
const facts = (over: Partial<AttemptFacts> = {}): AttemptFacts => ({
  seatNumbers: ["A1", "A2"],
  screening: { status: "scheduled", seatsKnown: true, startsAt: now + 3_600_000, price: { amount: 950, currency: "EUR" } },
  userUnregistered: false,
  liveSeatsOfUser: 0,
  maxSeatsPerUser: 10,
  unknownSeats: [],
  takenSeats: [],
  giveUpOnUnknownScreening: false,
  now,
  ...over
})

describe("deciding an attempt", () => {
  test("free, existing seats of a future screening are reserved at the price times the seats", () => {
    expect(decide(facts())).toEqual({ _tag: "Reserve", amount: 1900, currency: "EUR" })
  })

  test("each failed condition gives its reason and the seats involved", () => {
    expect(decide(facts({ userUnregistered: true }))).toEqual({ _tag: "Reject", reason: "user_unregistered", unavailableSeats: [] })
    expect(decide(facts({ screening: { status: "cancelled", seatsKnown: false, startsAt: null, price: null } }))).toMatchObject({ reason: "screening_cancelled" })
    expect(decide(facts({ now: now + 3_600_000 }))).toMatchObject({ reason: "screening_started" })
    expect(decide(facts({ unknownSeats: ["A2"] }))).toEqual({ _tag: "Reject", reason: "unknown_seat", unavailableSeats: ["A2"] })
    expect(decide(facts({ liveSeatsOfUser: 9 }))).toMatchObject({ reason: "seat_limit" })
    expect(decide(facts({ liveSeatsOfUser: 8 }))._tag).toBe("Reserve")
    expect(decide(facts({ takenSeats: ["A1"] }))).toEqual({ _tag: "Reject", reason: "seat_unavailable", unavailableSeats: ["A1"] })
  })

  test("an unknown screening waits until the last allowed attempt, then fails unknown_screening", () => {
    expect(decide(facts({ screening: undefined }))).toEqual({ _tag: "Wait" })
    expect(decide(facts({ screening: { status: "scheduled", seatsKnown: false, startsAt: now + 1, price: { amount: 1, currency: "EUR" } } }))).toEqual({ _tag: "Wait" })
    expect(decide(facts({ screening: undefined, giveUpOnUnknownScreening: true }))).toMatchObject({ reason: "unknown_screening" })
  })

  test("an unregistered user or a cancelled screening wins over seat problems", () => {
    const everything = { unknownSeats: ["Z1"], takenSeats: ["A1"], liveSeatsOfUser: 10 }
    expect(decide(facts({ ...everything, userUnregistered: true }))).toMatchObject({ reason: "user_unregistered" })
    expect(decide(facts({ ...everything, screening: undefined, userUnregistered: true }))).toMatchObject({ reason: "user_unregistered" })
    expect(decide(facts(everything))).toMatchObject({ reason: "unknown_seat" })
  })
})

describe("deciding a customer cancellation (DESIGN §10)", () => {
  const hour = 3_600_000
  const base = { bookingId: "b", startsAt: now + 2 * hour, firstAdmission: null, cutoffMs: hour, now } as const
  const tagOf = (over: Partial<Parameters<typeof refuseCancellation>[0]>) =>
    refuseCancellation({ ...base, status: "booked", ...over })?._tag ?? "cancel"

  test("a reserved booking is cancelled at once, whatever the time", () => {
    expect(tagOf({ status: "reserved", now: base.startsAt + hour })).toBe("cancel")
  })

  test("a booked booking is cancelled up to the cut-off and refused after it, also once the screening started", () => {
    expect(tagOf({ now: base.startsAt - hour - 1 })).toBe("cancel")
    expect(tagOf({ now: base.startsAt - hour })).toBe("cancel")
    expect(tagOf({ now: base.startsAt - hour + 1 })).toBe("CancellationClosed")
    expect(tagOf({ cutoffMs: 0, now: base.startsAt + 1 })).toBe("CancellationClosed")
    expect(tagOf({ startsAt: null })).toBe("CancellationClosed")
    expect(refuseCancellation({ ...base, status: "booked", now: base.startsAt })).toMatchObject({
      closedAt: new Date(base.startsAt - hour).toISOString()
    })
  })

  test("a booked booking with an admitted ticket is refused with the first admission, before the cut-off too", () => {
    const firstAdmission = { ticketId: "t", admittedAt: now - 5 }
    expect(refuseCancellation({ ...base, status: "booked", firstAdmission })).toMatchObject({
      _tag: "AlreadyAdmitted",
      ticketId: "t",
      admittedAt: new Date(now - 5).toISOString()
    })
  })

  test("pending is not yet cancellable; failed and cancelled never are", () => {
    expect(tagOf({ status: "pending" })).toBe("BookingPending")
    expect(tagOf({ status: "failed" })).toBe("BookingNotCancellable")
    expect(tagOf({ status: "cancelled" })).toBe("BookingNotCancellable")
  })

  test("cancellableUntil is the cut-off before the start, unknown without a start", () => {
    expect(cancellableUntil(base.startsAt, hour)).toBe(base.startsAt - hour)
    expect(cancellableUntil(null, hour)).toBeNull()
  })
})
