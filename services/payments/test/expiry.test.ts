import { holdExpiredQueue, holdQueueOf, makeEnvelope, newId } from "@bat/contracts"
import { pollUntil } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SUCCESS_CARD, purgeQueue, queueDepth, simulatedGatewayWith, slowCharges, startHarness, type Harness } from "./harness.ts"

describe("hold expiry through the timer alone (no sweeper)", () => {
  let h: Harness
  beforeAll(async () => {
    // No clock-skew grace: these tests are about the deadline itself (the grace has its own tests).
    h = await startHarness({ env: { HOLD_TTL_MS: "1000", SWEEP_INTERVAL_MS: "0", CLOCK_SKEW_GRACE_MS: "0" } })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("an unpaid hold is expired by its timer and PaymentFailed expired is published", async () => {
    const { bookingId, userId } = await h.reserve({ expiresInMs: 1_000 })
    const hold = await h.paymentOf(bookingId)
    expect(hold.status).toBe("pending")
    const failed = await h.waitForEvent(bookingId, "PaymentFailed", 8_000)
    expect(failed.data).toEqual({ paymentId: hold.paymentId, bookingId, userId, reason: "expired" })
    expect((await h.paymentOf(bookingId)).status).toBe("expired")
    const late = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    expect(late.status).toBe(409)
    expect(late.body.code).toBe("reservation_expired")
  })

  test("a timer firing before the deadline is only a hint: the hold stays payable", async () => {
    const { bookingId, userId } = await h.reserve({ expiresInMs: 60_000 })
    const hold = await h.paymentOf(bookingId)
    // The timer message (1 s TTL) comes back and is consumed...
    await pollUntil(
      () => h.service.store.db.prepare("SELECT 1 FROM inbox WHERE queue = ? AND id IN (SELECT id FROM outbox WHERE type = 'HoldTimerElapsed' AND json_extract(body, '$.data.bookingId') = ?)").get(holdExpiredQueue, bookingId),
      { timeoutMs: 8_000, message: "the hold timer consumed" }
    )
    // ...and leaves the hold alone.
    expect((await h.paymentOf(bookingId)).status).toBe("pending")
    const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    expect(res.body).toMatchObject({ paymentId: hold.paymentId, status: "succeeded" })
  })

  test("a hold timer delivered twice expires the hold once", async () => {
    const { bookingId } = await h.reserve({ expiresInMs: 300 })
    const hold = await h.paymentOf(bookingId)
    await pollUntil(() => Date.now() > hold.deadline)
    const env = makeEnvelope("HoldTimerElapsed", { bookingId, paymentId: hold.paymentId }, { source: "payments", correlationId: bookingId })
    await h.publishRaw("", holdExpiredQueue, env)
    await h.publishRaw("", holdExpiredQueue, env)
    await h.publishRaw("", holdExpiredQueue, { ...env, id: newId() })
    await h.waitForEvent(bookingId, "PaymentFailed")
    // The real timer comes back too; wait for it, then count.
    await pollUntil(
      () => (h.service.store.db.prepare("SELECT count(*) AS n FROM inbox WHERE queue = ? AND id IN (?, (SELECT id FROM outbox WHERE type = 'HoldTimerElapsed' AND json_extract(body, '$.data.bookingId') = ?))").get(holdExpiredQueue, env.id, bookingId) as { n: number }).n === 2,
      { timeoutMs: 8_000 }
    )
    expect(h.outboxCount(bookingId, "PaymentFailed")).toBe(1)
  })

  test("a late payment is 409 reservation_expired and expires the hold itself", async () => {
    // The timer is 1 s; this hold's deadline is 100 ms away, so the payment comes between them.
    const { bookingId, userId } = await h.reserve({ expiresInMs: 100 })
    const hold = await h.paymentOf(bookingId)
    await pollUntil(() => Date.now() > hold.deadline + 20)
    const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe("reservation_expired")
    expect((await h.paymentOf(bookingId)).status).toBe("expired")
    expect((await h.waitForEvent(bookingId, "PaymentFailed")).data.reason).toBe("expired")
    expect(h.outboxCount(bookingId, "PaymentFailed")).toBe(1)
  })

  test("a reservation consumed after its deadline is expired at once, without a timer", async () => {
    const { bookingId, userId } = await h.reserve({ expiresInMs: -5_000 })
    const failed = await h.waitForEvent(bookingId, "PaymentFailed")
    expect(failed.data).toMatchObject({ bookingId, userId, reason: "expired" })
    expect((await h.paymentOf(bookingId)).status).toBe("expired")
    expect(h.outboxCount(bookingId, "HoldTimerElapsed")).toBe(0)
  })
})

describe("hold expiry through the sweeper alone (timer message lost)", () => {
  let h: Harness
  beforeAll(async () => {
    // A 10-minute timer that never fires during the test, and its message is purged besides.
    h = await startHarness({ env: { HOLD_TTL_MS: "600000", SWEEP_INTERVAL_MS: "100", CLOCK_SKEW_GRACE_MS: "0" } })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("an overdue hold is expired by the sweeper within a sweep interval of its deadline", async () => {
    const { bookingId, userId } = await h.reserve({ expiresInMs: 500 })
    const hold = await h.paymentOf(bookingId)
    await pollUntil(() => h.service.store.db.prepare("SELECT 1 FROM outbox WHERE type = 'HoldTimerElapsed' AND sent_at IS NOT NULL AND json_extract(body, '$.data.bookingId') = ?").get(bookingId))
    await purgeQueue(h, holdQueueOf(600_000))
    expect(await queueDepth(h, holdExpiredQueue)).toBe(0)
    const failed = await h.waitForEvent(bookingId, "PaymentFailed", 5_000)
    expect(failed.data).toEqual({ paymentId: hold.paymentId, bookingId, userId, reason: "expired" })
    expect(Date.parse(failed.occurredAt)).toBeGreaterThanOrEqual(hold.deadline)
    expect(Date.parse(failed.occurredAt)).toBeLessThan(hold.deadline + 2_000)
  })
})

// Run without and with a clock-skew grace: the hold then lapses at deadline + grace, and the claim and the
// sweeper must still meet there with exactly one outcome.
describe.each([0, 1_000])("the race between paying and expiry (grace %d ms)", (graceMs) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      env: { HOLD_TTL_MS: "600000", SWEEP_INTERVAL_MS: "10", CLOCK_SKEW_GRACE_MS: String(graceMs) },
      gateway: simulatedGatewayWith(slowCharges(40))
    })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("many concurrent payments around the deadline, with the sweeper running, give each hold exactly one outcome", async () => {
    const holds = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        // With a grace the advertised deadlines are already past when the reservations arrive.
        const r = await h.reserve({ expiresInMs: 300 + i * 60 - graceMs })
        return { ...r, hold: await h.paymentOf(r.bookingId) }
      })
    )
    // Aim the attempts at the deadlines: the first holds are overdue, the last ones live, some in between.
    await pollUntil(() => Date.now() >= holds[3]!.hold.deadline + graceMs, { timeoutMs: 5_000, intervalMs: 5 })
    const t0 = Date.now()
    const attempts = await Promise.all(
      holds.map(async ({ bookingId, userId }) => {
        const t = await h.token(userId)
        return Promise.all(
          Array.from({ length: 6 }, async (_, k) => {
            // Staggered callers: each waits for its moment on the clock.
            await pollUntil(() => Date.now() >= t0 + k * 30, { intervalMs: 5 })
            return h.pay(t, { bookingId, card: SUCCESS_CARD })
          })
        )
      })
    )
    let paid = 0
    let expired = 0
    for (const [i, { bookingId, hold }] of holds.entries()) {
      const results = attempts[i]!
      for (const r of results) expect(r.status).toBeLessThan(500)
      const terminal = await pollUntil(() => {
        const s = h.service.store.db.prepare("SELECT status FROM payments WHERE booking_id = ?").get(bookingId) as { status: string }
        return s.status === "succeeded" || s.status === "expired" ? s.status : undefined
      })
      const ok = results.filter((r) => r.status === 200)
      const charges = h.ledger().charges().filter((c) => c.key === hold.paymentId)
      const successes = h.outboxCount(bookingId, "PaymentSuccessful")
      const failures = h.outboxCount(bookingId, "PaymentFailed")
      expect(successes + failures).toBe(1)
      if (terminal === "succeeded") {
        paid++
        expect(ok).toHaveLength(1)
        expect(charges).toHaveLength(1)
        expect(successes).toBe(1)
        for (const r of results.filter((r) => r.status !== 200)) {
          expect(["payment_in_progress", "already_paid"]).toContain(r.body.code)
        }
      } else {
        expired++
        expect(ok).toHaveLength(0)
        expect(charges).toHaveLength(0)
        expect(failures).toBe(1)
        for (const r of results) expect(r.body.code).toBe("reservation_expired")
      }
    }
    expect(paid + expired).toBe(holds.length)
    expect(paid).toBeGreaterThan(0)
    expect(expired).toBeGreaterThan(0)
  })
})
