// What the e-mails say, read back from a real SMTP server (smtp-server) and parsed (mailparser): every
// kind names the movie, cinema, hall, local start, seats and the right amount under its own subject,
// with an HTML part; local times across a daylight-saving change and a 30-minute offset; a permanent
// 550 for one recipient fails that delivery after one attempt while other mail keeps flowing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, type EventData, type EventType } from "@bat/contracts"
import { bootService, type RunningService } from "@bat/http"
import { createTestVhost, pollUntil, startEventPublisher, tempDir, type EventPublisher, type TestVhost, serviceAmqpUrl } from "@bat/testing"
import { simpleParser, type ParsedMail } from "mailparser"
import type { AddressInfo } from "node:net"
import { SMTPServer } from "smtp-server"
import { notificationsService } from "../src/service.ts"

interface Mail {
  readonly to: ReadonlyArray<string>
  readonly parsed: ParsedMail
}

const mails: Mail[] = []
/** Every RCPT TO the server saw, by address: how many times a delivery was attempted. */
const rcptAttempts = new Map<string, number>()
const refused = new Set<string>()

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onRcptTo(address, _session, callback) {
    rcptAttempts.set(address.address, (rcptAttempts.get(address.address) ?? 0) + 1)
    if (refused.has(address.address)) {
      const err = new Error("5.1.1 no such mailbox") as Error & { responseCode: number }
      err.responseCode = 550
      return callback(err)
    }
    callback()
  },
  onData(stream, session, callback) {
    // skipImageLinks: keep the HTML's `cid:` references as sent, so a test can match them to the images.
    simpleParser(stream, { skipImageLinks: true })
      .then((parsed) => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), parsed })
        callback()
      })
      .catch((e: Error) => callback(e))
  }
})

let vhost: TestVhost
let data: ReturnType<typeof tempDir> | undefined
let svc: RunningService
let publisher: EventPublisher

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve))
  const port = (smtp.server.address() as AddressInfo).port
  vhost = await createTestVhost({ layout: true })
  data = tempDir("bat-notifications-mail")
  svc = await bootService(
    notificationsService({
      PORT: "0",
      DATA_DIR: data.dir,
      AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "notifications"),
      JWKS_URL: "http://127.0.0.1:9/unused",
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      DELIVERY_POLL_MS: "100",
      // Short, so a wrongly retried permanent failure would be retried many times during the test.
      DELIVERY_RETRY_MIN_MS: "100",
      DELIVERY_RETRY_MAX_MS: "200"
    })
  )
  await svc.messaging.broker.waitForConnect()
  publisher = await startEventPublisher(vhost.amqpUrl)
})

afterAll(async () => {
  await publisher?.close()
  await svc?.stop()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
  await vhost?.cleanup()
  data?.remove()
})

/** Publishes an event as its producer would, and waits for the broker's confirm. */
const send = async (type: EventType, data: object) => {
  await publisher.publish(type, data as EventData<EventType>)
}

const tickets = (...seats: string[]) => seats.map((seatNumber) => ({ ticketId: newId(), seatNumber }))
const mailsTo = (address: string) => mails.filter((m) => m.to.includes(address))
const textOf = (m: Mail) => m.parsed.text ?? ""
const htmlOf = (m: Mail) => (typeof m.parsed.html === "string" ? m.parsed.html : "")

/** Registers a user with an address of their own; returns both. */
const customer = async (name: string) => {
  const userId = newId()
  const email = `${name.toLowerCase().replace(/\W+/g, ".")}.${userId.slice(-6)}@example.com`
  await send("UserRegistered", { userId, fullName: name, email, role: "customer" })
  return { userId, email }
}

const berlin = (startsAt: string) => {
  const screeningId = newId()
  return {
    screeningId,
    screening: {
      screeningId,
      startsAt,
      movieTitle: "Dune: Part Two",
      cinemaName: "Kino am Ufer & Söhne",
      hallName: "Saal 3",
      timeZone: "Europe/Berlin"
    }
  }
}

