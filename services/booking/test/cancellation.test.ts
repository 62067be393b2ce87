// Customer cancellation (DESIGN §10): every rule, one TicketCancelled `customer_cancelled` per booking, and
// I8 — a ticket is admitted at most once and only while its booking is booked, whatever the interleaving
// of scans, cancellations and cascades.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { expectMalformedIdsLikeUnknown, expectProblem, pollUntil } from "@bat/testing"
import fc from "fast-check"
import { book, bookAndPay, handledAtLeast, handledNow, outboxSeq, outboxSince, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

const names = { movieTitle: "Alien", cinemaName: "Odeon", hallName: "Hall 2", timeZone: "Europe/London" }
const SEATS = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]

let h: Harness
let screening: Awaited<ReturnType<typeof schedule>>
let soon: Awaited<ReturnType<typeof schedule>>

beforeAll(async () => {
  // Screenings start a day ahead: still cancellable, and the door is open that early for these tests.
  h = await startHarness({ UNKNOWN_SCREENING_ATTEMPTS: "60", CHECKIN_OPENS_MINUTES: "2880" })
  screening = await schedule(h, scheduled({ seats: SEATS, names }))
  // Starts in 30 minutes: inside the default cut-off of 60.
  soon = await schedule(h, scheduled({ seats: SEATS, startsInMs: 30 * 60_000, names }))
})
afterAll(async () => {
  await h?.stop()
})

const cancel = (bookingId: string, userId: string, role: "customer" | "staff" = "customer") =>
  h.call("POST", `/tickets/bookings/${bookingId}/cancel`, { userId, role })

const cancellationsOf = (bookingId: string) =>
  rows<{ body: string }>(h, "SELECT body FROM outbox WHERE type = 'TicketCancelled' AND json_extract(body, '$.data.bookingId') = ?", bookingId).map(
    (r) => JSON.parse(r.body).data
  )

