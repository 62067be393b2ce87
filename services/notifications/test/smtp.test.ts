// E-mail through SMTP_URL: a small fake SMTP server that refuses the first message, to show the retry, can
// go down and come back on the same port, and can refuse a recipient for good.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { newId, type EventData, type EventType } from "@bat/contracts"
import { bootService, type RunningService } from "@bat/http"
import { createTestVhost, pollUntil, startEventPublisher, tempDir, type EventPublisher, type TestVhost, serviceAmqpUrl } from "@bat/testing"
import { simpleParser, type ParsedMail } from "mailparser"
import net from "node:net"
import { notificationsService } from "../src/service.ts"

interface Received {
  from: string
  to: string[]
  data: string
}

/**
 * Speaks just enough SMTP for nodemailer; answers the first DATA with a temporary failure and RCPT
 * for an address in `rejected` with a permanent one. `down()` closes the port (connections refused)
 * and drops open sessions; `up()` listens on the same port again.
 */
const startFakeSmtp = async () => {
  const received: Received[] = []
  const rejected = new Set<string>()
  const sockets = new Set<net.Socket>()
  let refused = 0
  const handle = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    let buffer = ""
    let inData = false
    let current: Received = { from: "", to: [], data: "" }
    const reply = (line: string) => socket.write(`${line}\r\n`)
    reply("220 fake ESMTP")
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8")
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n")
          if (end < 0) return
          current.data = buffer.slice(0, end)
          buffer = buffer.slice(end + 5)
          inData = false
          if (refused === 0) {
            refused++
            reply("451 4.3.0 try again later")
          } else {
            received.push(current)
            reply("250 2.0.0 queued")
          }
          current = { from: "", to: [], data: "" }
          continue
        }
        const nl = buffer.indexOf("\r\n")
        if (nl < 0) return
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 2)
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === "EHLO" || verb === "HELO") reply("250 fake")
        else if (verb === "MAIL") ((current.from = line), reply("250 ok"))
        else if (verb === "RCPT") {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? ""
          if (rejected.has(address)) reply("550 5.1.1 no such mailbox")
          else (current.to.push(line), reply("250 ok"))
        }
        else if (verb === "DATA") ((inData = true), reply("354 go ahead"))
        else if (verb === "QUIT") (reply("221 bye"), socket.end())
        else if (verb === "RSET" || verb === "NOOP") reply("250 ok")
        else reply("502 not implemented")
      }
    })
    socket.on("error", () => {})
  }
  let server: net.Server | undefined = net.createServer(handle)
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  const down = async () => {
    const closing = server
    server = undefined
    if (!closing) return
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => closing.close(() => resolve()))
  }
  return {
    port,
    received,
    rejected,
    get refused() {
      return refused
    },
    down,
    up: async () => {
      if (server) return
      const next = net.createServer(handle)
      await new Promise<void>((resolve, reject) => {
        next.once("error", reject)
        next.listen(port, "127.0.0.1", () => resolve())
      })
      server = next
    },
    close: down
  }
}

let vhost: TestVhost
let data: ReturnType<typeof tempDir> | undefined
let svc: RunningService
let smtp: Awaited<ReturnType<typeof startFakeSmtp>>
let publisher: EventPublisher

beforeAll(async () => {
  vhost = await createTestVhost({ layout: true })
  data = tempDir("bat-notifications-smtp")
  smtp = await startFakeSmtp()
  svc = await bootService(
    notificationsService({
      PORT: "0",
      DATA_DIR: data.dir,
      AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "notifications"),
      JWKS_URL: "http://127.0.0.1:9/unused",
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      DELIVERY_POLL_MS: "100",
      // The production backoff (1 min doubling to 1 h), shrunk so the retries happen within the test.
      DELIVERY_RETRY_MIN_MS: "100",
      DELIVERY_RETRY_MAX_MS: "400"
    })
  )
  // A service answers HTTP before its broker link is up (DESIGN §3.1); publish once its topology is declared.
  await svc.messaging.broker.waitForConnect()
  publisher = await startEventPublisher(vhost.amqpUrl)
})

afterAll(async () => {
  await publisher?.close()
  await svc?.stop()
  await smtp?.close()
  await vhost?.cleanup()
  data?.remove()
})

/** Publishes an event as its producer would, and waits for the broker's confirm. */
const send = async (type: EventType, data: object) => {
  await publisher.publish(type, data as EventData<EventType>)
}

interface ContactRow {
  full_name: string | null
  email: string | null
  bookings_closed_at: number | null
  erased_at: number | null
}
const contactOf = (userId: string) =>
  svc.store.db.prepare("SELECT full_name, email, bookings_closed_at, erased_at FROM contacts WHERE user_id = ?").get(userId) as
    | ContactRow
    | undefined

interface DeliveryRow {
  booking_id: string
  kind: string
  status: string
  attempts: number
  settled_at: number | null
  last_error: string | null
}
const deliveriesOf = (userId: string) =>
  svc.store.db
    .prepare(
      `SELECT n.booking_id, n.kind, d.status, d.attempts, d.settled_at, d.last_error
       FROM deliveries d JOIN notifications n ON n.notification_id = d.notification_id
       WHERE n.user_id = ? ORDER BY n.sequence`
    )
    .all(userId) as DeliveryRow[]

