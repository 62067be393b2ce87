import { newId } from "@bat/contracts"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { expectMalformedIdsLikeUnknown, expectMethodNotAllowed, expectProblem, pollUntil } from "@bat/testing"
import {
  DECLINED_CARD,
  INSUFFICIENT_CARD,
  SUCCESS_CARD,
  simulatedGatewayWith,
  slowCharges,
  startHarness,
  type Harness
} from "./harness.ts"

let h: Harness

beforeAll(async () => {
  // Charges take a little while, as a real provider's do, so concurrent requests overlap.
  h = await startHarness({ gateway: simulatedGatewayWith(slowCharges(150)) })
})
afterAll(async () => {
  await h?.stop()
})

describe("paying for a reservation", () => {
  test("a success card is charged the reservation's amount and the outcome is PaymentSuccessful", async () => {
    const { bookingId, userId } = await h.reserve({ amount: 3150 })
    const hold = await h.paymentOf(bookingId)
    expect(hold).toMatchObject({ status: "pending", amount: 3150, currency: "EUR" })
    const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ paymentId: hold.paymentId, bookingId, status: "succeeded", amount: 3150, currency: "EUR" })

    const ok = await h.waitForEvent(bookingId, "PaymentSuccessful")
    expect(ok.data).toMatchObject({ paymentId: hold.paymentId, bookingId, userId, amount: 3150, currency: "EUR" })
    expect(ok.correlationId).toBe(bookingId)
    const attempted = await h.waitForEvent(bookingId, "PaymentAttempted")
    expect(h.events.indexOf(attempted)).toBeLessThan(h.events.indexOf(ok))

    const read = await h.get(`/payments/${hold.paymentId}`, await h.token(userId))
    expect(read.status).toBe(200)
    expect(read.body).toEqual({
      paymentId: hold.paymentId,
      bookingId,
      status: "succeeded",
      amount: 3150,
      currency: "EUR",
      cardLast4: "4242",
      cardBrand: "visa"
    })
    const charges = h.ledger().charges().filter((c) => c.key === hold.paymentId)
    expect(charges).toEqual([expect.objectContaining({ amount: 3150, status: "succeeded", cardLast4: "4242" })])
  })

  test("the amount comes from the reservation, never from the client", async () => {
    const { bookingId, userId } = await h.reserve({ amount: 999 })
    await h.paymentOf(bookingId)
    const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD, amount: 1, currency: "USD" })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ amount: 999, currency: "EUR" })
  })

  test("a declined card fails the payment with reason declined", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const res = await h.pay(await h.token(userId), { bookingId, card: DECLINED_CARD })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ bookingId, status: "failed", reason: "declined" })
    const failed = await h.waitForEvent(bookingId, "PaymentFailed")
    expect(failed.data.reason).toBe("declined")
    expect(h.eventsFor(bookingId, "PaymentSuccessful")).toHaveLength(0)
  })

  test("a card without funds fails the payment with reason insufficient_funds", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const res = await h.pay(await h.token(userId), { bookingId, card: INSUFFICIENT_CARD })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: "failed", reason: "insufficient_funds" })
    expect((await h.waitForEvent(bookingId, "PaymentFailed")).data.reason).toBe("insufficient_funds")
  })

  test("any other valid card number succeeds", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const res = await h.pay(await h.token(userId), { bookingId, card: { ...SUCCESS_CARD, number: "5555555555554444" } })
    expect(res.body).toMatchObject({ status: "succeeded" })
    const p = await h.paymentOf(bookingId)
    expect(p.cardLast4).toBe("4444")
  })
})

