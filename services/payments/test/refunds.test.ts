import { newId, type EventData } from "@bat/contracts"
import { pollUntil, uncheckedFetch } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { GatewayUnavailable } from "../src/domain/errors.ts"
import { SUCCESS_CARD, simulatedGatewayWith, slowCharges, startHarness, type Harness } from "./harness.ts"

const cancellation = (bookingId: string, userId: string) =>
  ({ bookingId, userId, screeningId: newId(), tickets: [], reason: "screening_cancelled" }) as unknown as EventData<"TicketCancelled">

describe("refunds when a booking is cancelled", () => {
  let h: Harness
  beforeAll(async () => {
    // No clock-skew grace, so "past its deadline" below is past the moment the sweeper would act.
    h = await startHarness({ env: { CLOCK_SKEW_GRACE_MS: "0" }, gateway: simulatedGatewayWith(slowCharges(300)) })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("a succeeded payment is refunded once, however often the cancellation is delivered", async () => {
    const { bookingId, userId } = await h.reserve({ amount: 1800 })
    const hold = await h.paymentOf(bookingId)
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.status).toBe("succeeded")
    const id = newId()
    await h.publish("TicketCancelled", cancellation(bookingId, userId), { id })
    await h.publish("TicketCancelled", cancellation(bookingId, userId), { id })
    const refunded = await h.waitForEvent(bookingId, "PaymentRefunded")
    expect(refunded.data).toEqual({ paymentId: hold.paymentId, bookingId, userId, amount: 1800, currency: "EUR" })
    await h.publish("TicketCancelled", cancellation(bookingId, userId))
    const consumer = h.service.messaging.consumer!
    const before = consumer.handled
    await h.publish("TicketCancelled", cancellation(bookingId, userId))
    await pollUntil(() => consumer.handled > before)
    expect(h.outboxCount(bookingId, "PaymentRefunded")).toBe(1)
    expect(h.ledger().refunds().filter((r) => r.key === `refund:${hold.paymentId}`)).toEqual([
      expect.objectContaining({ chargeKey: hold.paymentId, amount: 1800 })
    ])
    const read = await h.get(`/payments/${hold.paymentId}`, await h.token(userId))
    expect(read.body).toMatchObject({ status: "refunded", cardLast4: "4242" })
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.code).toBe("reservation_closed")
  })

  test("a payment cancelled while its charge is in flight is refunded once the charge settles", async () => {
    const { bookingId, userId } = await h.reserve()
    const hold = await h.paymentOf(bookingId)
    const paying = h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    await h.waitForEvent(bookingId, "PaymentAttempted")
    await h.publish("TicketCancelled", cancellation(bookingId, userId))
    await pollUntil(async () => (await h.paymentOf(bookingId)).refundRequested === 1 || (await h.paymentOf(bookingId)).status !== "charging")
    const res = await paying
    expect(res.body).toMatchObject({ status: "succeeded", paymentId: hold.paymentId })
    await h.waitForEvent(bookingId, "PaymentRefunded")
    expect(h.outboxCount(bookingId, "PaymentSuccessful")).toBe(1)
    expect(h.outboxCount(bookingId, "PaymentRefunded")).toBe(1)
    expect((await h.paymentOf(bookingId)).status).toBe("refunded")
  })

  test("a pending hold is closed by the cancellation, without a payment event", async () => {
    const { bookingId, userId } = await h.reserve({ expiresInMs: 800 })
    const hold = await h.paymentOf(bookingId)
    await h.publish("TicketCancelled", cancellation(bookingId, userId))
    await pollUntil(async () => (await h.paymentOf(bookingId)).status === "cancelled")
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.code).toBe("reservation_closed")
    // Past its deadline the sweeper leaves a closed hold closed.
    await pollUntil(() => Date.now() > hold.deadline + 300)
    expect((await h.paymentOf(bookingId)).status).toBe("cancelled")
    expect(h.eventsFor(bookingId).map((e) => e.type)).toEqual([])
  })

  test("a cancellation that overtakes its reservation keeps the booking closed", async () => {
    const bookingId = newId()
    const userId = newId()
    await h.publish("TicketCancelled", cancellation(bookingId, userId))
    const consumer = h.service.messaging.consumer!
    await pollUntil(() => h.service.store.db.prepare("SELECT 1 FROM closed_bookings WHERE booking_id = ?").get(bookingId))
    const before = consumer.handled
    await h.reserve({ bookingId, userId })
    await pollUntil(() => consumer.handled > before)
    expect(h.service.store.db.prepare("SELECT 1 FROM payments WHERE booking_id = ?").get(bookingId)).toBeUndefined()
    const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe("reservation_closed")
  })
})