const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(`RCPT TO:<${address}>`))
const seat = (seatNumber: string) => [{ ticketId: newId(), seatNumber }]

test("with SMTP_URL set, e-mail goes over SMTP, and a refused message is retried until it is accepted", async () => {
  const userId = newId()
  await send("UserRegistered", { userId, fullName: "Eve Smtp", email: "eve@example.com", role: "customer" })
  await send("TicketBooked", { bookingId: newId(), userId, screeningId: newId(), tickets: seat("P7") })
  await pollUntil(() => smtp.received.length === 1, { message: "the e-mail accepted by SMTP", timeoutMs: 15_000 })
  expect(smtp.refused).toBe(1)
  const [mail] = smtp.received
  expect(mail!.to).toEqual(["RCPT TO:<eve@example.com>"])
  expect((await simpleParser(mail!.data)).subject).toBe("Booked: your screening — seat P7")
  expect(deliveriesOf(userId).map((d) => ({ status: d.status, attempts: d.attempts }))).toEqual([{ status: "sent", attempts: 1 }])
})

test("a user who unregisters while SMTP is down gets the cancellation e-mails once it returns; only then is the contact erased", async () => {
  const userId = newId()
  const address = "zoe@example.com"
  const [a, b] = [{ bookingId: newId(), screeningId: newId() }, { bookingId: newId(), screeningId: newId() }]
  await send("UserRegistered", { userId, fullName: "Zoe Leaving", email: address, role: "customer" })
  for (const [booking, seatNumber] of [[a, "S1"], [b, "S2"]] as const) {
    await send("TicketReserved", {
      ...booking,
      userId,
      tickets: seat(seatNumber),
      amount: 1200,
      currency: "EUR",
      expiresAt: "2026-12-01T18:42:00Z"
    })
  }
  await pollUntil(() => mailsTo(address).length === 2, { message: "the two reservation e-mails", timeoutMs: 15_000 })

  await smtp.down()
  // Booking's cascade for UserUnregistered: a TicketCancelled per reserved booking, then the list.
  // One cancellation is overtaken by the list, as when it was retried on its way here.
  await send("UserUnregistered", { userId })
  await send("TicketCancelled", { ...a, userId, tickets: seat("S1"), reason: "user_unregistered" })
  await send("UserBookingsClosed", { userId, bookingIds: [a.bookingId, b.bookingId] })
  await send("TicketCancelled", { ...b, userId, tickets: seat("S2"), reason: "user_unregistered" })

  const cancellations = () => deliveriesOf(userId).filter((d) => d.kind === "cancelled")
  // Both cancellations have failed at least twice against the closed port, and the list has been handled.
  await pollUntil(() => cancellations().length === 2 && cancellations().every((d) => d.status === "pending" && d.attempts >= 2), {
    message: "both cancellation e-mails to fail while SMTP is down",
    timeoutMs: 15_000
  })
  expect(contactOf(userId)!.bookings_closed_at).not.toBeNull()
  expect(contactOf(userId)).toMatchObject({ full_name: "Zoe Leaving", email: address, erased_at: null })
  expect(mailsTo(address)).toHaveLength(2)

  await smtp.up()
  await pollUntil(() => contactOf(userId)?.erased_at != null, { message: "the contact to be erased", timeoutMs: 30_000 })
  const parsed = await Promise.all(mailsTo(address).map((m) => simpleParser(m.data)))
  const sent = parsed.filter((m) => m.subject?.startsWith("Cancelled: "))
  expect(sent).toHaveLength(2)
  expect(sent.every((m) => (m.text ?? "").includes("because your account was closed"))).toBe(true)
  const textOf = (m: ParsedMail) => m.text ?? ""
  expect(sent.map((m) => (textOf(m).includes(a.bookingId) ? "a" : textOf(m).includes(b.bookingId) ? "b" : "?")).sort()).toEqual(["a", "b"])
  // Erased after, and only after, every e-mail to the user went out.
  const settled = deliveriesOf(userId)
  expect(settled.every((d) => d.status === "sent")).toBe(true)
  expect(contactOf(userId)!.erased_at!).toBeGreaterThanOrEqual(Math.max(...settled.map((d) => d.settled_at!)))
  expect(contactOf(userId)).toMatchObject({ full_name: null, email: null })
})

test("an e-mail the server refuses for good is not retried and does not hold the erasure", async () => {
  const userId = newId()
  const address = "nobody-here@example.com"
  smtp.rejected.add(address)
  const booking = { bookingId: newId(), screeningId: newId() }
  await send("UserRegistered", { userId, fullName: "Ned Bounced", email: address, role: "customer" })
  await send("UserUnregistered", { userId })
  await send("TicketCancelled", { ...booking, userId, tickets: seat("T1"), reason: "user_unregistered" })
  await send("UserBookingsClosed", { userId, bookingIds: [booking.bookingId] })
  await pollUntil(() => contactOf(userId)?.erased_at != null, { message: "the contact to be erased", timeoutMs: 15_000 })
  const [delivery] = deliveriesOf(userId)
  expect(delivery).toMatchObject({ kind: "cancelled", status: "failed", attempts: 1 })
  expect(delivery!.last_error).toContain("refused permanently")
  expect(delivery!.last_error).toContain("550")
  expect(mailsTo(address)).toHaveLength(0)
})
