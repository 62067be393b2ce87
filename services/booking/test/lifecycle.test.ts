// The booking lifecycle as given/when/then (the decider's own tests: no broker, no database): given the events
// a booking has had (and the facts around it), when a command comes, then these events, none, or this refusal.
import { describe, expect, test } from "bun:test"
import {
  decide,
  evolve,
  initialState,
  isRefusal,
  type BookingCommand,
  type BookingEvent,
  type BookingState,
  type ScreeningState
} from "../src/domain/lifecycle.ts"

const hour = 3_600_000
const now = Date.parse("2026-12-01T12:00:00Z")
const startsAt = now + 3 * hour
const iso = (ms: number) => new Date(ms).toISOString()

const B = "0190f0a0-0000-7000-8000-000000000001"
const U = "0190f0a0-0000-7000-8000-0000000000aa"
const S = "0190f0a0-0000-7000-8000-0000000000bb"
const T1 = "0190f0a0-0000-7000-8000-0000000000t1"
const T2 = "0190f0a0-0000-7000-8000-0000000000t2"

const screening: ScreeningState = {
  status: "scheduled",
  seatsKnown: true,
  startsAt,
  endsAt: startsAt + 2 * hour,
  price: { amount: 950, currency: "EUR" },
  movieTitle: "Alien",
  cinemaName: "Odeon",
  hallName: "Hall 1",
  timeZone: "Europe/Berlin"
}
const facts = { screening: { screeningId: S, startsAt: iso(startsAt), movieTitle: "Alien", cinemaName: "Odeon", hallName: "Hall 1", timeZone: "Europe/Berlin" } }
const ids = { bookingId: B, userId: U, screeningId: S }
const tickets = [
  { ticketId: T1, seatNumber: "A1" },
  { ticketId: T2, seatNumber: "A2" }
]

// The history of one booking, as events.
const attempted: BookingEvent = { type: "TicketBookingAttempted", data: { ...ids, seatNumbers: ["A1", "A2"] } }
const reserved: BookingEvent = {
  type: "TicketReserved",
  data: { ...ids, tickets, amount: 1900, currency: "EUR", expiresAt: iso(now + 15 * 60_000), ...facts }
}
const codeOf = (ticketId: string) => `code.${ticketId}.sig`
const booked: BookingEvent = {
  type: "TicketBooked",
  data: { ...ids, tickets: tickets.map((t) => ({ ...t, code: codeOf(t.ticketId) })), ...facts }
}
const admittedAt = (ms: number): BookingEvent => ({
  type: "TicketAdmitted",
  data: { bookingId: B, ticketId: T1, screeningId: S, seatNumber: "A1", admittedAt: iso(ms) }
})

// The commands, with the settings of a default service.
const request = (over: Partial<Extract<BookingCommand, { kind: "Request" }>> = {}): BookingCommand => ({
  kind: "Request", ...ids, seatNumbers: ["A1", "A2"], quotas: { account: 20, address: 30 }, now, ...over
})
const attempt = (over: Partial<Extract<BookingCommand, { kind: "Attempt" }>> = {}): BookingCommand => ({
  kind: "Attempt", ticketIds: [T1, T2], maxSeatsPerUser: 10, holdTtlMs: 15 * 60_000, giveUpOnUnknownScreening: false, attempt: 1, now, ...over
})
const paid: BookingCommand = { kind: "PaymentSucceeded", sign: (c) => codeOf(c.ticketId) }
const paymentFailed = (reason: "declined" | "insufficient_funds" | "expired"): BookingCommand => ({ kind: "PaymentFailed", reason })
const cancel = (over: Partial<Extract<BookingCommand, { kind: "Cancel" }>> = {}): BookingCommand => ({
  kind: "Cancel", bookingId: B, viewer: { userId: U, role: "customer" }, cutoffMs: hour, now, ...over
})
const claims = { ticketId: T1, bookingId: B, screeningId: S, seatNumber: "A1", startsAt: iso(startsAt) } as Extract<BookingCommand, { kind: "Admit" }>["claims"]
const admit = (over: Partial<Extract<BookingCommand, { kind: "Admit" }>> = {}): BookingCommand => ({
  kind: "Admit", claims, door: S, opensBeforeMs: hour, now: startsAt - 10 * 60_000, ...over
})

/** given(events, facts).when(command).then(events) / .thenNothing() / .thenRefused(tag, fields) */
const given = (events: ReadonlyArray<BookingEvent>, around: Partial<BookingState> = {}) => {
  const state = events.reduce(evolve, { ...initialState, screening, ...around })
  return {
    when: (command: BookingCommand) => {
      const decision = decide(command, state)
      return {
        then: (expected: ReadonlyArray<BookingEvent>) => expect(decision).toEqual(expected),
        thenNothing: () => expect(decision).toEqual([]),
        thenRefused: (tag: string, fields: Record<string, unknown> = {}) => {
          expect(isRefusal(decision)).toBe(true)
          expect(decision).toMatchObject({ _tag: tag, ...fields })
        }
      }
    }
  }
}
const free = { seats: { unknown: [], taken: [], liveOfUser: 0 }, userUnregistered: false }
const noneHeld = { held: { account: { seats: 0, firstExpiry: null }, address: { seats: 0, firstExpiry: null } } }

