// Least privilege on the broker (DESIGN §17): a PaymentSuccessful forged with another service's broker
// credential changes nothing — the broker refuses it on payments' exchange, and booking parks one
// that reaches its inbox another way; a service cannot write another's exchange nor read its queues.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { exchangeOf, inboxOf, makeEnvelope, newId, type EventData } from "@bat/contracts"
import { pollUntil, serviceAmqpUrl } from "@bat/testing"
import amqp from "amqplib"
import { book, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

const paid = (bookingId: string, userId: string, amount: number) =>
  ({ paymentId: newId(), bookingId, userId, amount, currency: "EUR", transactionDate: new Date().toISOString() }) as EventData<"PaymentSuccessful">

/** A connection as `service`'s broker user; the channel's close reason is kept. */
const connectAs = async (service: string) => {
  const conn = await amqp.connect(serviceAmqpUrl(h.vhost.amqpUrl, service))
  conn.on("error", () => {})
  return conn
}

/** Runs `f` on a fresh channel of `conn`; resolves with the broker's refusal, or undefined if it was allowed. */
const refusal = async (conn: amqp.ChannelModel, f: (ch: amqp.ConfirmChannel) => Promise<unknown>): Promise<string | undefined> => {
  const ch = await conn.createConfirmChannel()
  let closedWith: string | undefined
  ch.on("error", (e: Error) => {
    closedWith = e.message
  })
  try {
    await f(ch)
    await ch.close()
    return undefined
  } catch (e) {
    return closedWith ?? (e as Error).message
  }
}

const reservedBooking = async (amount = 1000) => {
  const sc = await schedule(h, scheduled({ amount }))
  const user = newId()
  const bookingId = await book(h, user, sc.screeningId, ["A1"])
  await h.awaitStatus(bookingId, user, ["reserved"])
  return { bookingId, user }
}

const statusOf = (bookingId: string) => rows<{ status: string }>(h, "SELECT status FROM bookings WHERE booking_id = ?", bookingId)[0]?.status

describe("one broker user per service", () => {
  test("a PaymentSuccessful forged as the screenings user is refused on payments.events and parked from booking's inbox; the booking stays unpaid", async () => {
    const { bookingId, user } = await reservedBooking()
    const forged = makeEnvelope("PaymentSuccessful", paid(bookingId, user, 1000), { source: "payments", correlationId: bookingId })
    const body = Buffer.from(JSON.stringify(forged))
    const props = { persistent: true, messageId: forged.id, type: forged.type, contentType: "application/json" }
    const screenings = await connectAs("screenings")
    try {
      // 1. Payments' exchange: only payments' user may write it.
      const onExchange = await refusal(screenings, async (ch) => {
        ch.publish(exchangeOf("payments"), "PaymentSuccessful", body, { ...props, userId: "bookaticket-screenings" })
        await ch.waitForConfirms()
      })
      expect(onExchange).toMatch(/ACCESS_REFUSED/)
      // 2. Claiming to be payments: the broker validates the user-id.
      const claimed = await refusal(screenings, async (ch) => {
        ch.publish("", inboxOf("booking"), body, { ...props, userId: "bookaticket-payments" })
        await ch.waitForConfirms()
      })
      expect(claimed).toMatch(/PRECONDITION_FAILED/)
      // 3. Straight into booking's inbox through the default exchange, as itself and with no user-id: parked.
      const direct = await refusal(screenings, async (ch) => {
        ch.publish("", inboxOf("booking"), body, { ...props, userId: "bookaticket-screenings" })
        const anonymous = makeEnvelope("PaymentSuccessful", paid(bookingId, user, 1000), { source: "payments", correlationId: bookingId })
        ch.publish("", inboxOf("booking"), Buffer.from(JSON.stringify(anonymous)), { ...props, messageId: anonymous.id })
        await ch.waitForConfirms()
      })
      expect(direct).toBeUndefined()
    } finally {
      await screenings.close().catch(() => {})
    }
    const parked = await pollUntil(
      async () => {
        const list = await h.svc.messaging.listParked()
        return list.filter((m) => m.reason === "wrong_user_id" && m.body.includes(bookingId)).length === 2 ? list : undefined
      },
      { message: "both forged messages to be parked as wrong_user_id" }
    )
    expect(parked.find((m) => m.messageId === forged.id)?.error).toMatch(/bookaticket-payments.*bookaticket-screenings/)
    expect(statusOf(bookingId)).toBe("reserved")
    expect(h.emittedFor(bookingId).some((e) => e.type === "TicketBooked")).toBe(false)

    // Replayed by the operator (under booking's own user-id), they are refused again: a replay never launders.
    await h.svc.messaging.replayParked(parked.filter((m) => m.body.includes(bookingId)).map((m) => m.messageId))
    await pollUntil(
      async () => (await h.svc.messaging.listParked()).filter((m) => m.reason === "wrong_user_id" && m.body.includes(bookingId)).length === 2,
      { message: "the replayed forgeries to be parked again" }
    )
    expect(statusOf(bookingId)).toBe("reserved")

    // The real payment, published as payments' user, still books it.
    await h.publish("PaymentSuccessful", paid(bookingId, user, 1000), { correlationId: bookingId })
    await h.awaitStatus(bookingId, user, ["booked"])
  })

  test("a service can neither read another's queue nor bind or declare it, nor write another's exchange", async () => {
    const screenings = await connectAs("screenings")
    try {
      expect(await refusal(screenings, (ch) => ch.consume(inboxOf("booking"), () => {}))).toMatch(/ACCESS_REFUSED/)
      expect(await refusal(screenings, (ch) => ch.get(inboxOf("payments")))).toMatch(/ACCESS_REFUSED/)
      expect(await refusal(screenings, (ch) => ch.bindQueue(inboxOf("booking"), exchangeOf("screenings"), "#"))).toMatch(/ACCESS_REFUSED/)
      expect(await refusal(screenings, (ch) => ch.assertQueue("booking.retry.1ms", { durable: true }))).toMatch(/ACCESS_REFUSED/)
      expect(await refusal(screenings, (ch) => ch.deleteExchange(exchangeOf("payments")))).toMatch(/ACCESS_REFUSED/)
      expect(
        await refusal(screenings, async (ch) => {
          ch.publish(exchangeOf("booking"), "TicketBooked", Buffer.from("{}"), { userId: "bookaticket-screenings" })
          await ch.waitForConfirms()
        })
      ).toMatch(/ACCESS_REFUSED/)
      // Its own inbox is its own to read.
      expect(await refusal(screenings, (ch) => ch.checkQueue(inboxOf("screenings")).then(() => ch.get(inboxOf("screenings"))))).toBeUndefined()
    } finally {
      await screenings.close().catch(() => {})
    }
  })
})
