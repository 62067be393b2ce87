// DESIGN §3.1 "Clocks": payments' clock running ahead of booking's never refuses a customer who pays before
// the `expiresAt` booking told them; holds are payable until `expiresAt + CLOCK_SKEW_GRACE_MS` by payments'
// clock and are expired then, by the claim, the hold timer or the sweeper alike.
import { holdExpiredQueue, makeEnvelope, newId } from "@bat/contracts"
import { loadConfig } from "@bat/http"
import { pollUntil } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { paymentsSettingsFrom } from "../src/service.ts"
import { SUCCESS_CARD, makeTestClock, startHarness, type Harness } from "./harness.ts"

/** Payments' clock is this far ahead of booking's (the test's wall clock). */
const SKEW_MS = 20_000
const GRACE_MS = 30_000

const timerConsumed = (h: Harness, bookingId: string) =>
  h.service.store.db
    .prepare(
      `SELECT 1 FROM inbox WHERE queue = ? AND id IN
        (SELECT id FROM outbox WHERE type = 'HoldTimerElapsed' AND json_extract(body, '$.data.bookingId') = ?)`
    )
    .get(holdExpiredQueue, bookingId)

const statusOf = (h: Harness, bookingId: string) =>
  (h.service.store.db.prepare("SELECT status FROM payments WHERE booking_id = ?").get(bookingId) as { status: string }).status

describe("CLOCK_SKEW_GRACE_MS", () => {
  const settings = (env: Record<string, string>) => paymentsSettingsFrom(loadConfig("payments", 3006, env))

  test("defaults to 30 s and must be a non-negative integer", () => {
    expect(settings({}).clockSkewGraceMs).toBe(30_000)
    expect(settings({ CLOCK_SKEW_GRACE_MS: "" }).clockSkewGraceMs).toBe(30_000)
    expect(settings({ CLOCK_SKEW_GRACE_MS: "0" }).clockSkewGraceMs).toBe(0)
    expect(settings({ CLOCK_SKEW_GRACE_MS: "5000" }).clockSkewGraceMs).toBe(5_000)
    for (const bad of ["-1", "1.5", "30s", "abc"]) {
      expect(() => settings({ CLOCK_SKEW_GRACE_MS: bad })).toThrow(/CLOCK_SKEW_GRACE_MS must be a non-negative integer/)
    }
  })
})

