// Group commit of book requests through the store's `grouped` unit: repeated idempotency keys inside one group are
// resolved in arrival order and every booking gets exactly one TicketBookingAttempted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

describe("POST /tickets/book under concurrency", () => {
  let h: Harness
  let screeningId: string

  beforeAll(async () => {
    h = await startHarness()
    screeningId = (await schedule(h, scheduled())).screeningId
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("200 parallel requests with repeated idempotency keys and a reused one each get their own right answer", async () => {
    const users = Array.from({ length: 20 }, () => newId())
    type Req = { userId: string; seats: Array<string>; key?: string }
    const requests: Array<Req> = []
    for (let i = 0; i < 150; i++) requests.push({ userId: users[i % users.length]!, seats: [`A${(i % 20) + 1}`] })
    // Ten keys, each sent four times with the same body by its user: one booking per key.
    const keyed = Array.from({ length: 10 }, (_, i) => ({ userId: users[i]!, key: `k-${newId()}`, seats: [`B${i + 1}`] }))
    for (let r = 0; r < 4; r++) for (const k of keyed) requests.push({ ...k })
    // The first user of the keys again, with a key of theirs and another body: refused, alone.
    const reused: Req = { userId: keyed[0]!.userId, key: keyed[0]!.key, seats: ["C1"] }
    // Interleave so repeats and the reused key land inside the same groups as the others.
    const shuffled = requests.map((r, i) => ({ r, o: (i * 7919) % requests.length })).sort((a, b) => a.o - b.o).map((x) => x.r)
    shuffled.splice(100, 0, reused, { userId: users[5]!, seats: ["C2"] })
    expect(shuffled.length).toBe(192)
    while (shuffled.length < 200) shuffled.push({ userId: users[shuffled.length % 20]!, seats: ["C3"] })

    const answers = await Promise.all(
      shuffled.map(async (r) => {
        const res = await h.call("POST", "/tickets/book", {
          userId: r.userId,
          body: { screeningId, seatNumbers: r.seats },
          ...(r.key === undefined ? {} : { headers: { "idempotency-key": r.key } })
        })
        return { r, status: res.status, body: (await res.json()) as { bookingId?: string; code?: string } }
      })
    )

    // The reused key with another body is 422 (unless it arrived before the key's first use: then it booked,
    // and the key's other requests are the ones refused). Either way, exactly one body per key wins.
    for (const k of keyed) {
      const forKey = answers.filter((a) => a.r.key === k.key)
      const accepted = forKey.filter((a) => a.status === 202)
      expect(new Set(accepted.map((a) => a.body.bookingId)).size).toBe(1)
      const refused = forKey.filter((a) => a.status !== 202)
      for (const a of refused) {
        expect(a.status).toBe(422)
        expect(a.body.code).toBe("idempotency_key_reused")
      }
      // The winner is the body of the key's first request in arrival order; every refused one has the other body.
      const winnerSeats = accepted[0]!.r.seats.join()
      expect(refused.every((a) => a.r.seats.join() !== winnerSeats)).toBe(true)
      expect(accepted.every((a) => a.r.seats.join() === winnerSeats)).toBe(true)
    }
    expect(answers.filter((a) => a.status === 422).length).toBeGreaterThanOrEqual(1)
    // Everything else was accepted with a booking of its own.
    const unkeyed = answers.filter((a) => a.r.key === undefined)
    expect(unkeyed.every((a) => a.status === 202)).toBe(true)
    expect(new Set(unkeyed.map((a) => a.body.bookingId)).size).toBe(unkeyed.length)

    // Every booking answered exists once, pending or already decided, with exactly one TicketBookingAttempted
    // in the outbox, and there is no booking nobody was told about.
    const answered = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.bookingId!))
    expect(answered.size).toBe(unkeyed.length + keyed.length)
    const inDb = rows<{ booking_id: string; user_id: string; seat_numbers: string }>(
      h,
      "SELECT booking_id, user_id, seat_numbers FROM bookings WHERE screening_id = ?",
      screeningId
    )
    expect(new Set(inDb.map((b) => b.booking_id))).toEqual(answered)
    const attempted = rows<{ booking_id: string; n: number }>(
      h,
      `SELECT json_extract(body, '$.data.bookingId') AS booking_id, count(*) AS n FROM outbox
       WHERE type = 'TicketBookingAttempted' AND json_extract(body, '$.data.screeningId') = ?
       GROUP BY booking_id`,
      screeningId
    )
    expect(new Set(attempted.map((a) => a.booking_id))).toEqual(answered)
    expect(attempted.every((a) => a.n === 1)).toBe(true)
    // Each answer names the booking of its own request.
    const byId = new Map(inDb.map((b) => [b.booking_id, b]))
    for (const a of answers.filter((x) => x.status === 202)) {
      const row = byId.get(a.body.bookingId!)!
      expect(row.user_id).toBe(a.r.userId)
      expect(JSON.parse(row.seat_numbers)).toEqual(a.r.seats)
    }
  })
})
