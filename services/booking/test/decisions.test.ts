// The decision rules of a booking attempt, and what payment outcomes and cascades do to a booking,
// against a real broker and SQLite, driven over HTTP and by events.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, type EventData } from "@bat/contracts"
import { expectProblem, pollUntil } from "@bat/testing"
import { book, handledAtLeast, handledNow, outboxSeq, outboxSince, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness({ MAX_SEATS_PER_USER: "4", UNKNOWN_SCREENING_ATTEMPTS: "2" })
})
afterAll(async () => {
  await h?.stop()
})

const eventOf = (bookingId: string, type: string) =>
  pollUntil(() => h.emittedFor(bookingId).find((e) => e.type === type), { message: `${type} for ${bookingId}` })

const failedWith = async (bookingId: string, userId: string, reason: string) => {
  const view = await h.awaitStatus(bookingId, userId, ["failed", "reserved"])
  expect(view).toMatchObject({ status: "failed", reason, tickets: [], amount: null, currency: null })
  const event = await eventOf(bookingId, "TicketReservingFailed")
  expect(event.data.reason).toBe(reason)
  expect(event.correlationId).toBe(bookingId)
  return event
}

const payment = (bookingId: string, userId: string) => ({ paymentId: newId(), bookingId, userId })
const paid = (bookingId: string, userId: string, amount: number) =>
  ({ ...payment(bookingId, userId), amount, currency: "EUR", transactionDate: new Date().toISOString() }) as EventData<"PaymentSuccessful">
const declined = (bookingId: string, userId: string, reason: "declined" | "insufficient_funds" | "expired" = "declined") =>
  ({ ...payment(bookingId, userId), reason }) as EventData<"PaymentFailed">