describe("the conflicts of POST /payments", () => {
  test("paying a paid booking again is 409 already_paid", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const t = await h.token(userId)
    expect((await h.pay(t, { bookingId, card: SUCCESS_CARD })).status).toBe(200)
    const again = await h.pay(t, { bookingId, card: SUCCESS_CARD })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ status: 409, code: "already_paid" })
    expect(h.ledger().charges().filter((c) => c.key === again.body.paymentId)).toHaveLength(0)
  })

  test("paying after a failed payment is 409 reservation_closed", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const t = await h.token(userId)
    expect((await h.pay(t, { bookingId, card: DECLINED_CARD })).body.status).toBe("failed")
    const again = await h.pay(t, { bookingId, card: SUCCESS_CARD })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe("reservation_closed")
  })

  test("paying a cancelled reservation is 409 reservation_closed", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    await h.publish("TicketCancelled", { bookingId, userId, screeningId: newId(), tickets: [], reason: "screening_cancelled" } as any)
    await pollUntil(async () => (await h.paymentOf(bookingId)).status === "cancelled")
    const res = await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe("reservation_closed")
  })

  test("paying before the reservation reached payments is 409 reservation_not_found_yet", async () => {
    const res = await h.pay(await h.token(newId()), { bookingId: newId(), card: SUCCESS_CARD })
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ code: "reservation_not_found_yet", type: "urn:bookaticket:problem:reservation_not_found_yet" })
  })

  test("concurrent payments of one hold charge it once; the others are 409 payment_in_progress", async () => {
    const { bookingId, userId } = await h.reserve()
    const hold = await h.paymentOf(bookingId)
    const t = await h.token(userId)
    const results = await Promise.all(Array.from({ length: 8 }, () => h.pay(t, { bookingId, card: SUCCESS_CARD })))
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    const codes = results.filter((r) => r.status !== 200).map((r) => r.body.code)
    expect(codes.length).toBe(7)
    expect(codes).toContain("payment_in_progress")
    for (const c of codes) expect(["payment_in_progress", "already_paid"]).toContain(c)
    expect(h.ledger().charges().filter((c) => c.key === hold.paymentId)).toHaveLength(1)
    expect(h.outboxCount(bookingId, "PaymentAttempted")).toBe(1)
    expect(h.outboxCount(bookingId, "PaymentSuccessful")).toBe(1)
  })

  test("someone else's booking is 404, and so is someone else's payment, which staff may read", async () => {
    const { bookingId, userId } = await h.reserve()
    const hold = await h.paymentOf(bookingId)
    const stranger = await h.token(newId())
    const res = await h.pay(stranger, { bookingId, card: SUCCESS_CARD })
    expect(res.status).toBe(404)
    expect(res.body.code).toBe("booking_not_found")
    expect((await h.paymentOf(bookingId)).status).toBe("pending")

    expect((await h.get(`/payments/${hold.paymentId}`, stranger)).status).toBe(404)
    const staff = await h.get(`/payments/${hold.paymentId}`, await h.token(newId(), "staff"))
    expect(staff.status).toBe(200)
    expect(staff.body).toEqual({ paymentId: hold.paymentId, bookingId, status: "pending", amount: 2400, currency: "EUR" })
    expect((await h.get(`/payments/${hold.paymentId}`, await h.token(userId))).body.status).toBe("pending")
    const unknown = await h.get(`/payments/${newId()}`, await h.token(userId))
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe("payment_not_found")
  })

  test("a malformed payment id gets the same 404 payment_not_found as an unknown one, for customers and staff", async () => {
    for (const token of [await h.token(newId()), await h.token(newId(), "staff")]) {
      await expectMalformedIdsLikeUnknown(
        (id) => fetch(`${h.url}/payments/${id}`, { headers: { authorization: `Bearer ${token}` } }),
        "payment_not_found"
      )
    }
  })

  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    const headers = { authorization: `Bearer ${await h.token(newId())}` }
    await expectMethodNotAllowed(await fetch(`${h.url}/payments`, { headers }), "POST")
    await expectMethodNotAllowed(await fetch(`${h.url}/payments/${newId()}`, { method: "DELETE", headers }), "GET, HEAD")
  })

  test("without a token paying is 401", async () => {
    const res = await fetch(`${h.url}/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bookingId: newId(), card: SUCCESS_CARD })
    })
    await expectProblem(res, 401, "unauthorized")
  })
})

describe("card validation", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a number failing the Luhn check", { number: "4242424242424241" }, "card.number"],
    ["a number with letters", { number: "4242abcd42424242" }, "card.number"],
    ["a number too short", { number: "4242" }, "card.number"],
    ["a month of 13", { expMonth: 13 }, "card.expMonth"],
    ["a two-digit year", { expYear: 30 }, "card.expYear"],
    ["a CVC of two digits", { cvc: "12" }, "card.cvc"],
    ["an expired card", { expMonth: 1, expYear: 2020 }, "card.expYear"]
  ]
  for (const [what, change, path] of cases) {
    test(`${what} is 422 invalid_input naming ${path} without echoing the card number`, async () => {
      const { bookingId, userId } = await h.reserve()
      const card = { ...SUCCESS_CARD, number: "4111111111111111", ...change }
      const res = await h.pay(await h.token(userId), { bookingId, card })
      expect(res.status).toBe(422)
      expect(res.body.code).toBe("invalid_input")
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path)
      expect(res.text).not.toContain(String(card.number))
      expect(res.text).not.toContain(String(card.number).slice(0, 8))
    })
  }

  test("malformed JSON is 400 malformed_json", async () => {
    const res = await h.pay(await h.token(newId()), '{"bookingId": ')
    expect(res.status).toBe(400)
    expect(res.body.code).toBe("malformed_json")
  })
})

describe("idempotency keys", () => {
  test("the same key and body returns the first response and charges once", async () => {
    const { bookingId, userId } = await h.reserve()
    const hold = await h.paymentOf(bookingId)
    const t = await h.token(userId)
    const key = { "idempotency-key": `pay-${newId()}` }
    const first = await h.pay(t, { bookingId, card: SUCCESS_CARD }, key)
    const second = await h.pay(t, { bookingId, card: SUCCESS_CARD }, key)
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(second.body).toEqual(first.body)
    expect(h.ledger().charges().filter((c) => c.key === hold.paymentId)).toHaveLength(1)
    expect(h.outboxCount(bookingId, "PaymentSuccessful")).toBe(1)
    // Without the key, the same request is an ordinary second attempt.
    expect((await h.pay(t, { bookingId, card: SUCCESS_CARD })).body.code).toBe("already_paid")
  })

  test("a declined first response is what a repeat gets too", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const t = await h.token(userId)
    const key = { "idempotency-key": `pay-${newId()}` }
    const first = await h.pay(t, { bookingId, card: DECLINED_CARD }, key)
    const second = await h.pay(t, { bookingId, card: DECLINED_CARD }, key)
    expect(first.body).toMatchObject({ status: "failed", reason: "declined" })
    expect(second.body).toEqual(first.body)
  })

  test("the same key with a different body is 422 idempotency_key_reused", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const t = await h.token(userId)
    const key = { "idempotency-key": `pay-${newId()}` }
    expect((await h.pay(t, { bookingId, card: SUCCESS_CARD }, key)).status).toBe(200)
    // The fingerprint covers the booking and the card number (never the CVC, DESIGN §17).
    const reused = await h.pay(t, { bookingId, card: { ...SUCCESS_CARD, number: "4111111111111111" } }, key)
    expect(reused.status).toBe(422)
    expect(reused.body.code).toBe("idempotency_key_reused")
    expect(reused.text).not.toContain(SUCCESS_CARD.number)
  })

  test("keys are scoped per user: another user's identical key does not replay", async () => {
    const a = await h.reserve()
    const b = await h.reserve()
    await h.paymentOf(a.bookingId)
    await h.paymentOf(b.bookingId)
    const key = { "idempotency-key": "shared-key-1" }
    const first = await h.pay(await h.token(a.userId), { bookingId: a.bookingId, card: SUCCESS_CARD }, key)
    const second = await h.pay(await h.token(b.userId), { bookingId: b.bookingId, card: SUCCESS_CARD }, key)
    expect(first.body.bookingId).toBe(a.bookingId)
    expect(second.body.bookingId).toBe(b.bookingId)
  })

  test("a repeat while the first request is still charging is 409 payment_in_progress", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    const t = await h.token(userId)
    const key = { "idempotency-key": `pay-${newId()}` }
    const first = h.pay(t, { bookingId, card: SUCCESS_CARD }, key)
    await h.waitForEvent(bookingId, "PaymentAttempted")
    const second = await h.pay(t, { bookingId, card: SUCCESS_CARD }, key)
    expect((await first).status).toBe(200)
    // Either it met the charge in flight, or the charge had finished and it replays the answer.
    if (second.status === 409) expect(second.body.code).toBe("payment_in_progress")
    else expect(second.body).toEqual((await first).body)
  })

  test("an invalid key header is 422 invalid_input", async () => {
    const res = await h.pay(await h.token(newId()), { bookingId: newId(), card: SUCCESS_CARD }, { "idempotency-key": "x".repeat(300) })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe("invalid_input")
  })
})

describe("reservations delivered twice", () => {
  test("a TicketReserved delivered twice, or re-sent with a new id, makes one hold", async () => {
    const bookingId = newId()
    const userId = newId()
    const id = newId()
    const consumer = h.service.messaging.consumer!
    const before = consumer.handled
    await h.reserve({ bookingId, userId, id })
    await h.reserve({ bookingId, userId, id })
    await h.reserve({ bookingId, userId })
    const hold = await h.paymentOf(bookingId)
    await pollUntil(() => consumer.handled >= before + 3, { message: "all three deliveries handled" })
    const rows = h.service.store.db.prepare("SELECT count(*) AS n FROM payments WHERE booking_id = ?").get(bookingId) as { n: number }
    expect(rows.n).toBe(1)
    const timers = h.service.store.db
      .prepare("SELECT count(*) AS n FROM outbox WHERE type = 'HoldTimerElapsed' AND json_extract(body, '$.data.bookingId') = ?")
      .get(bookingId) as { n: number }
    expect(timers.n).toBe(1)
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.paymentId).toBe(hold.paymentId)
  })
})

describe("operations", () => {
  test("the OpenAPI document describes POST /payments with its body and GET /payments/{paymentId}", async () => {
    const res = await h.get("/payments/openapi/json")
    expect(res.status).toBe(200)
    const paths = res.body.paths as Record<string, any>
    expect(paths["/payments"]?.post?.requestBody).toBeDefined()
    expect(Object.keys(paths)).toContain("/payments/{paymentId}")
  })

  test("readiness reports the database, broker and consumers", async () => {
    const res = await h.get("/ready")
    expect(res.status).toBe(200)
    expect(res.body.checks).toMatchObject({ database: "open", broker: "connected", consumers: "running" })
  })
})