describe("a book request", () => {
  test("a new booking is attempted", () => given([], noneHeld).when(request()).then([attempted]))
  test("a booking that exists already is not requested again", () => given([attempted], noneHeld).when(request()).thenNothing())
  test("the account's unpaid seats past its quota are refused, retry after the first hold's expiry", () =>
    given([], { held: { account: { seats: 19, firstExpiry: now + 60_000 }, address: undefined } })
      .when(request())
      .thenRefused("HeldSeatsQuota", { scope: "account", max: 20, retryAfterMs: 60_000 }))
  test("up to the quota exactly is accepted", () =>
    given([], { held: { account: { seats: 18, firstExpiry: null }, address: undefined } }).when(request()).then([attempted]))
  test("while every hold is pending, retry in 5 s", () =>
    given([], { held: { account: { seats: 20, firstExpiry: null }, address: undefined } }).when(request()).thenRefused("HeldSeatsQuota", { retryAfterMs: 5_000 }))
  test("the client address's quota is checked after the account's", () =>
    given([], { held: { account: { seats: 0, firstExpiry: null }, address: { seats: 29, firstExpiry: now + 500 } } })
      .when(request())
      .thenRefused("HeldSeatsQuota", { scope: "address", max: 30, retryAfterMs: 1_000 }))
  test("staff (no quotas) are not held to them", () =>
    given([], { held: { account: { seats: 99, firstExpiry: null }, address: undefined } }).when(request({ quotas: {} })).then([attempted]))
})

describe("deciding an attempt", () => {
  test("free seats of a future screening are reserved at the price times the seats, held for the hold's time", () =>
    given([attempted], free).when(attempt()).then([reserved]))
  test("a seat a live ticket holds fails seat_unavailable with it", () =>
    given([attempted], { ...free, seats: { ...free.seats, taken: ["A2"] } })
      .when(attempt())
      .then([{ type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "seat_unavailable", unavailableSeats: ["A2"], ...facts } }]))
  test("a seat the hall lacks fails unknown_seat", () =>
    given([attempted], { ...free, seats: { ...free.seats, unknown: ["Z9"] } })
      .when(attempt())
      .then([{ type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "unknown_seat", unavailableSeats: ["Z9"], ...facts } }]))
  test("past the seats per user and screening fails seat_limit", () =>
    given([attempted], { ...free, seats: { ...free.seats, liveOfUser: 9 } }).when(attempt()).then([
      { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "seat_limit", unavailableSeats: [], ...facts } }
    ]))
  test("up to the seats per user exactly is reserved", () =>
    given([attempted], { ...free, seats: { ...free.seats, liveOfUser: 8 } }).when(attempt()).then([reserved]))
  test("a started screening fails screening_started", () =>
    given([attempted], free).when(attempt({ now: startsAt })).then([
      { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "screening_started", unavailableSeats: [], ...facts } }
    ]))
  test("a cancelled screening fails screening_cancelled", () =>
    given([attempted], { ...free, screening: { ...screening, status: "cancelled" } }).when(attempt()).then([
      { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "screening_cancelled", unavailableSeats: [], ...facts } }
    ]))
  test("an unregistered user fails user_unregistered, before any seat problem", () =>
    given([attempted], { userUnregistered: true, seats: { unknown: ["Z9"], taken: ["A1"], liveOfUser: 10 } }).when(attempt()).then([
      { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "user_unregistered", unavailableSeats: [], ...facts } }
    ]))
  test("an unknown screening waits (a retry)", () =>
    given([attempted], { ...free, screening: undefined }).when(attempt({ attempt: 2 })).thenRefused("ScreeningNotYetKnown", { bookingId: B, attempt: 2 }))
  test("a screening without its seats yet waits", () =>
    given([attempted], { ...free, screening: { ...screening, seatsKnown: false } }).when(attempt()).thenRefused("ScreeningNotYetKnown"))
  test("on the last allowed attempt an unknown screening fails unknown_screening, without screening facts", () =>
    given([attempted], { ...free, screening: undefined }).when(attempt({ giveUpOnUnknownScreening: true })).then([
      { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "unknown_screening", unavailableSeats: [] } }
    ]))
  test("an event names the screening only when every fact is known", () =>
    given([attempted], { ...free, screening: { ...screening, hallName: null } }).when(attempt()).then([
      { type: "TicketReserved", data: { ...ids, tickets, amount: 1900, currency: "EUR", expiresAt: iso(now + 15 * 60_000) } }
    ]))
  test("a redelivered attempt of a reserved booking changes nothing", () => given([attempted, reserved], free).when(attempt()).thenNothing())
  test("an attempt of a booking that does not exist changes nothing", () => given([], free).when(attempt()).thenNothing())
})