describe("each kind of e-mail, for a cinema in Europe/Berlin", () => {
  // Saturday 5 December 2026, 19:30 in Berlin (CET, UTC+1).
  const show = berlin("2026-12-05T18:30:00Z")
  const local = "Sat 5 Dec, 19:30 CET"

  test("held, booked, not held and not booked for each reason, cancelled and refunded name the screening, seats and amount", async () => {
    const { userId, email } = await customer("Ada Berlin")
    const expected: Array<{ subject: string; seats: string; money?: string; also?: string[] }> = []

    // Held, then booked: the confirmation states the amount the hold asked for.
    const held = { bookingId: newId(), ...show, userId }
    await send("TicketReserved", { ...held, tickets: tickets("A1", "A2"), amount: 2500, currency: "EUR", expiresAt: "2026-12-05T18:12:00Z" })
    expected.push({ subject: "Held: Dune: Part Two, Sat 5 Dec 19:30 — pay by 19:12", seats: "Seats A1, A2", money: "Pay EUR 25.00", also: ["until Sat 5 Dec, 19:12 CET"] })
    await send("TicketBooked", { ...held, tickets: tickets("A1", "A2") })
    expected.push({ subject: "Booked: Dune: Part Two, Sat 5 Dec 19:30 — seats A1, A2", seats: "seats A1, A2", money: "We charged EUR 25.00" })

    // Not held, one mail per reason.
    const notHeld: Array<[string, string]> = [
      ["seat_unavailable", "some of the seats were taken by someone else"],
      ["unknown_seat", "some of the seats do not exist in this hall"],
      ["screening_started", "the screening has already started"],
      ["seat_limit", "you would go over the limit of 10 seats per person for this screening"],
      ["screening_cancelled", "the screening was cancelled"],
      ["user_unregistered", "your account was closed"]
    ]
    for (const [i, [reason, sentence]] of notHeld.entries()) {
      const seat = `B${i + 1}`
      await send("TicketReservingFailed", {
        bookingId: newId(),
        ...show,
        userId,
        seatNumbers: [seat],
        reason,
        unavailableSeats: reason === "seat_unavailable" ? [seat] : []
      })
      expected.push({ subject: `Not booked: ${sentence}`, seats: `seat ${seat}`, also: ["Nothing was charged"] })
    }

    // Not booked: the payment failed after the hold.
    const notBooked: Array<[string, string]> = [
      ["payment_declined", "your card was declined"],
      ["payment_insufficient_funds", "your card had insufficient funds"],
      ["payment_expired", "the hold ran out before payment was received"]
    ]
    for (const [i, [reason, sentence]] of notBooked.entries()) {
      const seat = `C${i + 1}`
      await send("TicketBookingFailed", { bookingId: newId(), ...show, userId, tickets: tickets(seat), reason })
      expected.push({ subject: `Not booked: ${sentence}`, seats: `seat ${seat}`, also: ["nothing was charged"] })
    }

    // Cancelled after payment, then refunded (PaymentRefunded carries no screening: the earlier notices do).
    const paid = { bookingId: newId(), ...show, userId }
    await send("TicketReserved", { ...paid, tickets: tickets("D4"), amount: 1250, currency: "EUR", expiresAt: "2026-12-05T18:12:00Z" })
    await send("TicketBooked", { ...paid, tickets: tickets("D4") })
    await send("TicketCancelled", { ...paid, tickets: tickets("D4"), reason: "screening_cancelled" })
    expected.push({ subject: "Cancelled: Dune: Part Two, Sat 5 Dec 19:30 — seat D4", seats: "seat D4", money: "EUR 12.50", also: ["because the screening was cancelled"] })
    await send("PaymentRefunded", { paymentId: newId(), bookingId: paid.bookingId, userId, amount: 1250, currency: "EUR" })
    expected.push({ subject: "Refunded: EUR 12.50 — Dune: Part Two, Sat 5 Dec 19:30", seats: "seat D4", money: "We refunded EUR 12.50" })

    // The held and booked mails of `paid` share their subjects' shape with the first booking's: 2 more mails.
    await pollUntil(() => mailsTo(email).length === expected.length + 2, {
      message: `${expected.length + 2} e-mails to ${email}`,
      timeoutMs: 30_000
    })
    const received = mailsTo(email)
    for (const want of expected) {
      const mail = received.find((m) => m.parsed.subject === want.subject && textOf(m).includes(want.seats))
      expect(mail, want.subject).toBeDefined()
      const text = textOf(mail!)
      const html = htmlOf(mail!)
      for (const fact of ["Dune: Part Two", "Kino am Ufer & Söhne", "Saal 3", local, want.seats, ...(want.also ?? [])]) {
        expect(text, `${want.subject}: ${fact}`).toContain(fact)
      }
      if (want.money) expect(text).toContain(want.money)
      expect(text).toContain("Hello Ada Berlin,")
      expect(text).not.toContain(show.screeningId)
      // The HTML part says the same, escaped.
      expect(html).toContain("Dune: Part Two")
      expect(html).toContain("Kino am Ufer &amp; Söhne")
      expect(html).toContain("Saal 3")
      expect(html).toContain(local)
      expect(html).not.toContain("Kino am Ufer & Söhne")
    }
    // One subject per kind and reason.
    expect(new Set(expected.map((e) => e.subject)).size).toBe(expected.length)
    // The list and the stream carry the same sentences.
    const messages = (svc.store.db.prepare("SELECT message FROM notifications WHERE user_id = ?").all(userId) as Array<{ message: string }>).map(
      (r) => r.message
    )
    for (const m of received) expect(messages.some((message) => textOf(m).includes(message))).toBe(true)
  })
})