describe("payments' clock 20 s ahead of booking's, with a 30 s grace", () => {
  const time = makeTestClock(SKEW_MS)
  let h: Harness
  beforeAll(async () => {
    // The hold timer (1 s) fires while payments' clock is already past every advertised expiresAt.
    h = await startHarness({
      env: { CLOCK_SKEW_GRACE_MS: String(GRACE_MS), HOLD_TTL_MS: "1000", SWEEP_INTERVAL_MS: "100" },
      clock: time.clock
    })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("every customer who pays before the expiresAt booking told them is charged, though payments' clock is past it", async () => {
    const customers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        // Booking's clock (the wall clock) says: held for 4 s.
        const r = await h.reserve({ expiresInMs: 4_000 })
        return { ...r, hold: await h.paymentOf(r.bookingId) }
      })
    )
    for (const { hold } of customers) {
      expect(hold.status).toBe("pending")
      expect(time.now()).toBeGreaterThan(hold.deadline)
    }
    // The timers have fired and the sweeper has run many times: the holds are still payable.
    await pollUntil(() => customers.every((c) => timerConsumed(h, c.bookingId)), { timeoutMs: 8_000, message: "every hold timer consumed" })
    for (const { bookingId } of customers) expect(statusOf(h, bookingId)).toBe("pending")

    // The customers pay one after another across what is left of the advertised window, the last just before it ends.
    const first = Date.now()
    const last = Math.min(...customers.map((c) => c.hold.deadline)) - 250
    expect(last).toBeGreaterThan(first)
    const results = await Promise.all(
      customers.map(async ({ bookingId, userId, hold }, i) => {
        const t = await h.token(userId)
        await pollUntil(() => Date.now() >= first + ((last - first) * i) / (customers.length - 1), { intervalMs: 5 })
        const sentAt = Date.now()
        const res = await h.pay(t, { bookingId, card: SUCCESS_CARD })
        return { sentAt, deadline: hold.deadline, res }
      })
    )
    for (const { sentAt, deadline, res } of results) {
      expect(sentAt).toBeLessThan(deadline)
      expect(res.status).toBe(200)
      expect(res.body.status).toBe("succeeded")
    }
    for (const { bookingId, hold } of customers) {
      expect(h.outboxCount(bookingId, "PaymentSuccessful")).toBe(1)
      expect(h.outboxCount(bookingId, "PaymentFailed")).toBe(0)
      expect(h.ledger().charges().filter((c) => c.key === hold.paymentId)).toHaveLength(1)
    }
  })

  test("unpaid holds stay payable until expiresAt plus the grace by payments' clock, and are released within 5 s of it", async () => {
    const holds = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const r = await h.reserve({ expiresInMs: 1_000 })
        return { ...r, hold: await h.paymentOf(r.bookingId) }
      })
    )
    await pollUntil(() => holds.every((x) => timerConsumed(h, x.bookingId)), { timeoutMs: 8_000, message: "every hold timer consumed" })
    const earliest = Math.min(...holds.map((x) => x.hold.deadline))
    const latest = Math.max(...holds.map((x) => x.hold.deadline))

    // One second before the grace runs out for any of them: the sweeper (every 100 ms) leaves them alone...
    time.runFrom(earliest + GRACE_MS - 1_000)
    // Waiting for something not to happen: five sweeps' worth.
    await Bun.sleep(500)
    for (const { bookingId } of holds) expect(statusOf(h, bookingId)).toBe("pending")
    // ...and a customer paying now, 29 s after the advertised expiresAt by payments' clock, is charged.
    const [payer, ...unpaid] = holds
    const late = await h.pay(await h.token(payer!.userId), { bookingId: payer!.bookingId, card: SUCCESS_CARD })
    expect(late.body).toMatchObject({ paymentId: payer!.hold.paymentId, status: "succeeded" })

    // Payments' clock reaches expiresAt + grace for every hold: the sweeper releases the unpaid ones.
    time.runFrom(latest + GRACE_MS)
    await pollUntil(() => unpaid.every((x) => h.eventsFor(x.bookingId, "PaymentFailed").length > 0), {
      timeoutMs: 5_000,
      message: "PaymentFailed expired for every unpaid hold"
    })
    expect(time.now()).toBeLessThanOrEqual(latest + GRACE_MS + 5_000)
    for (const { bookingId, userId, hold } of unpaid) {
      expect(h.eventsFor(bookingId, "PaymentFailed").map((e) => e.data)).toEqual([
        { paymentId: hold.paymentId, bookingId, userId, reason: "expired" }
      ])
      expect(statusOf(h, bookingId)).toBe("expired")
      const refused = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
      expect(refused.status).toBe(409)
      expect(refused.body.code).toBe("reservation_expired")
    }
    expect(statusOf(h, payer!.bookingId)).toBe("succeeded")
    expect(h.outboxCount(payer!.bookingId, "PaymentFailed")).toBe(0)
  })
})

describe("the same skew without a grace (CLOCK_SKEW_GRACE_MS=0)", () => {
  const time = makeTestClock(SKEW_MS)
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      env: { CLOCK_SKEW_GRACE_MS: "0", HOLD_TTL_MS: "1000", SWEEP_INTERVAL_MS: "100" },
      clock: time.clock
    })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("customers paying inside the advertised window are refused: the grace is what lets them pay", async () => {
    const customers = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const r = await h.reserve({ expiresInMs: 4_000 })
        return { ...r, hold: await h.paymentOf(r.bookingId) }
      })
    )
    for (const { bookingId, userId, hold } of customers) {
      const sentAt = Date.now()
      const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
      expect(sentAt).toBeLessThan(hold.deadline)
      expect(res.status).toBe(409)
      expect(res.body.code).toBe("reservation_expired")
    }
  })
})

