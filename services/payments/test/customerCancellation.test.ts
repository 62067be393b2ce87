// A customer's cancellation (DESIGN §10, I8) reaches payments as TicketCancelled `customer_cancelled`: a paid
// booking is refunded exactly once at the gateway however often the event is delivered; a hold is closed.
import { newId, type EventData } from "@bat/contracts"
import { pollUntil } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SUCCESS_CARD, startHarness, type Harness } from "./harness.ts"

const customerCancelled = (bookingId: string, userId: string) =>
  ({
    bookingId,
    userId,
    screeningId: newId(),
    tickets: [{ ticketId: newId(), seatNumber: "A1" }],
    reason: "customer_cancelled",
    screening: {
      screeningId: newId(),
      startsAt: "2026-12-24T19:30:00.000Z",
      movieTitle: "Heat",
      cinemaName: "Roxy",
      hallName: "Hall 1",
      timeZone: "Europe/Berlin"
    }
  }) as unknown as EventData<"TicketCancelled">

describe("a customer's cancellation at payments", () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("a paid booking is refunded exactly once at the gateway when its cancellation is delivered twice", async () => {
    const { bookingId, userId } = await h.reserve({ amount: 2650 })
    const hold = await h.paymentOf(bookingId)
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.status).toBe("succeeded")
    const event = customerCancelled(bookingId, userId)
    const id = newId()
    // The same message twice (a redelivery), then once more under a new id (a duplicate publish).
    await h.publish("TicketCancelled", event, { id })
    await h.publish("TicketCancelled", event, { id })
    const refunded = await h.waitForEvent(bookingId, "PaymentRefunded")
    expect(refunded.data).toEqual({ paymentId: hold.paymentId, bookingId, userId, amount: 2650, currency: "EUR" })
    const consumer = h.service.messaging.consumer!
    const before = consumer.handled
    await h.publish("TicketCancelled", event)
    await pollUntil(() => consumer.handled > before)
    expect(h.outboxCount(bookingId, "PaymentRefunded")).toBe(1)
    expect(h.ledger().refunds().filter((r) => r.chargeKey === hold.paymentId)).toEqual([
      expect.objectContaining({ key: `refund:${hold.paymentId}`, chargeKey: hold.paymentId, amount: 2650 })
    ])
    expect((await h.paymentOf(bookingId)).status).toBe("refunded")
  })

  test("a reserved booking's pending hold is closed, with no payment event and no money moved", async () => {
    const { bookingId, userId } = await h.reserve()
    await h.paymentOf(bookingId)
    await h.publish("TicketCancelled", customerCancelled(bookingId, userId))
    await pollUntil(async () => (await h.paymentOf(bookingId)).status === "cancelled")
    expect((await h.pay(await h.token(userId), { bookingId, card: SUCCESS_CARD })).body.code).toBe("reservation_closed")
    expect(h.eventsFor(bookingId).map((e) => e.type)).toEqual([])
    const { paymentId } = await h.paymentOf(bookingId)
    expect(h.ledger().refunds().filter((r) => r.chargeKey === paymentId)).toEqual([])
  })
})