describe("local times", () => {
  const bookedAt = async (screening: { screeningId: string; screening: object }, seat: string) => {
    const { userId, email } = await customer("Tim Zone")
    await send("TicketBooked", { bookingId: newId(), ...screening, userId, tickets: tickets(seat) })
    await pollUntil(() => mailsTo(email).length === 1, { message: `the booked e-mail to ${email}`, timeoutMs: 15_000 })
    return mailsTo(email)[0]!
  }

  test("on the last Sunday of October in Berlin the same wall-clock hour is told as CEST before the change and CET after", async () => {
    // 25 October 2026: clocks go back from 03:00 CEST to 02:00 CET at 01:00 UTC.
    const before = await bookedAt(berlin("2026-10-25T00:30:00Z"), "E1")
    const after = await bookedAt(berlin("2026-10-25T01:30:00Z"), "E2")
    const evening = await bookedAt(berlin("2026-10-25T18:00:00Z"), "E3")
    const dayBefore = await bookedAt(berlin("2026-10-24T18:00:00Z"), "E4")
    expect(textOf(before)).toContain("Sun 25 Oct, 02:30 CEST")
    expect(textOf(after)).toContain("Sun 25 Oct, 02:30 CET")
    expect(textOf(evening)).toContain("Sun 25 Oct, 19:00 CET")
    expect(textOf(dayBefore)).toContain("Sat 24 Oct, 20:00 CEST")
    expect(evening.parsed.subject).toBe("Booked: Dune: Part Two, Sun 25 Oct 19:00 — seat E3")
  })

  test("a cinema in a zone with a 30-minute offset (Asia/Kolkata) is told with its offset", async () => {
    const screeningId = newId()
    const mail = await bookedAt(
      {
        screeningId,
        screening: {
          screeningId,
          startsAt: "2026-10-25T13:45:00Z",
          movieTitle: "RRR",
          cinemaName: "PVR Juhu",
          hallName: "Audi 2",
          timeZone: "Asia/Kolkata"
        }
      },
      "K7"
    )
    expect(textOf(mail)).toContain("RRR (PVR Juhu, Audi 2, Sun 25 Oct, 19:15 GMT+5:30)")
    expect(mail.parsed.subject).toBe("Booked: RRR, Sun 25 Oct 19:15 — seat K7")
  })
})

