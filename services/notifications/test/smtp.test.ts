// E-mail through SMTP_URL: a small fake SMTP server that refuses the first message, to show the retry.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { exchangeOf, makeEnvelope, newId } from "@bat/contracts"
import { bootService, type RunningService } from "@bat/http"
import { createTestVhost, pollUntil, type TestVhost } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, rmSync } from "node:fs"
import net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { notificationsService } from "../src/service.ts"

interface Received {
  from: string
  to: string[]
  data: string
}

/** Speaks just enough SMTP for nodemailer; answers the first DATA with a temporary failure. */
const startFakeSmtp = async () => {
  const received: Received[] = []
  let refused = 0
  const server = net.createServer((socket) => {
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
        else if (verb === "RCPT") (current.to.push(line), reply("250 ok"))
        else if (verb === "DATA") ((inData = true), reply("354 go ahead"))
        else if (verb === "QUIT") (reply("221 bye"), socket.end())
        else if (verb === "RSET" || verb === "NOOP") reply("250 ok")
        else reply("502 not implemented")
      }
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    received,
    get refused() {
      return refused
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

let vhost: TestVhost
let dataDir: string
let svc: RunningService
let smtp: Awaited<ReturnType<typeof startFakeSmtp>>

beforeAll(async () => {
  vhost = await createTestVhost()
  dataDir = mkdtempSync(join(tmpdir(), "bat-notifications-smtp-"))
  smtp = await startFakeSmtp()
  svc = await bootService(
    notificationsService({
      PORT: "0",
      DATA_DIR: dataDir,
      AMQP_URL: vhost.amqpUrl,
      JWKS_URL: "http://127.0.0.1:9/unused",
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      DELIVERY_POLL_MS: "100"
    })
  )
})

afterAll(async () => {
  await svc?.stop()
  await smtp?.close()
  await vhost?.cleanup()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

test("with SMTP_URL set, e-mail goes over SMTP, and a refused message is retried until it is accepted", async () => {
  const connection = await amqp.connect(vhost.amqpUrl)
  try {
    const channel = await connection.createConfirmChannel()
    const send = (type: string, producer: string, data: object) => {
      const env = makeEnvelope(type, data, { source: producer, correlationId: newId() })
      channel.publish(exchangeOf(producer), type, Buffer.from(JSON.stringify(env)), {
        persistent: true,
        contentType: "application/json",
        messageId: env.id,
        type
      })
    }
    const userId = newId()
    send("UserRegistered", "users", { userId, fullName: "Eve Smtp", email: "eve@example.com", role: "customer" })
    send("TicketBooked", "booking", {
      bookingId: newId(),
      userId,
      screeningId: newId(),
      tickets: [{ ticketId: newId(), seatNumber: "P7" }]
    })
    await channel.waitForConfirms()
    await pollUntil(() => smtp.received.length === 1, { message: "the e-mail accepted by SMTP", timeoutMs: 15_000 })
    expect(smtp.refused).toBe(1)
    const [mail] = smtp.received
    expect(mail!.to).toEqual(["RCPT TO:<eve@example.com>"])
    expect(mail!.data).toContain("Subject: Booking confirmed: seat P7")
    const row = svc.store.db.prepare("SELECT status, attempts FROM deliveries").get() as { status: string; attempts: number }
    expect(row).toEqual({ status: "sent", attempts: 1 })
  } finally {
    await connection.close()
  }
})