describe("the grace boundary to the millisecond (payments' clock stopped, no sweeper, timer far away)", () => {
  const time = makeTestClock(SKEW_MS)
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      env: { CLOCK_SKEW_GRACE_MS: String(GRACE_MS), HOLD_TTL_MS: "600000", SWEEP_INTERVAL_MS: "0" },
      clock: time.clock
    })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("a claim 1 ms before expiresAt plus the grace is charged; one at expiresAt plus the grace is refused with reservation_expired", async () => {
    const a = await h.reserve({ expiresInMs: 5_000 })
    const b = await h.reserve({ expiresInMs: 5_000 })
    const holdA = await h.paymentOf(a.bookingId)
    const holdB = await h.paymentOf(b.bookingId)

    time.stopAt(holdA.deadline + GRACE_MS - 1)
    const paid = await h.pay(await h.token(a.userId), { bookingId: a.bookingId, card: SUCCESS_CARD })
    expect(paid.body).toMatchObject({ paymentId: holdA.paymentId, status: "succeeded" })

    time.stopAt(holdB.deadline + GRACE_MS)
    const refused = await h.pay(await h.token(b.userId), { bookingId: b.bookingId, card: SUCCESS_CARD })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe("reservation_expired")
    // The late claim expires the hold itself, once.
    expect(statusOf(h, b.bookingId)).toBe("expired")
    expect((await h.waitForEvent(b.bookingId, "PaymentFailed")).data).toEqual({
      paymentId: holdB.paymentId,
      bookingId: b.bookingId,
      userId: b.userId,
      reason: "expired"
    })
    expect(h.outboxCount(b.bookingId, "PaymentFailed")).toBe(1)
    expect(h.ledger().charges().filter((c) => c.key === holdB.paymentId)).toHaveLength(0)
  })

  test("the hold timer leaves a hold alone until expiresAt plus the grace, and expires it then", async () => {
    const { bookingId, userId } = await h.reserve({ expiresInMs: 5_000 })
    const hold = await h.paymentOf(bookingId)
    const consumed = (id: string) => h.service.store.db.prepare("SELECT 1 FROM inbox WHERE queue = ? AND id = ?").get(holdExpiredQueue, id)
    const fire = async () => {
      const env = makeEnvelope("HoldTimerElapsed", { bookingId, paymentId: hold.paymentId }, { source: "payments", correlationId: bookingId })
      await h.publishRaw("", holdExpiredQueue, env)
      await pollUntil(() => consumed(env.id), { message: "the timer message consumed" })
    }

    time.stopAt(hold.deadline + GRACE_MS - 1)
    await fire()
    expect(statusOf(h, bookingId)).toBe("pending")
    expect(h.outboxCount(bookingId, "PaymentFailed")).toBe(0)

    time.stopAt(hold.deadline + GRACE_MS)
    await fire()
    expect(statusOf(h, bookingId)).toBe("expired")
    expect((await h.waitForEvent(bookingId, "PaymentFailed")).data).toEqual({
      paymentId: hold.paymentId,
      bookingId,
      userId,
      reason: "expired"
    })
  })

  test("a reservation that arrives inside the grace after its expiresAt opens a payable hold; one that arrives after is expired at once", async () => {
    const now = Date.now() + SKEW_MS
    time.stopAt(now)
    const inside = await h.reserve({ expiresAt: now - GRACE_MS + 1 })
    const after = await h.reserve({ expiresAt: now - GRACE_MS })
    expect((await h.paymentOf(inside.bookingId)).status).toBe("pending")
    expect(h.outboxCount(inside.bookingId, "HoldTimerElapsed")).toBe(1)
    expect((await h.waitForEvent(after.bookingId, "PaymentFailed")).data).toMatchObject({ reason: "expired" })
    expect((await h.paymentOf(after.bookingId)).status).toBe("expired")
    expect(h.outboxCount(after.bookingId, "HoldTimerElapsed")).toBe(0)
    const paid = await h.pay(await h.token(inside.userId), { bookingId: inside.bookingId, card: SUCCESS_CARD })
    expect(paid.body.status).toBe("succeeded")
  })
})
