// Abuse limits of the booking service (DESIGN §17): booking requests per account, and the unpaid seats held per
// account across screenings and per client address, so that a handful of free accounts cannot hoard a hall.
import { newId } from "@bat/contracts"
import { expectProblem, pollUntil } from "@bat/testing"
import { afterAll, describe, expect, test } from "bun:test"
import { rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

const harnesses: Array<Harness> = []
const start = async (env: Record<string, string>) => {
  const h = await startHarness(env)
  harnesses.push(h)
  return h
}
afterAll(async () => {
  for (const h of harnesses) await h.stop()
})

const hall = (n: number) => Array.from({ length: n }, (_, i) => `A${i + 1}`)
/** A book request as `userId` from `address`, forwarded by the front door (a trusted loopback peer). */
const bookFrom = (h: Harness, userId: string, address: string, screeningId: string, seatNumbers: ReadonlyArray<string>) =>
  h.call("POST", "/tickets/book", { userId, body: { screeningId, seatNumbers }, headers: { "x-forwarded-for": address } })
const heldSeats = (h: Harness, screeningId: string) =>
  rows<{ n: number }>(h, "SELECT coalesce(sum(seat_count), 0) AS n FROM bookings WHERE screening_id = ? AND status IN ('pending', 'reserved')", screeningId)[0]!.n
const metric = async (h: Harness, limit: string) => {
  const text = await (await fetch(`${h.url}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`bookaticket_rate_limited_total{limit="${limit}"}`))
  return line === undefined ? undefined : Number(line.split(" ").at(-1))
}

describe("hoarding a hall", () => {
  test("6 accounts from one address cannot hold more than 30 of a 60-seat hall, and a customer elsewhere still books", async () => {
    // The defaults, whatever the harness sets for the other tests.
    const h = await start({ MAX_HELD_SEATS_PER_ADDRESS: "", MAX_HELD_SEATS_PER_ACCOUNT: "", BOOK_RATE_PER_ACCOUNT: "" })
    expect(await metric(h, "held_seats_address")).toBeGreaterThanOrEqual(0)
    const before = (await metric(h, "held_seats_address"))!
    const { screeningId } = await schedule(h, scheduled({ seats: hall(60) }))
    const attackers = Array.from({ length: 6 }, () => newId())
    const seats = hall(60)
    // As fast as they can: each account asks for 10 seats at a time, then for whatever is left, seat by seat.
    const first = await Promise.all(
      attackers.map((u, i) => bookFrom(h, u, "198.51.100.66", screeningId, seats.slice(i * 10, i * 10 + 10)))
    )
    const refused = first.filter((r) => r.status === 429)
    expect(first.filter((r) => r.status === 202)).toHaveLength(3)
    expect(refused).toHaveLength(3)
    for (const r of refused) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
      expect(((await r.json()) as { code: string }).code).toBe("too_many_held_seats")
    }
    for (const [i, u] of attackers.entries()) {
      for (const seat of seats.slice(i * 10, i * 10 + 10)) {
        const r = await bookFrom(h, u, "198.51.100.66", screeningId, [seat])
        expect(r.status).toBe(429)
        await r.body?.cancel()
      }
    }
    await pollUntil(() => rows(h, "SELECT 1 FROM bookings WHERE screening_id = ? AND status = 'pending'", screeningId).length === 0, {
      message: "the attackers' bookings to be decided"
    })
    expect(heldSeats(h, screeningId)).toBeLessThanOrEqual(30)
    // A real customer from another address gets seats.
    const customer = newId()
    const taken = new Set(rows<{ seat: string }>(h, "SELECT seat_number AS seat FROM tickets WHERE screening_id = ? AND status = 'reserved'", screeningId).map((r) => r.seat))
    const res = await bookFrom(h, customer, "203.0.113.5", screeningId, seats.filter((s) => !taken.has(s)).slice(0, 2))
    expect(res.status).toBe(202)
    const { bookingId } = (await res.json()) as { bookingId: string }
    expect((await h.awaitStatus(bookingId, customer, ["reserved", "failed"])).status).toBe("reserved")
    expect((await metric(h, "held_seats_address"))! - before).toBeGreaterThanOrEqual(63)
    // The address is kept (as a keyed hash, never in the clear) only while the hold lives.
    expect(rows(h, "SELECT 1 FROM bookings WHERE client_key LIKE '%198.51%' OR client_key LIKE '%203.0%'")).toEqual([])
    expect(rows<{ n: number }>(h, "SELECT count(*) AS n FROM bookings WHERE status = 'failed' AND client_key IS NOT NULL")[0]!.n).toBe(0)
  })

  test("one account holds at most 20 unpaid seats across screenings; 429 too_many_held_seats past that", async () => {
    const h = await start({ MAX_HELD_SEATS_PER_ACCOUNT: "", BOOK_RATE_PER_ACCOUNT: "" })
    const user = newId()
    const shows = await Promise.all([1, 2, 3].map(() => schedule(h, scheduled({ seats: hall(12) }))))
    for (const show of shows.slice(0, 2)) {
      const r = await bookFrom(h, user, "198.51.100.70", show.screeningId, hall(10))
      expect(r.status).toBe(202)
    }
    await expectProblem(await bookFrom(h, user, "198.51.100.71", shows[2]!.screeningId, ["A1"]), 429, "too_many_held_seats")
    // Someone else is not held up by it.
    expect((await bookFrom(h, newId(), "198.51.100.72", shows[2]!.screeningId, ["A1"])).status).toBe(202)
    // Staff at the box office are not held to it.
    const clerk = newId()
    for (const [i, show] of shows.entries()) {
      const r = await h.call("POST", "/tickets/book", { userId: clerk, role: "staff", body: { screeningId: show.screeningId, seatNumbers: hall(12).slice(2, i === 2 ? 4 : 12) } })
      expect(r.status).toBe(202)
    }
  })
})

describe("booking rate", () => {
  test("book requests per account: past the rate 429 rate_limited with Retry-After; another account still books", async () => {
    const h = await start({ BOOK_RATE_PER_ACCOUNT: "3/1m" })
    expect(await metric(h, "book_account")).toBeGreaterThanOrEqual(0)
    const before = (await metric(h, "book_account"))!
    const user = newId()
    for (let i = 0; i < 3; i++) expect((await bookFrom(h, user, "198.51.100.80", newId(), ["A1"])).status).toBe(202)
    const refused = await bookFrom(h, user, "198.51.100.81", newId(), ["A1"])
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(19)
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(20)
    await expectProblem(refused, 429, "rate_limited")
    expect((await bookFrom(h, newId(), "198.51.100.80", newId(), ["A1"])).status).toBe(202)
    expect((await metric(h, "book_account"))! - before).toBe(1)
  })
})

describe("ABUSE_LIMITS=off", () => {
  test("lifts the booking rate and the held-seat quotas: 6 accounts from one address hold the whole hall", async () => {
    const h = await start({ ABUSE_LIMITS: "off", BOOK_RATE_PER_ACCOUNT: "1/1h", MAX_HELD_SEATS_PER_ADDRESS: "5" })
    const { screeningId } = await schedule(h, scheduled({ seats: hall(60) }))
    const seats = hall(60)
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => bookFrom(h, newId(), "198.51.100.90", screeningId, seats.slice(i * 10, i * 10 + 10)))
    )
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202])
    await pollUntil(() => heldSeats(h, screeningId) === 60 && rows(h, "SELECT 1 FROM bookings WHERE screening_id = ? AND status = 'pending'", screeningId).length === 0, {
      message: "all 60 seats to be held"
    })
  })

  test("is refused with NODE_ENV=production", async () => {
    await expect(startHarness({ ABUSE_LIMITS: "off", NODE_ENV: "production", AMQP_PASSWORD: "a-production-secret" })).rejects.toThrow(/ABUSE_LIMITS=off is refused with NODE_ENV=production/)
  })
})