describe("payment", () => {
  test("a successful payment books a reserved booking, each ticket with its signed code", () =>
    given([attempted, reserved]).when(paid).then([booked]))
  test("a successful payment of a failed booking changes nothing (payments refunds it)", () =>
    given([attempted, reserved, { type: "TicketBookingFailed", data: { ...ids, tickets, reason: "payment_expired", ...facts } }]).when(paid).thenNothing())
  test("a successful payment of a cancelled booking changes nothing", () =>
    given([attempted, reserved, { type: "TicketCancelled", data: { ...ids, tickets, reason: "customer_cancelled", ...facts } }]).when(paid).thenNothing())
  test("a repeated successful payment changes nothing", () => given([attempted, reserved, booked]).when(paid).thenNothing())
  test("a pending booking is not booked by a payment", () => given([attempted]).when(paid).thenNothing())
  for (const reason of ["declined", "insufficient_funds", "expired"] as const) {
    test(`a payment failed ${reason} fails the reserved booking payment_${reason}, its seats freed`, () =>
      given([attempted, reserved]).when(paymentFailed(reason)).then([
        { type: "TicketBookingFailed", data: { ...ids, tickets, reason: `payment_${reason}`, ...facts } }
      ]))
  }
  test("a failed payment of a booked booking changes nothing", () => given([attempted, reserved, booked]).when(paymentFailed("declined")).thenNothing())
  test("a hold expiring after the booking was cancelled changes nothing", () =>
    given([attempted, reserved, { type: "TicketCancelled", data: { ...ids, tickets, reason: "customer_cancelled", ...facts } }]).when(paymentFailed("expired")).thenNothing())
})

describe("a customer or staff cancels (DESIGN §10)", () => {
  const cancelledBy = (reason: "customer_cancelled" | "screening_cancelled" | "user_unregistered"): BookingEvent => ({
    type: "TicketCancelled",
    data: { ...ids, tickets, reason, ...facts }
  })
  test("a reserved booking is cancelled at once, even after the start", () =>
    given([attempted, reserved]).when(cancel({ now: startsAt + hour })).then([cancelledBy("customer_cancelled")]))
  test("a booked booking is cancelled up to the cut-off", () =>
    given([attempted, reserved, booked]).when(cancel({ now: startsAt - hour })).then([cancelledBy("customer_cancelled")]))
  test("after the cut-off it is refused, naming when it closed", () =>
    given([attempted, reserved, booked]).when(cancel({ now: startsAt - hour + 1 })).thenRefused("CancellationClosed", { closedAt: iso(startsAt - hour) }))
  test("an unknown start cannot be shown to be before the cut-off", () =>
    given([attempted, reserved, booked], { screening: undefined }).when(cancel()).thenRefused("CancellationClosed", { closedAt: null }))
  test("a booked booking with an admitted ticket is refused with its first admission", () =>
    given([attempted, reserved, booked, admittedAt(now - 5)]).when(cancel()).thenRefused("AlreadyAdmitted", { ticketId: T1, admittedAt: iso(now - 5) }))
  test("a pending booking is not cancellable yet", () => given([attempted]).when(cancel()).thenRefused("BookingPending"))
  test("a failed booking is never cancellable", () =>
    given([attempted, { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "seat_limit", unavailableSeats: [] } }])
      .when(cancel())
      .thenRefused("BookingNotCancellable", { status: "failed" }))
  test("a cancelled booking is not cancelled twice", () =>
    given([attempted, reserved, cancelledBy("customer_cancelled")]).when(cancel()).thenRefused("BookingNotCancellable", { status: "cancelled" }))
  test("someone else's booking does not exist for them", () =>
    given([attempted, reserved]).when(cancel({ viewer: { userId: "someone", role: "customer" } })).thenRefused("BookingNotFound", { bookingId: B }))
  test("staff cancel anyone's booking", () =>
    given([attempted, reserved]).when(cancel({ viewer: { userId: "staff", role: "staff" } })).then([cancelledBy("customer_cancelled")]))
  test("a booking that does not exist is not found", () => given([]).when(cancel()).thenRefused("BookingNotFound"))

  test("a cancelled screening cancels a reserved booking", () =>
    given([attempted, reserved]).when({ kind: "CancelScreening" }).then([cancelledBy("screening_cancelled")]))
  test("a cancelled screening cancels a booked booking", () =>
    given([attempted, reserved, booked]).when({ kind: "CancelScreening" }).then([cancelledBy("screening_cancelled")]))
  test("a cancelled screening leaves a failed booking as it is", () =>
    given([attempted, reserved, { type: "TicketBookingFailed", data: { ...ids, tickets, reason: "payment_declined", ...facts } }])
      .when({ kind: "CancelScreening" })
      .thenNothing())
  test("an unregistered user's reserved booking is cancelled", () =>
    given([attempted, reserved]).when({ kind: "UnregisterUser" }).then([cancelledBy("user_unregistered")]))
  test("an unregistered user's pending booking fails as its decision would have", () =>
    given([attempted]).when({ kind: "UnregisterUser" }).then([
      { type: "TicketReservingFailed", data: { ...ids, seatNumbers: ["A1", "A2"], reason: "user_unregistered", unavailableSeats: [], ...facts } }
    ]))
  test("an unregistered user's booked booking stays valid", () => given([attempted, reserved, booked]).when({ kind: "UnregisterUser" }).thenNothing())
})