describe("POST /tickets/bookings/{bookingId}/cancel", () => {
  test("a reserved booking is cancelled at once: its seats are free, TicketCancelled customer_cancelled names the screening", async () => {
    const owner = newId()
    const bookingId = await book(h, owner, screening.screeningId, ["A1", "A2"])
    const reserved = await h.awaitStatus(bookingId, owner, ["reserved"])
    const res = await cancel(bookingId, owner)
    expect(res.status).toBe(200)
    const view = (await res.json()) as any
    expect(view).toMatchObject({ bookingId, status: "cancelled", reason: "customer_cancelled", tickets: reserved.tickets })
    expect(view.expiresAt).toBeUndefined()
    expect(view.cancellableUntil).toBeUndefined()
    expect(cancellationsOf(bookingId)).toEqual([
      {
        bookingId,
        userId: owner,
        screeningId: screening.screeningId,
        tickets: reserved.tickets,
        reason: "customer_cancelled",
        screening: { screeningId: screening.screeningId, startsAt: new Date(screening.startsAt).toISOString(), ...names }
      }
    ])
    expect(rows(h, "SELECT DISTINCT status FROM tickets WHERE booking_id = ?", bookingId)).toEqual([{ status: "cancelled" }])
    // The seats are free again.
    const next = newId()
    const again = await book(h, next, screening.screeningId, ["A1", "A2"])
    expect((await h.awaitStatus(again, next, ["reserved", "failed"])).status).toBe("reserved")
  })

  test("a booked booking is cancelled before the cut-off; a repeat is booking_not_cancellable with no second TicketCancelled", async () => {
    const owner = newId()
    const { bookingId, view: booked } = await bookAndPay(h, owner, screening.screeningId, ["A3"])
    expect(booked.cancellableUntil).toBe(new Date(Date.parse(screening.startsAt) - 60 * 60_000).toISOString())
    const res = await cancel(bookingId, owner)
    expect(res.status).toBe(200)
    const view = (await res.json()) as any
    expect(view).toMatchObject({ status: "cancelled", reason: "customer_cancelled" })
    // A cancelled ticket's code admits no one, so it is no longer shown.
    expect(view.tickets).toEqual([{ ticketId: booked.tickets[0].ticketId, seatNumber: "A3" }])
    await expectProblem(await cancel(bookingId, owner), 409, "booking_not_cancellable")
    await expectProblem(await cancel(bookingId, newId(), "staff"), 409, "booking_not_cancellable")
    expect(cancellationsOf(bookingId)).toHaveLength(1)
    expect(cancellationsOf(bookingId)[0]).toMatchObject({ reason: "customer_cancelled", tickets: [{ ticketId: booked.tickets[0].ticketId, seatNumber: "A3" }] })
    await pollUntil(() => h.emittedFor(bookingId).some((e) => e.type === "TicketCancelled"))
    expect(h.emittedFor(bookingId).filter((e) => e.type === "TicketCancelled")).toHaveLength(1)
  })

  test("a booked booking past the cut-off is cancellation_closed, for its owner and for staff, and stays booked", async () => {
    const owner = newId()
    const { bookingId, view: booked } = await bookAndPay(h, owner, soon.screeningId, ["A1"])
    expect(Date.parse(booked.cancellableUntil)).toBeLessThan(Date.now())
    const p = await expectProblem(await cancel(bookingId, owner), 409, "cancellation_closed")
    expect(p.detail).toContain(booked.cancellableUntil)
    await expectProblem(await cancel(bookingId, newId(), "staff"), 409, "cancellation_closed")
    expect((await h.awaitStatus(bookingId, owner, ["booked"])).status).toBe("booked")
    expect(cancellationsOf(bookingId)).toEqual([])
  })

  test("a reserved booking of a screening past the cut-off is still cancelled at once", async () => {
    const owner = newId()
    const bookingId = await book(h, owner, soon.screeningId, ["A2"])
    await h.awaitStatus(bookingId, owner, ["reserved"])
    expect((await cancel(bookingId, owner)).status).toBe(200)
  })

  test("a booking with an admitted ticket is already_admitted with the admission time, and stays booked", async () => {
    const owner = newId()
    const { bookingId, view } = await bookAndPay(h, owner, screening.screeningId, ["A4", "A5"])
    const scan = await h.call("POST", "/tickets/checkin", { userId: newId(), role: "staff", body: { code: view.tickets[1].code, screeningId: screening.screeningId } })
    const admission = (await scan.json()) as any
    const p = await expectProblem(await cancel(bookingId, owner), 409, "already_admitted")
    expect(p.admittedAt).toBe(admission.admittedAt)
    const after = await h.awaitStatus(bookingId, owner, ["booked"])
    expect(after.cancellableUntil).toBeUndefined()
    expect(cancellationsOf(bookingId)).toEqual([])
  })

  test("a pending booking is booking_pending; a failed one booking_not_cancellable", async () => {
    const owner = newId()
    // A screening not announced yet: the decision waits for it (retried), so the booking stays pending.
    const pending = await book(h, owner, newId(), ["A1"])
    await expectProblem(await cancel(pending, owner), 409, "booking_pending")
    const failed = await book(h, owner, screening.screeningId, ["Z9"])
    expect((await h.awaitStatus(failed, owner, ["failed"])).reason).toBe("unknown_seat")
    await expectProblem(await cancel(failed, owner), 409, "booking_not_cancellable")
    expect([...cancellationsOf(pending), ...cancellationsOf(failed)]).toEqual([])
  })

  test("only the owner and staff may cancel: anyone else, unknown and malformed ids are 404 booking_not_found", async () => {
    const owner = newId()
    const bookingId = await book(h, owner, screening.screeningId, ["B1"])
    await h.awaitStatus(bookingId, owner, ["reserved"])
    await expectProblem(await cancel(bookingId, newId()), 404, "booking_not_found")
    await expectProblem(await cancel(newId(), owner), 404, "booking_not_found")
    await expectMalformedIdsLikeUnknown((id) => h.call("POST", `/tickets/bookings/${id}/cancel`, { userId: owner }), "booking_not_found")
    await expectProblem(await h.call("POST", `/tickets/bookings/${bookingId}/cancel`), 401, "unauthorized")
    expect((await h.awaitStatus(bookingId, owner, ["reserved"])).status).toBe("reserved")
    const res = await cancel(bookingId, newId(), "staff")
    expect(res.status).toBe(200)
    expect(((await res.json()) as any).reason).toBe("customer_cancelled")
  })
})

