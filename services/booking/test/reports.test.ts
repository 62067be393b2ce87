// Sales reports (DESIGN §10): a scripted mix of booked, cancelled-and-refunded, failed, admitted and held
// bookings over screenings in three time zones; the reports must equal, to the cent, what the bookings
// became and what the test published as payments (it stands in for the payments service here).
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, type EventData } from "@bat/contracts"
import { expectMalformedIdsLikeUnknown, expectProblem, pollUntil } from "@bat/testing"
import { book, bookAndPay, handledAtLeast, handledNow, paymentSuccessful, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

const SEATS = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
const [AUCKLAND, LOS_ANGELES] = [newId(), newId()]

/** A screening at an absolute time, in a cinema and its zone. */
const at = (startsAt: string, cinemaId: string, timeZone: string | undefined, amount: number, currency: string) => {
  const s = scheduled({ seats: SEATS, amount, names: { movieTitle: "Heat", cinemaName: "Roxy", hallName: "Hall 1", ...(timeZone ? { timeZone } : {}) } })
  return {
    ...s,
    cinemaId,
    startsAt,
    endsAt: new Date(Date.parse(startsAt) + 7_200_000).toISOString(),
    price: { amount, currency }
  } as EventData<"ScreeningScheduled">
}

// 15 Jan 2027, 10:00 in Auckland (UTC+13): the 14th in UTC.
const s1 = at("2027-01-14T21:00:00.000Z", AUCKLAND, "Pacific/Auckland", 1250, "EUR")
// 15 Jan 2027, 19:00 in Los Angeles (UTC-8): the 16th in UTC.
const s2 = at("2027-01-16T03:00:00.000Z", LOS_ANGELES, "America/Los_Angeles", 900, "USD")
// The 15th in UTC, but the 16th in Auckland: not a screening of the 15th.
const s3 = at("2027-01-15T23:30:00.000Z", AUCKLAND, "Pacific/Auckland", 1250, "EUR")
// A cinema whose zone booking does not know: read as UTC, so the 15th.
const s4 = at("2027-01-15T12:00:00.000Z", newId(), undefined, 700, "EUR")

let h: Harness
const staff = newId()

/** What the test published as payments, per screening: the ledger the reports must match. */
const ledger = new Map<string, { paid: Map<string, number>; refunded: Map<string, number> }>()
const money = (screeningId: string) => {
  let m = ledger.get(screeningId)
  if (m === undefined) ledger.set(screeningId, (m = { paid: new Map(), refunded: new Map() }))
  return m
}

const reserve = async (userId: string, screeningId: string, seats: ReadonlyArray<string>) => {
  const bookingId = await book(h, userId, screeningId, seats)
  return { bookingId, ...(await h.awaitStatus(bookingId, userId, ["reserved"])) }
}
const pay = async (screeningId: string, b: { bookingId: string; userId: string; amount: number; currency: string }) => {
  const data = paymentSuccessful(b)
  const env = await h.publish("PaymentSuccessful", data)
  money(screeningId).paid.set(data.paymentId, data.amount)
  return { paymentId: data.paymentId as string, env }
}
const refund = async (screeningId: string, paymentId: string, b: { bookingId: string; userId: string; amount: number; currency: string }) => {
  await h.publish("PaymentRefunded", { paymentId, bookingId: b.bookingId, userId: b.userId, amount: b.amount, currency: b.currency } as EventData<"PaymentRefunded">)
  money(screeningId).refunded.set(paymentId, b.amount)
}
const report = async (path: string) => {
  const res = await h.call("GET", path, { userId: staff, role: "staff" })
  expect(res.status).toBe(200)
  return (await res.json()) as any
}
const revenueOf = (screeningId: string, currency: string) => {
  const m = money(screeningId)
  const gross = [...m.paid.values()].reduce((a, b) => a + b, 0)
  const refunded = [...m.refunded.values()].reduce((a, b) => a + b, 0)
  return { gross, refunded, net: gross - refunded, currency }
}
const screeningOf = (s: EventData<"ScreeningScheduled">) => ({
  screeningId: s.screeningId,
  startsAt: s.startsAt,
  movieTitle: "Heat",
  cinemaName: "Roxy",
  hallName: "Hall 1",
  timeZone: s.timeZone ?? null
})

beforeAll(async () => {
  // The screenings are weeks ahead; the door opens a year early here for the admitted ticket.
  h = await startHarness({ CHECKIN_OPENS_MINUTES: "525600" })
  for (const s of [s1, s2, s3, s4]) await schedule(h, s)

  // Screening 1 (EUR 12.50 a seat).
  const u = () => newId()
  const b1 = await bookAndPay(h, u(), s1.screeningId, ["A1", "A2"]) // booked, 25.00
  money(s1.screeningId).paid.set(b1.paymentId, b1.amount)
  const b2user = u()
  const b2 = await bookAndPay(h, b2user, s1.screeningId, ["A3"]) // booked, then cancelled and refunded
  money(s1.screeningId).paid.set(b2.paymentId, b2.amount)
  expect((await h.call("POST", `/tickets/bookings/${b2.bookingId}/cancel`, { userId: b2user })).status).toBe(200)
  await refund(s1.screeningId, b2.paymentId, { bookingId: b2.bookingId, userId: b2user, amount: b2.amount, currency: b2.currency })
  const b3 = await reserve(u(), s1.screeningId, ["A4"]) // payment declined: failed
  await h.publish("PaymentFailed", { paymentId: newId(), bookingId: b3.bookingId, userId: b3.userId, reason: "declined" } as EventData<"PaymentFailed">)
  await h.awaitStatus(b3.bookingId, b3.userId, ["failed"])
  const b4 = await bookAndPay(h, u(), s1.screeningId, ["A5", "B1"]) // booked, one ticket admitted
  money(s1.screeningId).paid.set(b4.paymentId, b4.amount)
  const scan = await h.call("POST", "/tickets/checkin", { userId: staff, role: "staff", body: { code: b4.view.tickets[1].code, screeningId: s1.screeningId } })
  expect(scan.status).toBe(200)
  await reserve(u(), s1.screeningId, ["B2"]) // still held
  const b6user = u()
  const b6 = await book(h, b6user, s1.screeningId, ["Z9"]) // unknown seat: failed
  await h.awaitStatus(b6, b6user, ["failed"])
  // Cancelled while reserved, then a payment that was in flight arrives and payments refunds it.
  const b7 = await reserve(u(), s1.screeningId, ["B3"])
  expect((await h.call("POST", `/tickets/bookings/${b7.bookingId}/cancel`, { userId: b7.userId })).status).toBe(200)
  const late = await pay(s1.screeningId, b7)
  await refund(s1.screeningId, late.paymentId, b7)
  // A redelivered payment counts once.
  const before = handledNow(h)
  await h.republish(late.env)
  await handledAtLeast(h, before + 1)

  // Screening 2 (USD 9.00 a seat).
  const c1 = await bookAndPay(h, u(), s2.screeningId, ["A1"])
  money(s2.screeningId).paid.set(c1.paymentId, c1.amount)
  const c2user = u()
  const c2 = await bookAndPay(h, c2user, s2.screeningId, ["A2", "A3"])
  money(s2.screeningId).paid.set(c2.paymentId, c2.amount)
  expect((await h.call("POST", `/tickets/bookings/${c2.bookingId}/cancel`, { userId: newId(), role: "staff" })).status).toBe(200)
  await refund(s2.screeningId, c2.paymentId, { bookingId: c2.bookingId, userId: c2user, amount: c2.amount, currency: c2.currency })

  // Every refund has reached booking.
  await pollUntil(() => rows<{ n: number }>(h, "SELECT count(*) AS n FROM booking_payments WHERE refunded_at IS NOT NULL")[0]!.n === 3)
})
afterAll(async () => {
  await h?.stop()
})

const expected1 = () => ({
  screeningId: s1.screeningId,
  screening: screeningOf(s1),
  capacity: 10,
  // Held: B2; booked: A1, A2, A5, B1 (B1 admitted).
  seats: { available: 5, reserved: 1, booked: 4, admitted: 1 },
  bookings: { pending: 0, reserved: 1, booked: 2, cancelled: 2, failed: 2 },
  revenue: revenueOf(s1.screeningId, "EUR")
})
const expected2 = () => ({
  screeningId: s2.screeningId,
  screening: screeningOf(s2),
  capacity: 10,
  seats: { available: 9, reserved: 0, booked: 1, admitted: 0 },
  bookings: { pending: 0, reserved: 0, booked: 1, cancelled: 1, failed: 0 },
  revenue: revenueOf(s2.screeningId, "USD")
})
const empty = (s: EventData<"ScreeningScheduled">, currency: string) => ({
  screeningId: s.screeningId,
  screening: screeningOf(s),
  capacity: 10,
  seats: { available: 10, reserved: 0, booked: 0, admitted: 0 },
  bookings: { pending: 0, reserved: 0, booked: 0, cancelled: 0, failed: 0 },
  revenue: { gross: 0, refunded: 0, net: 0, currency }
})

describe("GET /tickets/reports/screenings/{screeningId}", () => {
  test("a screening's figures equal its bookings and the payments published, to the cent", async () => {
    // The ledger the test kept: 25.00 + 12.50 + 25.00 + 12.50 (late) paid; 12.50 + 12.50 refunded.
    expect(revenueOf(s1.screeningId, "EUR")).toEqual({ gross: 7500, refunded: 2500, net: 5000, currency: "EUR" })
    expect(revenueOf(s2.screeningId, "USD")).toEqual({ gross: 2700, refunded: 1800, net: 900, currency: "USD" })
    expect(await report(`/tickets/reports/screenings/${s1.screeningId}`)).toEqual(expected1())
    expect(await report(`/tickets/reports/screenings/${s2.screeningId}`)).toEqual(expected2())
    expect(await report(`/tickets/reports/screenings/${s3.screeningId}`)).toEqual(empty(s3, "EUR"))
  })

  test("staff only: a customer is 403; an unknown or malformed screening is 404 screening_not_found", async () => {
    await expectProblem(await h.call("GET", `/tickets/reports/screenings/${s1.screeningId}`, { userId: newId() }), 403, "forbidden")
    await expectProblem(await h.call("GET", `/tickets/reports/screenings/${s1.screeningId}`), 401, "unauthorized")
    await expectProblem(await h.call("GET", `/tickets/reports/screenings/${newId()}`, { userId: staff, role: "staff" }), 404, "screening_not_found")
    await expectMalformedIdsLikeUnknown(
      (id) => h.call("GET", `/tickets/reports/screenings/${id}`, { userId: staff, role: "staff" }),
      "screening_not_found"
    )
  })
})

describe("GET /tickets/reports/days/{date}", () => {
  test("a day holds every screening starting on it in its cinema's zone, earliest first, with totals per currency", async () => {
    const day = await report("/tickets/reports/days/2027-01-15")
    const [r1, r2, r4] = [expected1(), expected2(), empty(s4, "EUR")]
    expect(day).toEqual({
      date: "2027-01-15",
      cinemaId: null,
      screenings: [r1, r4, r2],
      totals: {
        capacity: 30,
        seats: { available: 24, reserved: 1, booked: 5, admitted: 1 },
        bookings: { pending: 0, reserved: 1, booked: 3, cancelled: 3, failed: 2 },
        revenue: [
          { gross: r1.revenue.gross, refunded: r1.revenue.refunded, net: r1.revenue.net, currency: "EUR" },
          { ...r2.revenue, currency: "USD" }
        ]
      }
    })
  })

  test("cinemaId keeps one cinema's screenings; the UTC date of a screening is not its local day", async () => {
    const auckland = await report(`/tickets/reports/days/2027-01-15?cinemaId=${AUCKLAND}`)
    expect(auckland.screenings.map((s: any) => s.screeningId)).toEqual([s1.screeningId])
    expect(auckland.cinemaId).toBe(AUCKLAND)
    expect(auckland.totals.revenue).toEqual([expected1().revenue])
    const la = await report(`/tickets/reports/days/2027-01-15?cinemaId=${LOS_ANGELES}`)
    expect(la.screenings).toEqual([expected2()])
    expect((await report(`/tickets/reports/days/2027-01-16?cinemaId=${AUCKLAND}`)).screenings.map((s: any) => s.screeningId)).toEqual([s3.screeningId])
    expect((await report("/tickets/reports/days/2027-01-16")).screenings.map((s: any) => s.screeningId)).toEqual([s3.screeningId])
    expect((await report("/tickets/reports/days/2027-01-14")).screenings).toEqual([])
    const none = await report(`/tickets/reports/days/2031-06-01?cinemaId=${newId()}`)
    expect(none.totals).toEqual({
      capacity: 0,
      seats: { available: 0, reserved: 0, booked: 0, admitted: 0 },
      bookings: { pending: 0, reserved: 0, booked: 0, cancelled: 0, failed: 0 },
      revenue: []
    })
  })

  test("staff only; a malformed date is 404 not_found and a malformed cinemaId 422 invalid_input", async () => {
    await expectProblem(await h.call("GET", "/tickets/reports/days/2027-01-15", { userId: newId() }), 403, "forbidden")
    await expectProblem(await h.call("GET", "/tickets/reports/days/2027-01-15"), 401, "unauthorized")
    for (const date of ["2027-1-15", "15-01-2027", "2027-13-01", "today"]) {
      await expectProblem(await h.call("GET", `/tickets/reports/days/${date}`, { userId: staff, role: "staff" }), 404, "not_found")
    }
    await expectProblem(await h.call("GET", "/tickets/reports/days/2027-01-15?cinemaId=nope", { userId: staff, role: "staff" }), 422, "invalid_input")
  })
})