describe("admitting at the door (DESIGN §10, §17)", () => {
  const admitted = (ms: number) => [admittedAt(ms)]
  test("a booked ticket is admitted at the right door within the window", () =>
    given([attempted, reserved, booked]).when(admit()).then(admitted(startsAt - 10 * 60_000)))
  test("the door opens exactly the opening time before the start", () =>
    given([attempted, reserved, booked]).when(admit({ now: startsAt - hour })).then(admitted(startsAt - hour)))
  test("earlier is refused, naming when the door opens", () =>
    given([attempted, reserved, booked]).when(admit({ now: startsAt - hour - 1 })).thenRefused("CheckinTooEarly", { opensAt: iso(startsAt - hour) }))
  test("from the end on it is refused, naming the end", () =>
    given([attempted, reserved, booked]).when(admit({ now: startsAt + 2 * hour })).thenRefused("CheckinTooLate", { endedAt: iso(startsAt + 2 * hour) }))
  test("an unknown end keeps the door open", () =>
    given([attempted, reserved, booked], { screening: { ...screening, endsAt: null } }).when(admit({ now: startsAt + 9 * hour })).then(admitted(startsAt + 9 * hour)))
  test("another screening's door refuses the ticket", () =>
    given([attempted, reserved, booked]).when(admit({ door: "other" })).thenRefused("WrongScreening", { expected: "other", screeningId: S }))
  test("a second scan is refused with the first admission", () =>
    given([attempted, reserved, booked, admittedAt(startsAt - 20 * 60_000)]).when(admit()).thenRefused("AlreadyAdmitted", { admittedAt: iso(startsAt - 20 * 60_000) }))
  test("a reserved (unpaid) ticket admits no one", () => given([attempted, reserved]).when(admit()).thenRefused("TicketNotValid", { status: "reserved" }))
  test("a cancelled ticket admits no one", () =>
    given([attempted, reserved, booked, { type: "TicketCancelled", data: { ...ids, tickets, reason: "screening_cancelled" } }])
      .when(admit())
      .thenRefused("TicketNotValid", { status: "cancelled" }))
  test("a code naming another seat than the ticket's is refused as a wrong shape", () =>
    given([attempted, reserved, booked]).when(admit({ claims: { ...claims, seatNumber: "Z9" } as typeof claims })).thenRefused("InvalidTicketCode", { reason: "shape" }))
  test("a code naming another booking than the ticket's is refused as a wrong shape", () =>
    given([attempted, reserved, booked]).when(admit({ claims: { ...claims, bookingId: "other" } as typeof claims })).thenRefused("InvalidTicketCode"))
  test("a ticket that does not exist admits no one", () => given([]).when(admit()).thenRefused("TicketNotValid", { status: "unknown" }))
})

describe("evolve", () => {
  test("the events lead a booking through its states, its tickets with it", () => {
    const s = [attempted, reserved, booked, admittedAt(now)].reduce(evolve, initialState)
    expect(s.booking?.status).toBe("booked")
    expect(s.booking?.amount).toBe(1900)
    expect(s.booking?.tickets.map((t) => [t.status, t.code, t.admittedAt])).toEqual([
      ["booked", codeOf(T1), now],
      ["booked", codeOf(T2), null]
    ])
  })
  test("an admitted ticket stays admitted when its booking is cancelled; cancelled tickets never move again", () => {
    const cancelled: BookingEvent = { type: "TicketCancelled", data: { ...ids, tickets, reason: "screening_cancelled" } }
    const s = [attempted, reserved, booked, cancelled, paymentFailedEvent()].reduce(evolve, initialState)
    expect(s.booking?.tickets.map((t) => t.status)).toEqual(["cancelled", "cancelled"])
  })
})

function paymentFailedEvent(): BookingEvent {
  return { type: "TicketBookingFailed", data: { ...ids, tickets, reason: "payment_declined" } }
}