describe("a permanent SMTP rejection", () => {
  test("a 550 for one recipient is tried exactly once and fails that delivery, while other mails keep flowing", async () => {
    const bounced = await customer("Bo Bounce")
    const fine = await customer("Fay Fine")
    refused.add(bounced.email)
    const show = berlin("2026-12-05T18:30:00Z")
    await send("TicketBooked", { bookingId: newId(), ...show, userId: bounced.userId, tickets: tickets("F1") })
    await send("TicketBooked", { bookingId: newId(), ...show, userId: fine.userId, tickets: tickets("F2") })

    const deliveryOf = (userId: string) =>
      svc.store.db
        .prepare(
          `SELECT d.status, d.attempts, d.last_error FROM deliveries d JOIN notifications n ON n.notification_id = d.notification_id
           WHERE n.user_id = ?`
        )
        .get(userId) as { status: string; attempts: number; last_error: string | null } | undefined
    await pollUntil(() => deliveryOf(bounced.userId)?.status === "failed", { message: "the refused delivery to fail", timeoutMs: 15_000 })
    await pollUntil(() => mailsTo(fine.email).length === 1, { message: "the other user's e-mail", timeoutMs: 15_000 })

    // Mail keeps flowing after the refusal: several more, each delivered, long past a retry's backoff.
    for (const seat of ["F3", "F4", "F5"]) {
      await send("TicketBooked", { bookingId: newId(), ...show, userId: fine.userId, tickets: tickets(seat) })
    }
    await pollUntil(() => mailsTo(fine.email).length === 4, { message: "the later e-mails", timeoutMs: 15_000 })

    expect(rcptAttempts.get(bounced.email)).toBe(1)
    expect(mailsTo(bounced.email)).toHaveLength(0)
    const delivery = deliveryOf(bounced.userId)!
    expect(delivery).toMatchObject({ status: "failed", attempts: 1 })
    expect(delivery.last_error).toContain("refused permanently")
    expect(delivery.last_error).toContain("550")
    // Counted where an operator looks.
    const ready = (await (await fetch(`${svc.url}/ready`)).json()) as { checks: { deliveries?: { failed: number } } }
    expect(ready.checks.deliveries?.failed).toBe(1)
  })
})