describe("deciding a booking attempt", () => {
  test("free seats of a scheduled screening are reserved at the price times the seats, until now + HOLD_TTL_MS", async () => {
    const sc = await schedule(h, scheduled({ amount: 1150 }))
    const user = newId()
    const before = Date.now()
    const bookingId = await book(h, user, sc.screeningId, ["A1", "B2"])
    const view = await h.awaitStatus(bookingId, user, ["reserved", "failed"])
    expect(view).toMatchObject({ bookingId, screeningId: sc.screeningId, status: "reserved", seatNumbers: ["A1", "B2"], amount: 2300, currency: "EUR" })
    expect(view.tickets.map((t: { seatNumber: string }) => t.seatNumber)).toEqual(["A1", "B2"])
    const expiresAt = Date.parse(view.expiresAt)
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000)

    const attempted = await eventOf(bookingId, "TicketBookingAttempted")
    const reserved = await eventOf(bookingId, "TicketReserved")
    expect(attempted.correlationId).toBe(bookingId)
    expect(reserved.correlationId).toBe(bookingId)
    expect(reserved.causationId).toBe(attempted.id)
    expect(reserved.data).toEqual({
      bookingId,
      userId: user,
      screeningId: sc.screeningId,
      tickets: view.tickets,
      amount: 2300,
      currency: "EUR",
      expiresAt: view.expiresAt
    })
  })

  test("a seat held by one booking cannot be reserved by another, and the whole attempt fails", async () => {
    const sc = await schedule(h, scheduled())
    const first = newId()
    const second = newId()
    const held = await book(h, first, sc.screeningId, ["A1", "A2"])
    await h.awaitStatus(held, first, ["reserved"])
    const clash = await book(h, second, sc.screeningId, ["A3", "A2"])
    const event = await failedWith(clash, second, "seat_unavailable")
    expect(event.data.unavailableSeats).toEqual(["A2"])
    expect(event.data.seatNumbers).toEqual(["A3", "A2"])
    // A3 was not taken by the failed attempt.
    const other = await book(h, second, sc.screeningId, ["A3"])
    await h.awaitStatus(other, second, ["reserved"])
  })

  test("a seat the hall does not have fails unknown_seat, naming the seat", async () => {
    const sc = await schedule(h, scheduled())
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, ["A1", "Z9"])
    expect((await failedWith(bookingId, user, "unknown_seat")).data.unavailableSeats).toEqual(["Z9"])
  })

  test("a screening that has started fails screening_started", async () => {
    const sc = await schedule(h, scheduled({ startsInMs: -60_000 }))
    const user = newId()
    await failedWith(await book(h, user, sc.screeningId, ["A1"]), user, "screening_started")
  })

  test("more live seats than MAX_SEATS_PER_USER for one screening fails seat_limit", async () => {
    const sc = await schedule(h, scheduled())
    const user = newId()
    const first = await book(h, user, sc.screeningId, ["A1", "A2", "A3"])
    await h.awaitStatus(first, user, ["reserved"])
    await failedWith(await book(h, user, sc.screeningId, ["A4", "A5"]), user, "seat_limit")
    // Exactly at the limit is fine, and another user is not affected.
    await h.awaitStatus(await book(h, user, sc.screeningId, ["A4"]), user, ["reserved"])
    const other = newId()
    await h.awaitStatus(await book(h, other, sc.screeningId, ["B1", "B2", "B3", "B4"]), other, ["reserved"])
  })

  test("a screening never announced is retried with delay, then fails unknown_screening", async () => {
    const user = newId()
    const retriedBefore = h.svc.messaging.consumer!.retried
    const bookingId = await book(h, user, newId(), ["A1"])
    await failedWith(bookingId, user, "unknown_screening")
    expect(h.svc.messaging.consumer!.retried).toBeGreaterThan(retriedBefore)
  })

  test("an attempt that overtakes its screening is decided once the screening arrives", async () => {
    const sc = scheduled()
    const user = newId()
    const retriedBefore = h.svc.messaging.consumer!.retried
    const bookingId = await book(h, user, sc.screeningId, ["A1"])
    await pollUntil(() => h.svc.messaging.consumer!.retried > retriedBefore, { message: "the first attempt to be retried" })
    expect((await h.call("GET", `/tickets/bookings/${bookingId}`, { userId: user }).then((r) => r.json()) as any).status).toBe("pending")
    await h.publish("ScreeningScheduled", sc)
    await h.awaitStatus(bookingId, user, ["reserved"])
  })

  test("a cancelled screening fails later attempts with screening_cancelled, even if its schedule arrives late", async () => {
    const sc = scheduled()
    await h.publish("ScreeningCancelled", { screeningId: sc.screeningId, reason: "projector broken" } as EventData<"ScreeningCancelled">)
    await h.publish("ScreeningScheduled", sc)
    await pollUntil(() => rows(h, "SELECT 1 FROM screening_seats WHERE screening_id = ?", sc.screeningId).length > 0)
    expect(rows(h, "SELECT status FROM screenings WHERE screening_id = ?", sc.screeningId)).toEqual([{ status: "cancelled" }])
    const user = newId()
    await failedWith(await book(h, user, sc.screeningId, ["A1"]), user, "screening_cancelled")
  })

  test("a booking still pending when its screening is cancelled fails screening_cancelled at decision time", async () => {
    const sc = scheduled()
    const user = newId()
    const retriedBefore = h.svc.messaging.consumer!.retried
    const bookingId = await book(h, user, sc.screeningId, ["A1"])
    await pollUntil(() => h.svc.messaging.consumer!.retried > retriedBefore, { message: "the first attempt to be retried" })
    await h.publish("ScreeningScheduled", sc)
    await h.publish("ScreeningCancelled", { screeningId: sc.screeningId, reason: "strike" } as EventData<"ScreeningCancelled">)
    await failedWith(bookingId, user, "screening_cancelled")
  })

  test("an unregistered user's token is refused at the door; an attempt already on its way ends user_unregistered", async () => {
    const sc = await schedule(h, scheduled())
    const user = newId()
    // Sent just before the account is closed: decided before UserUnregistered (reserved, then cancelled by the
    // cascade) or after it (failed); either way it ends for user_unregistered.
    const inFlight = await book(h, user, sc.screeningId, ["A2"])
    await h.publish("UserUnregistered", { userId: user } as EventData<"UserUnregistered">)
    await pollUntil(() => rows(h, "SELECT 1 FROM unregistered_users WHERE user_id = ?", user).length === 1)
    const ended = await h.awaitStatus(inFlight, user, ["failed", "cancelled"])
    expect(ended.reason).toBe("user_unregistered")
    const res = await h.call("POST", "/tickets/book", { userId: user, body: { screeningId: sc.screeningId, seatNumbers: ["A1"] } })
    await expectProblem(res, 401, "token_revoked")
  })

  test("a newer screening revision sets the price of later reservations; an older one is ignored", async () => {
    const sc = await schedule(h, scheduled({ amount: 1000 }))
    const update = (revision: number, amount: number) =>
      ({ screeningId: sc.screeningId, revision, startsAt: sc.startsAt, endsAt: sc.endsAt, price: { amount, currency: "EUR" } }) as EventData<"ScreeningUpdated">
    await h.publish("ScreeningUpdated", update(3, 1500))
    await h.publish("ScreeningUpdated", update(2, 900))
    await h.publish("ScreeningScheduled", sc) // a redelivered revision 1
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, ["A1", "A2"])
    expect(await h.awaitStatus(bookingId, user, ["reserved"])).toMatchObject({ amount: 3000 })
    expect(rows(h, "SELECT revision, price_amount FROM screenings WHERE screening_id = ?", sc.screeningId)).toEqual([
      { revision: 3, price_amount: 1500 }
    ])
  })
})