describe("I8: a ticket is admitted at most once, and only while its booking is booked", () => {
  test("any interleaving of scans from several doors, customer cancellations and a screening cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ door: fc.integer({ min: 0, max: 2 }), key: fc.option(fc.constantFrom("k1", "k2")), delay: fc.integer({ min: 0, max: 15 }) }), {
          minLength: 1,
          maxLength: 6
        }),
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 2 }),
        fc.option(fc.integer({ min: 0, max: 15 })),
        async (scans, cancels, screeningCancelAt) => {
          const sc = await schedule(h, scheduled({ seats: ["A1"], names }))
          const owner = newId()
          const { bookingId, view } = await bookAndPay(h, owner, sc.screeningId, ["A1"])
          const ticket = view.tickets[0]
          const doors = [newId(), newId(), newId()]
          const seq = outboxSeq(h)
          const handled = handledNow(h)
          const later = <T>(ms: number, f: () => Promise<T>) => Bun.sleep(ms).then(f)
          const [scanned, cancelled] = await Promise.all([
            Promise.all(
              scans.map((s) =>
                later(s.delay, async () => {
                  const res = await h.call("POST", "/tickets/checkin", {
                    userId: doors[s.door]!,
                    role: "staff",
                    body: { code: ticket.code, screeningId: sc.screeningId },
                    ...(s.key === null ? {} : { headers: { "idempotency-key": s.key } })
                  })
                  return { ...s, status: res.status, body: (await res.json()) as any }
                })
              )
            ),
            Promise.all(cancels.map((d) => later(d, async () => ((await cancel(bookingId, owner)).json() as Promise<any>)))),
            screeningCancelAt === null
              ? Promise.resolve()
              : later(screeningCancelAt, () => h.publish("ScreeningCancelled", { screeningId: sc.screeningId } as never))
          ])
          if (screeningCancelAt !== null) await handledAtLeast(h, handled + 1)
          const events = outboxSince(h, seq).filter((e) => e.data.bookingId === bookingId)
          const admittedEvents = events.filter((e) => e.type === "TicketAdmitted")
          const admissions = scanned.filter((s) => s.status === 200)
          // At most one admission; idempotent repeats (same door and key) answer the same body.
          expect(admittedEvents.length).toBeLessThanOrEqual(1)
          expect(new Set(admissions.map((a) => JSON.stringify(a.body))).size).toBeLessThanOrEqual(1)
          if (admittedEvents.length === 0) expect(admissions).toEqual([])
          else {
            const winner = admissions[0]!
            // More than one 200 only as repeats of one door's key.
            if (admissions.length > 1) {
              for (const a of admissions) {
                expect(winner.key).not.toBeNull()
                expect([a.door, a.key]).toEqual([winner.door, winner.key])
              }
            }
            expect(admissions.every((a) => a.body.admittedAt === admittedEvents[0]!.data.admittedAt)).toBe(true)
            expect(winner.body.ticketId).toBe(ticket.ticketId)
            // Admitted while booked: no cancellation was committed before the admission.
            const cancelledBefore = events.findIndex((e) => e.type === "TicketCancelled")
            const admittedAt = events.findIndex((e) => e.type === "TicketAdmitted")
            expect(cancelledBefore === -1 || cancelledBefore > admittedAt).toBe(true)
            // ...and no customer cancellation after it.
            expect(events.filter((e) => e.type === "TicketCancelled" && e.data.reason === "customer_cancelled")).toEqual([])
          }
          for (const s of scanned.filter((x) => x.status !== 200)) {
            expect(s.status).toBe(409)
            expect(["already_admitted", "ticket_not_valid"]).toContain(s.body.code)
            if (s.body.code === "already_admitted") expect(s.body.admittedAt).toBe(admittedEvents[0]?.data.admittedAt)
          }
          // At most one cancellation, whoever made it.
          expect(events.filter((e) => e.type === "TicketCancelled").length).toBeLessThanOrEqual(1)
          expect(cancelled.filter((c) => c.status === "cancelled").length).toBeLessThanOrEqual(1)
          const row = rows<{ status: string; admitted_at: number | null }>(h, "SELECT status, admitted_at FROM tickets WHERE ticket_id = ?", ticket.ticketId)[0]!
          expect(row.admitted_at !== null).toBe(admittedEvents.length === 1)
        }
      ),
      { numRuns: 25 }
    )
  })
})