describe("tickets at the door and cancellation on request (DESIGN §10)", () => {
  /** A code shaped like booking's: a compact JWS of realistic length (header.payload.signature, base64url). */
  const fakeCode = (seat: string) => {
    const b64 = (s: string) => Buffer.from(s).toString("base64url")
    const payload = { ticketId: newId(), bookingId: newId(), screeningId: newId(), seatNumber: seat, startsAt: "2026-12-05T18:30:00Z" }
    return `${b64(JSON.stringify({ alg: "EdDSA", kid: newId() }))}.${b64(JSON.stringify(payload))}.${b64(crypto.getRandomValues(new Uint8Array(64)).join(""))}`
  }

  test("the booked e-mail shows one inline QR image per ticket, each referenced from the HTML, and each code in the text", async () => {
    const { userId, email } = await customer("Quinn Door")
    const show = berlin("2026-12-05T18:30:00Z")
    const booking = { bookingId: newId(), ...show, userId }
    const booked = ["G1", "G2", "G3"].map((seatNumber) => ({ ticketId: newId(), seatNumber, code: fakeCode(seatNumber) }))
    await send("TicketReserved", { ...booking, tickets: booked.map(({ ticketId, seatNumber }) => ({ ticketId, seatNumber })), amount: 3000, currency: "EUR", expiresAt: "2026-12-05T18:12:00Z" })
    await send("TicketBooked", { ...booking, tickets: booked })
    await pollUntil(() => mailsTo(email).some((m) => m.parsed.subject?.startsWith("Booked: ")), { message: "the booked e-mail", timeoutMs: 15_000 })
    const mail = mailsTo(email).find((m) => m.parsed.subject?.startsWith("Booked: "))!
    const text = textOf(mail)
    const html = htmlOf(mail)
    expect(mail.parsed.subject).toBe("Booked: Dune: Part Two, Sat 5 Dec 19:30 — seats G1, G2, G3")
    const images = mail.parsed.attachments.filter((a) => a.contentType === "image/png")
    expect(images).toHaveLength(3)
    for (const t of booked) {
      expect(text).toContain(`Seat ${t.seatNumber} — show this code at the door: ${t.code}`)
      const image = images.find((a) => a.filename === `ticket-${t.seatNumber}.png`)
      expect(image, `the image of ${t.seatNumber}`).toBeDefined()
      expect(image!.contentDisposition).toBe("inline")
      expect(image!.cid).toBeTruthy()
      expect(html).toContain(`<img src="cid:${image!.cid}" alt="Ticket ${t.seatNumber} QR code"`)
      // A PNG, and not an empty one.
      expect([...image!.content.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
      expect(image!.content.length).toBeGreaterThan(500)
    }
    expect(new Set(images.map((a) => a.cid)).size).toBe(3)
    // The list and the stream say the tickets are ready, without a code blob.
    const message = (svc.store.db.prepare("SELECT message FROM notifications WHERE booking_id = ? AND kind = 'booked'").get(booking.bookingId) as { message: string }).message
    expect(message).toContain("Your tickets (3) are ready")
    for (const t of booked) expect(message).not.toContain(t.code)
    expect(text).toContain(message)
  })

  test("a booked e-mail of an event without codes says the tickets are in the booking and carries no image", async () => {
    const { userId, email } = await customer("Olga Older")
    await send("TicketBooked", { bookingId: newId(), ...berlin("2026-12-05T18:30:00Z"), userId, tickets: tickets("H9") })
    await pollUntil(() => mailsTo(email).length === 1, { message: "the booked e-mail", timeoutMs: 15_000 })
    const mail = mailsTo(email)[0]!
    expect(textOf(mail)).toContain("Your tickets are in your booking")
    expect(mail.parsed.attachments).toHaveLength(0)
  })

  test("a booking the customer cancelled is told as such, and the refund notice names the money and the screening", async () => {
    const { userId, email } = await customer("Cal Cancel")
    const booking = { bookingId: newId(), ...berlin("2026-12-05T18:30:00Z"), userId }
    const seats = tickets("J1", "J2")
    await send("TicketReserved", { ...booking, tickets: seats, amount: 2500, currency: "EUR", expiresAt: "2026-12-05T18:12:00Z" })
    await send("TicketBooked", { ...booking, tickets: seats.map((t) => ({ ...t, code: fakeCode(t.seatNumber) })) })
    await send("TicketCancelled", { ...booking, tickets: seats, reason: "customer_cancelled" })
    await send("PaymentRefunded", { paymentId: newId(), bookingId: booking.bookingId, userId, amount: 2500, currency: "EUR" })
    await pollUntil(() => mailsTo(email).length === 4, { message: "held, booked, cancelled and refunded e-mails", timeoutMs: 20_000 })
    const cancelled = mailsTo(email).find((m) => m.parsed.subject?.startsWith("Cancelled: "))!
    expect(cancelled.parsed.subject).toBe("Cancelled: Dune: Part Two, Sat 5 Dec 19:30 — as you asked")
    expect(textOf(cancelled)).toContain(
      "You cancelled your booking of seats J1, J2 for Dune: Part Two (Kino am Ufer & Söhne, Saal 3, Sat 5 Dec, 19:30 CET). The EUR 25.00 you paid will be refunded to your card"
    )
    expect(cancelled.parsed.attachments).toHaveLength(0)
    const refunded = mailsTo(email).find((m) => m.parsed.subject?.startsWith("Refunded: "))!
    expect(refunded.parsed.subject).toBe("Refunded: EUR 25.00 — Dune: Part Two, Sat 5 Dec 19:30")
    expect(textOf(refunded)).toContain("We refunded EUR 25.00 to your card for seats J1, J2 at Dune: Part Two (Kino am Ufer & Söhne, Saal 3, Sat 5 Dec, 19:30 CET)")
  })
})