describe("payment outcomes", () => {
  const reservedBooking = async (seats: ReadonlyArray<string> = ["A1"]) => {
    const sc = await schedule(h, scheduled({ amount: 800 }))
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, seats)
    const view = await h.awaitStatus(bookingId, user, ["reserved"])
    return { sc, user, bookingId, view }
  }

  test("a successful payment books a reserved booking and emits TicketBooked with its tickets", async () => {
    const { user, bookingId, view } = await reservedBooking(["A1", "A2"])
    const paidEvent = await h.publish("PaymentSuccessful", paid(bookingId, user, 1600), { correlationId: bookingId })
    const booked = await h.awaitStatus(bookingId, user, ["booked"])
    expect(booked.expiresAt).toBeUndefined()
    const event = await eventOf(bookingId, "TicketBooked")
    // The tickets of the reservation, each now with its code (the booked view shows the same).
    expect(booked.tickets).toEqual(view.tickets.map((t: object) => ({ ...t, code: expect.any(String) })))
    expect(event.data).toEqual({ bookingId, userId: user, screeningId: view.screeningId, tickets: booked.tickets })
    expect(event.causationId).toBe(paidEvent.id)
    expect(rows(h, "SELECT DISTINCT status FROM tickets WHERE booking_id = ?", bookingId)).toEqual([{ status: "booked" }])
  })

  test("a failed payment fails the booking with payment_<reason> and frees its seats", async () => {
    for (const reason of ["declined", "insufficient_funds", "expired"] as const) {
      const { sc, user, bookingId, view } = await reservedBooking(["B1"])
      await h.publish("PaymentFailed", declined(bookingId, user, reason))
      expect(await h.awaitStatus(bookingId, user, ["failed"])).toMatchObject({ reason: `payment_${reason}` })
      const event = await eventOf(bookingId, "TicketBookingFailed")
      expect(event.data).toMatchObject({ reason: `payment_${reason}`, tickets: view.tickets })
      expect(rows(h, "SELECT DISTINCT status FROM tickets WHERE booking_id = ?", bookingId)).toEqual([{ status: "failed" }])
      const next = newId()
      await h.awaitStatus(await book(h, next, sc.screeningId, ["B1"]), next, ["reserved"])
    }
  })

  test("payment outcomes for a booking that is not reserved are acknowledged with no effect", async () => {
    // booked, then a late failure and a second success
    const a = await reservedBooking()
    await h.publish("PaymentSuccessful", paid(a.bookingId, a.user, 800))
    await h.awaitStatus(a.bookingId, a.user, ["booked"])
    // failed at decision
    const sc = await schedule(h, scheduled({ startsInMs: -1_000 }))
    const bUser = newId()
    const b = await book(h, bUser, sc.screeningId, ["A1"])
    await h.awaitStatus(b, bUser, ["failed"])
    // cancelled (by its screening)
    const c = await reservedBooking()
    await h.publish("ScreeningCancelled", { screeningId: c.sc.screeningId, reason: "flood" } as EventData<"ScreeningCancelled">)
    await h.awaitStatus(c.bookingId, c.user, ["cancelled"])
    // pending: its screening is unknown, so it waits for a retry
    const dUser = newId()
    const d = await book(h, dUser, newId(), ["A1"])

    const seq = outboxSeq(h)
    const handled = handledNow(h)
    const late = [
      h.publish("PaymentFailed", declined(a.bookingId, a.user)),
      h.publish("PaymentSuccessful", paid(a.bookingId, a.user, 800)),
      h.publish("PaymentSuccessful", paid(b, bUser, 800)),
      h.publish("PaymentFailed", declined(b, bUser, "expired")),
      h.publish("PaymentSuccessful", paid(c.bookingId, c.user, 800)),
      h.publish("PaymentFailed", declined(c.bookingId, c.user)),
      h.publish("PaymentSuccessful", paid(d, dUser, 800)),
      h.publish("PaymentSuccessful", paid(newId(), newId(), 800))
    ]
    await Promise.all(late)
    await handledAtLeast(h, handled + late.length)
    expect((await h.awaitStatus(a.bookingId, a.user, ["booked"])).status).toBe("booked")
    expect((await h.awaitStatus(b, bUser, ["failed"])).reason).toBe("screening_started")
    expect((await h.awaitStatus(c.bookingId, c.user, ["cancelled"])).reason).toBe("screening_cancelled")
    const newEvents = outboxSince(h, seq).filter((e) => [a.bookingId, b, c.bookingId].includes(e.data.bookingId))
    expect(newEvents.map((e) => e.type)).toEqual([])
    expect(await h.svc.messaging.parkedCount()).toBe(0)
    // The success that reached it while pending did not book it; its attempt then failed as usual.
    expect((await h.awaitStatus(d, dUser, ["failed", "booked"])).reason).toBe("unknown_screening")
  })
})