describe("refunds the gateway refuses for a while", () => {
  let h: Harness
  let refundCalls = 0
  beforeAll(async () => {
    h = await startHarness({
      env: { SWEEP_INTERVAL_MS: "100" },
      gateway: simulatedGatewayWith((real) => ({
        ...real,
        refund: (req) =>
          ++refundCalls <= 3 ? Effect.fail(new GatewayUnavailable({ reason: "provider timeout" })) : real.refund(req)
      }))
    })
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("a refund is retried by the sweeper until it is done, then reported once", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).status).toBe(200)
    await h.publish("TicketCancelled", cancellation(bookingId, userId))
    await h.waitForEvent(bookingId, "PaymentRefunded")
    expect(refundCalls).toBeGreaterThanOrEqual(4)
    expect(h.outboxCount(bookingId, "PaymentRefunded")).toBe(1)
    expect(h.ledger().refunds()).toHaveLength(1)
  })
})

describe("settling a charge after a crash between charging and recording", () => {
  let h: Harness
  const crash = (when: "before" | "after") =>
    simulatedGatewayWith((real) => ({
      ...real,
      charge: (req) =>
        when === "after"
          ? Effect.flatMap(real.charge(req), () => Effect.die(new Error("simulated crash after the charge")))
          : Effect.die(new Error("simulated crash before the charge"))
    }))
  // The crashing process has no sweeper: only the restarted one settles.
  const crashing = (when: "before" | "after") => ({ env: { SWEEP_INTERVAL_MS: "0" }, gateway: crash(when) })
  /** A pay request into the simulated crash: its 500 stands for a process dying, not an answer the API gives. */
  const payIntoCrash = async (userId: string, bookingId: string) =>
    (
      await uncheckedFetch(`${h.url}/payments`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await h.token(userId)}` },
        body: JSON.stringify({ bookingId, card: SUCCESS_CARD })
      })
    ).status
  const recovered = { env: { SWEEP_INTERVAL_MS: "100", CHARGING_SETTLE_MS: "300" } }

  beforeAll(async () => {
    h = await startHarness(crashing("after"))
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("a charge the gateway took is recorded as succeeded by the sweeper after a restart, and taken once", async () => {
    const { bookingId, userId } = await h.reserve()
    const hold = await h.paymentOf(bookingId)
    expect(await payIntoCrash(userId, bookingId)).toBe(500)
    expect((await h.paymentOf(bookingId)).status).toBe("charging")
    expect(h.ledger().charges().filter((c) => c.key === hold.paymentId)).toHaveLength(1)

    await h.restart(recovered)
    const ok = await h.waitForEvent(bookingId, "PaymentSuccessful")
    expect(ok.data).toMatchObject({ paymentId: hold.paymentId, amount: 2400 })
    expect(await h.paymentOf(bookingId)).toMatchObject({ status: "succeeded", cardLast4: "4242" })
    expect(h.ledger().charges().filter((c) => c.key === hold.paymentId)).toHaveLength(1)
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.code).toBe("already_paid")
  })

  test("a charge that never reached the gateway is voided and the hold expires, taking no money", async () => {
    await h.restart(crashing("before"))
    const { bookingId, userId } = await h.reserve()
    const hold = await h.paymentOf(bookingId)
    expect(await payIntoCrash(userId, bookingId)).toBe(500)
    expect((await h.paymentOf(bookingId)).status).toBe("charging")

    await h.restart(recovered)
    const failed = await h.waitForEvent(bookingId, "PaymentFailed")
    expect(failed.data).toMatchObject({ paymentId: hold.paymentId, reason: "expired" })
    expect((await h.paymentOf(bookingId)).status).toBe("expired")
    expect(h.ledger().charges().filter((c) => c.key === hold.paymentId)).toEqual([
      expect.objectContaining({ status: "voided" })
    ])
  })
})
