// I1 (a seat is never held twice) and I5 (a message delivered twice has one effect), against a real
// broker and SQLite.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, type Envelope, type EventData } from "@bat/contracts"
import { pollUntil } from "@bat/testing"
import {
  book,
  handledAtLeast,
  handledNow,
  outboxSeq,
  outboxSince,
  rows,
  schedule,
  scheduled,
  startHarness,
  type Harness
} from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

/** A small seeded generator, so a failing run can be replayed. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("I1: a seat of a screening is never held by two tickets at once", () => {
  test("the database refuses a second live ticket for a seat even when the code is bypassed", () => {
    const db = h.svc.store.db
    const screeningId = newId()
    const now = Date.now()
    const booking = (id: string) =>
      db
        .prepare(
          `INSERT INTO bookings (booking_id, user_id, screening_id, status, seat_numbers, seat_count, created_at, updated_at)
           VALUES (?, ?, ?, 'reserved', '["A1"]', 1, ?, ?)`
        )
        .run(id, newId(), screeningId, now, now)
    const ticket = (bookingId: string, status: string) => {
      const id = newId()
      db.prepare(
        `INSERT INTO tickets (ticket_id, booking_id, screening_id, seat_number, status, created_at, updated_at)
         VALUES (?, ?, ?, 'A1', ?, ?, ?)`
      ).run(id, bookingId, screeningId, status, now, now)
      return id
    }
    const [b1, b2, b3] = [newId(), newId(), newId()]
    booking(b1)
    booking(b2)
    booking(b3)
    ticket(b1, "reserved")
    expect(() => ticket(b2, "reserved")).toThrow(/UNIQUE constraint failed/)
    expect(() => ticket(b2, "booked")).toThrow(/UNIQUE constraint failed/)
    // Released tickets do not hold the seat, and never come back to life over a live one.
    const released = ticket(b2, "failed")
    ticket(b3, "cancelled")
    expect(() => db.prepare("UPDATE tickets SET status = 'booked' WHERE ticket_id = ?").run(released)).toThrow(
      /UNIQUE constraint failed/
    )
    // The same seat of another screening is a different seat.
    expect(() =>
      db
        .prepare(
          `INSERT INTO tickets (ticket_id, booking_id, screening_id, seat_number, status, created_at, updated_at)
           VALUES (?, ?, ?, 'A1', 'reserved', ?, ?)`
        )
        .run(newId(), b2, newId(), now, now)
    ).not.toThrow()
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT 1 FROM tickets WHERE screening_id = ? AND seat_number = ? AND status IN ('reserved', 'booked')"
      )
      .all(screeningId, "A1") as Array<{ detail: string }>
    expect(plan.map((p) => p.detail).join(" ")).toContain("tickets_one_live_per_seat")
  })

  test("50 customers booking overlapping seats of a 20-seat hall at once: each seat is won once, a partial overlap fails whole", async () => {
    const seats = [...Array.from({ length: 10 }, (_, i) => `A${i + 1}`), ...Array.from({ length: 10 }, (_, i) => `B${i + 1}`)]
    const sc = await schedule(h, scheduled({ seats, amount: 1000 }))
    const random = mulberry32(20261124)
    const requests = Array.from({ length: 50 }, () => {
      const wanted = 1 + Math.floor(random() * 4)
      const pool = [...seats]
      const chosen: Array<string> = []
      while (chosen.length < wanted) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!)
      return { userId: newId(), seatNumbers: chosen }
    })
    const bookingIds = await Promise.all(requests.map((r) => book(h, r.userId, sc.screeningId, r.seatNumbers)))
    await pollUntil(
      () => rows<{ n: number }>(h, "SELECT count(*) AS n FROM bookings WHERE screening_id = ? AND status != 'pending'", sc.screeningId)[0]!.n === 50,
      { timeoutMs: 20_000, message: "every booking to be decided" }
    )

    const doubles = rows(
      h,
      `SELECT seat_number, count(*) AS n FROM tickets WHERE screening_id = ? AND status IN ('reserved', 'booked')
       GROUP BY seat_number HAVING n > 1`,
      sc.screeningId
    )
    expect(doubles).toEqual([])

    const holder = new Map<string, string>()
    const views = await Promise.all(
      bookingIds.map((id, i) => h.call("GET", `/tickets/bookings/${id}`, { userId: requests[i]!.userId }).then((r) => r.json() as Promise<any>))
    )
    for (const [i, view] of views.entries()) {
      expect(["reserved", "failed"]).toContain(view.status)
      if (view.status === "reserved") {
        expect(view.tickets.map((t: any) => t.seatNumber)).toEqual(requests[i]!.seatNumbers)
        expect(view.amount).toBe(1000 * requests[i]!.seatNumbers.length)
        for (const s of requests[i]!.seatNumbers) {
          expect(holder.has(s)).toBe(false)
          holder.set(s, view.bookingId)
        }
      } else {
        expect(view).toMatchObject({ reason: "seat_unavailable", tickets: [] })
      }
    }
    const live = rows<{ seat_number: string; booking_id: string }>(
      h,
      "SELECT seat_number, booking_id FROM tickets WHERE screening_id = ? AND status = 'reserved'",
      sc.screeningId
    )
    expect(new Map(live.map((t) => [t.seat_number, t.booking_id]))).toEqual(holder)

    // Every failure names seats that a reserved booking really holds.
    const failures = outboxSince(h, 0).filter((e) => e.type === "TicketReservingFailed" && e.data.screeningId === sc.screeningId)
    const reservations = outboxSince(h, 0).filter((e) => e.type === "TicketReserved" && e.data.screeningId === sc.screeningId)
    expect(failures.length + reservations.length).toBe(50)
    expect(failures.length).toBeGreaterThan(0)
    expect(reservations.length).toBeGreaterThan(0)
    for (const f of failures) {
      expect(f.data.unavailableSeats.length).toBeGreaterThan(0)
      for (const s of f.data.unavailableSeats) expect(holder.has(s)).toBe(true)
    }
  })
})

describe("I5: delivering any message twice has the same effect as once", () => {
  /** Publishes the envelope twice and waits until both copies were settled. */
  const twice = async (envelope: Envelope) => {
    const handled = handledNow(h)
    await h.republish(envelope)
    await h.republish(envelope)
    await handledAtLeast(h, handled + 2)
  }
  const typesFor = (seq: number, bookingId: string) =>
    outboxSince(h, seq)
      .filter((e) => e.data.bookingId === bookingId)
      .map((e) => e.type)

  const published = <T extends Parameters<Harness["publish"]>[0]>(type: T, data: EventData<T>) =>
    h.publish(type, data).then(async (env) => {
      await twice(env as Envelope)
      return env
    })

  test("each consumed event delivered twice more has one effect", async () => {
    // ScreeningScheduled / ScreeningUpdated: projected once (the inbox holds one id each).
    const sc = scheduled({ amount: 700, seats: ["A1", "A2", "A3", "A4"] })
    const scheduledEnv = await published("ScreeningScheduled", sc)
    const updateEnv = await published("ScreeningUpdated", {
      screeningId: sc.screeningId,
      revision: 2,
      startsAt: sc.startsAt,
      endsAt: sc.endsAt,
      price: { amount: 900, currency: "EUR" }
    } as EventData<"ScreeningUpdated">)
    expect(rows(h, "SELECT count(*) AS n FROM inbox WHERE id IN (?, ?)", scheduledEnv.id, updateEnv.id)).toEqual([{ n: 2 }])
    expect(rows(h, "SELECT count(*) AS n FROM screening_seats WHERE screening_id = ?", sc.screeningId)).toEqual([{ n: 4 }])

    // TicketBookingAttempted: one decision, one set of tickets.
    const [u1, u2, u3] = [newId(), newId(), newId()]
    const paidBooking = await book(h, u1, sc.screeningId, ["A1"])
    const failingBooking = await book(h, u2, sc.screeningId, ["A2"])
    await h.awaitStatus(paidBooking, u1, ["reserved"])
    await h.awaitStatus(failingBooking, u2, ["reserved"])
    const attempt = h.emittedFor(paidBooking).find((e) => e.type === "TicketBookingAttempted")!
    let seq = outboxSeq(h)
    await twice(attempt)
    expect(typesFor(seq, paidBooking)).toEqual([])
    expect(rows(h, "SELECT count(*) AS n FROM tickets WHERE booking_id = ?", paidBooking)).toEqual([{ n: 1 }])

    // PaymentSuccessful ×3: one TicketBooked.
    seq = outboxSeq(h)
    await published("PaymentSuccessful", {
      paymentId: newId(),
      bookingId: paidBooking,
      userId: u1,
      amount: 900,
      currency: "EUR",
      transactionDate: new Date().toISOString()
    } as EventData<"PaymentSuccessful">)
    expect(typesFor(seq, paidBooking)).toEqual(["TicketBooked"])

    // PaymentFailed ×3: one TicketBookingFailed; the freed seat is then taken by someone else and stays theirs.
    seq = outboxSeq(h)
    const failedEnv = await published("PaymentFailed", {
      paymentId: newId(),
      bookingId: failingBooking,
      userId: u2,
      reason: "declined"
    } as EventData<"PaymentFailed">)
    expect(typesFor(seq, failingBooking)).toEqual(["TicketBookingFailed"])
    const taker = await book(h, u3, sc.screeningId, ["A2"])
    await h.awaitStatus(taker, u3, ["reserved"])
    await twice(failedEnv as Envelope)
    expect((await h.awaitStatus(taker, u3, ["reserved"])).status).toBe("reserved")

    // UserUnregistered ×3: one TicketCancelled for the user's reserved booking.
    seq = outboxSeq(h)
    await published("UserUnregistered", { userId: u3 } as EventData<"UserUnregistered">)
    expect(typesFor(seq, taker)).toEqual(["TicketCancelled"])

    // ScreeningCancelled ×3: one TicketCancelled for the booked booking.
    seq = outboxSeq(h)
    await published("ScreeningCancelled", { screeningId: sc.screeningId, reason: "fire drill" } as EventData<"ScreeningCancelled">)
    expect(typesFor(seq, paidBooking)).toEqual(["TicketCancelled"])
    expect(outboxSince(h, seq).map((e) => e.type)).toEqual(["TicketCancelled"])
    expect(await h.svc.messaging.parkedCount()).toBe(0)
  })

  test("UserUnregistered delivered twice more, or sent again under a new id, emits one UserBookingsClosed listing the bookings it ended", async () => {
    const sc = await schedule(h, scheduled({ seats: ["A1", "A2", "A3"] }))
    const user = newId()
    const reserved = await book(h, user, sc.screeningId, ["A1"])
    const booked = await book(h, user, sc.screeningId, ["A2"])
    await h.awaitStatus(reserved, user, ["reserved"])
    await h.awaitStatus(booked, user, ["reserved"])
    await h.publish("PaymentSuccessful", {
      paymentId: newId(),
      bookingId: booked,
      userId: user,
      amount: 1200,
      currency: "EUR",
      transactionDate: new Date().toISOString()
    } as EventData<"PaymentSuccessful">)
    await h.awaitStatus(booked, user, ["booked"])
    // Still pending: its screening is not known yet, so its decision waits (retried for about 21 s).
    const pending = await book(h, user, newId(), ["C1"])

    const seq = outboxSeq(h)
    const first = await published("UserUnregistered", { userId: user } as EventData<"UserUnregistered">)
    const handled = handledNow(h)
    await h.publish("UserUnregistered", { userId: user } as EventData<"UserUnregistered">)
    await handledAtLeast(h, handled + 1)

    const events = outboxSince(h, seq)
    const closed = events.filter((e) => e.type === "UserBookingsClosed")
    expect(closed).toHaveLength(1)
    expect(closed[0]!.data.userId).toBe(user)
    expect([...closed[0]!.data.bookingIds].sort()).toEqual([reserved, pending].sort())
    expect(closed[0]!.causationId).toBe(first.id)
    // Each listed booking ended in the same transaction, with its event ahead of the list; the booked one stays.
    expect(events.map((e) => [e.type, e.data.bookingId ?? null])).toEqual(
      [
        ...[
          ["TicketCancelled", reserved],
          ["TicketReservingFailed", pending]
        ].sort((a, b) => (a[1]! < b[1]! ? -1 : 1)),
        ["UserBookingsClosed", null]
      ]
    )
    expect(events.find((e) => e.type === "TicketReservingFailed")!.data).toMatchObject({ reason: "user_unregistered", seatNumbers: ["C1"] })
    expect(await h.awaitStatus(pending, user, ["failed"])).toMatchObject({ reason: "user_unregistered" })
    expect((await h.awaitStatus(booked, user, ["booked"])).status).toBe("booked")
    // Published once to the broker as well.
    await pollUntil(() => h.emitted.some((e) => e.type === "UserBookingsClosed" && e.data.userId === user), { message: "UserBookingsClosed" })
    expect(h.emitted.filter((e) => e.type === "UserBookingsClosed" && e.data.userId === user)).toHaveLength(1)
  })
})