describe("cascades", () => {
  test("a cancelled screening cancels its reserved and booked bookings with TicketCancelled each", async () => {
    const sc = await schedule(h, scheduled())
    const [u1, u2, u3] = [newId(), newId(), newId()]
    const reserved = await book(h, u1, sc.screeningId, ["A1", "A2"])
    const booked = await book(h, u2, sc.screeningId, ["B1"])
    await h.awaitStatus(reserved, u1, ["reserved"])
    await h.awaitStatus(booked, u2, ["reserved"])
    await h.publish("PaymentSuccessful", paid(booked, u2, 1200))
    await h.awaitStatus(booked, u2, ["booked"])
    const failed = await book(h, u3, sc.screeningId, ["A1"])
    await h.awaitStatus(failed, u3, ["failed"])

    const cancelled = await h.publish("ScreeningCancelled", { screeningId: sc.screeningId, reason: "lost print" } as EventData<"ScreeningCancelled">)
    for (const [bookingId, user] of [[reserved, u1], [booked, u2]] as const) {
      expect(await h.awaitStatus(bookingId, user, ["cancelled"])).toMatchObject({ reason: "screening_cancelled" })
      const event = await eventOf(bookingId, "TicketCancelled")
      expect(event.data).toMatchObject({ bookingId, userId: user, screeningId: sc.screeningId, reason: "screening_cancelled" })
      expect(event.data.tickets.length).toBeGreaterThan(0)
      expect(event.causationId).toBe(cancelled.id)
      expect(event.correlationId).toBe(bookingId)
    }
    expect((await h.awaitStatus(failed, u3, ["failed"])).reason).toBe("seat_unavailable")
    expect(outboxSince(h, 0).filter((e) => e.data.bookingId === failed).map((e) => e.type)).toEqual([
      "TicketBookingAttempted",
      "TicketReservingFailed"
    ])
    expect(rows(h, "SELECT count(*) AS n FROM tickets WHERE screening_id = ? AND status IN ('reserved', 'booked')", sc.screeningId)).toEqual([{ n: 0 }])
  })

  test("an unregistered user's reserved bookings are cancelled and booked ones stay valid", async () => {
    const sc = await schedule(h, scheduled())
    const user = newId()
    const reserved = await book(h, user, sc.screeningId, ["A1"])
    const booked = await book(h, user, sc.screeningId, ["A2"])
    await h.awaitStatus(reserved, user, ["reserved"])
    await h.awaitStatus(booked, user, ["reserved"])
    await h.publish("PaymentSuccessful", paid(booked, user, 1200))
    await h.awaitStatus(booked, user, ["booked"])

    const unregistered = await h.publish("UserUnregistered", { userId: user } as EventData<"UserUnregistered">)
    expect(await h.awaitStatus(reserved, user, ["cancelled"])).toMatchObject({ reason: "user_unregistered" })
    expect((await eventOf(reserved, "TicketCancelled")).data.reason).toBe("user_unregistered")
    expect((await h.awaitStatus(booked, user, ["booked"])).status).toBe("booked")
    // Then the list of what the unregistering ended, for notifications to know what it still owes the user.
    const closed = await pollUntil(() => h.emitted.find((e) => e.type === "UserBookingsClosed" && e.data.userId === user), {
      message: "UserBookingsClosed"
    })
    expect(closed.data).toEqual({ userId: user, bookingIds: [reserved] })
    expect(closed.causationId).toBe(unregistered.id)
    expect(closed.correlationId).toBe(unregistered.correlationId)
    expect(outboxSince(h, 0).filter((e) => e.data.bookingId === booked).map((e) => e.type)).toEqual([
      "TicketBookingAttempted",
      "TicketReserved",
      "TicketBooked"
    ])
    // Their token no longer books at all (DESIGN §17).
    await expectProblem(await h.call("POST", "/tickets/book", { userId: user, body: { screeningId: sc.screeningId, seatNumbers: ["A3"] } }), 401, "token_revoked")
  })
})
