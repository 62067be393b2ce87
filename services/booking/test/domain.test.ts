// The seat rule of an attempt on its own: every reason, and which one wins when several apply.
import { describe, expect, test } from "bun:test"
import { attemptVerdict, cancellableUntil, checkinWindow, refuseCancellation, type AttemptFacts } from "../src/domain/Booking.ts"
import { dayWindow, localDateOf } from "../src/domain/Reports.ts"

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
    expect(attemptVerdict(facts())).toEqual({ _tag: "Reserve", amount: 1900, currency: "EUR" })
  })

  test("each failed condition gives its reason and the seats involved", () => {
    expect(attemptVerdict(facts({ userUnregistered: true }))).toEqual({ _tag: "Reject", reason: "user_unregistered", unavailableSeats: [] })
    expect(attemptVerdict(facts({ screening: { status: "cancelled", seatsKnown: false, startsAt: null, price: null } }))).toMatchObject({ reason: "screening_cancelled" })
    expect(attemptVerdict(facts({ now: now + 3_600_000 }))).toMatchObject({ reason: "screening_started" })
    expect(attemptVerdict(facts({ unknownSeats: ["A2"] }))).toEqual({ _tag: "Reject", reason: "unknown_seat", unavailableSeats: ["A2"] })
    expect(attemptVerdict(facts({ liveSeatsOfUser: 9 }))).toMatchObject({ reason: "seat_limit" })
    expect(attemptVerdict(facts({ liveSeatsOfUser: 8 }))._tag).toBe("Reserve")
    expect(attemptVerdict(facts({ takenSeats: ["A1"] }))).toEqual({ _tag: "Reject", reason: "seat_unavailable", unavailableSeats: ["A1"] })
  })

  test("an unknown screening waits until the last allowed attempt, then fails unknown_screening", () => {
    expect(attemptVerdict(facts({ screening: undefined }))).toEqual({ _tag: "Wait" })
    expect(attemptVerdict(facts({ screening: { status: "scheduled", seatsKnown: false, startsAt: now + 1, price: { amount: 1, currency: "EUR" } } }))).toEqual({ _tag: "Wait" })
    expect(attemptVerdict(facts({ screening: undefined, giveUpOnUnknownScreening: true }))).toMatchObject({ reason: "unknown_screening" })
  })

  test("an unregistered user or a cancelled screening wins over seat problems", () => {
    const everything = { unknownSeats: ["Z1"], takenSeats: ["A1"], liveSeatsOfUser: 10 }
    expect(attemptVerdict(facts({ ...everything, userUnregistered: true }))).toMatchObject({ reason: "user_unregistered" })
    expect(attemptVerdict(facts({ ...everything, screening: undefined, userUnregistered: true }))).toMatchObject({ reason: "user_unregistered" })
    expect(attemptVerdict(facts(everything))).toMatchObject({ reason: "unknown_seat" })
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

describe("the check-in window (DESIGN §17)", () => {
  const start = Date.parse("2027-03-01T20:00:00Z")
  const end = start + 7_200_000
  const opens = 3_600_000
  test("opens CHECKIN_OPENS_MINUTES before the start, to the millisecond, and closes at the end", () => {
    expect(checkinWindow(start, end, opens, start - opens - 1).verdict).toBe("early")
    expect(checkinWindow(start, end, opens, start - opens).verdict).toBe("open")
    expect(checkinWindow(start, end, opens, start + 3_600_000).verdict).toBe("open")
    expect(checkinWindow(start, end, opens, end - 1).verdict).toBe("open")
    expect(checkinWindow(start, end, opens, end).verdict).toBe("late")
    expect(checkinWindow(start, end, opens, start - 7 * 86_400_000)).toEqual({ verdict: "early", opensAt: start - opens, endsAt: end })
    expect(checkinWindow(start, end, 0, start - 1).verdict).toBe("early")
    expect(checkinWindow(start, null, opens, end + 86_400_000).verdict).toBe("open")
  })
})

describe("the local day of a screening (day reports)", () => {
  const inWindow = (iso: string, date: string) => {
    const { from, to } = dayWindow(date)
    const t = Date.parse(iso)
    return t >= from && t < to
  }

  test("on the days clocks change, the same UTC time of day falls on different local days", () => {
    // Berlin springs forward on 28 Mar 2027 (CET +1 → CEST +2) and falls back on 31 Oct 2027 (CEST +2 → CET +1).
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["2027-03-27T23:30:00Z", "Europe/Berlin", "2027-03-28"], // 00:30 CET, the first minutes of the short day
      ["2027-03-28T21:30:00Z", "Europe/Berlin", "2027-03-28"], // 23:30 CEST, its last
      ["2027-03-28T22:30:00Z", "Europe/Berlin", "2027-03-29"],
      ["2027-10-30T22:30:00Z", "Europe/Berlin", "2027-10-31"], // 00:30 CEST, the first minutes of the long day
      ["2027-10-31T22:30:00Z", "Europe/Berlin", "2027-10-31"], // 23:30 CET, its last
      ["2027-10-31T23:00:00Z", "Europe/Berlin", "2027-11-01"],
      ["2027-03-14T06:30:00Z", "America/New_York", "2027-03-14"], // 01:30 EST, before the gap
      ["2027-03-15T03:59:00Z", "America/New_York", "2027-03-14"], // 23:59 EDT
      ["2027-04-04T13:30:00Z", "Pacific/Chatham", "2027-04-05"], // +12:45 after Chatham's change on 4 Apr 2027
      ["2027-01-15T12:00:00Z", "Nowhere/Unknown", "2027-01-15"] // a zone the runtime does not know reads as UTC
    ]
    for (const [iso, zone, date] of cases) {
      expect({ iso, zone, date: localDateOf(Date.parse(iso), zone) }).toEqual({ iso, zone, date })
      expect(inWindow(iso, date)).toBe(true)
    }
    expect(localDateOf(Date.parse("2027-03-28T12:00:00Z"), null)).toBe("2027-03-28")
  })

  test("the UTC window of a date holds every instant whose local date it is, in the zones furthest from UTC", () => {
    // Kiritimati is UTC+14 and Pago Pago UTC-11: the first and last minutes of 15 Jun there.
    expect(localDateOf(Date.parse("2027-06-14T10:00:00Z"), "Pacific/Kiritimati")).toBe("2027-06-15")
    expect(inWindow("2027-06-14T10:00:00Z", "2027-06-15")).toBe(true)
    expect(localDateOf(Date.parse("2027-06-16T10:59:00Z"), "Pacific/Pago_Pago")).toBe("2027-06-15")
    expect(inWindow("2027-06-16T10:59:00Z", "2027-06-15")).toBe(true)
    expect(localDateOf(Date.parse("2027-06-16T11:00:00Z"), "Pacific/Pago_Pago")).toBe("2027-06-16")
  })
})
