// The seed's ten steps end to end, through the front door of a fleet started with `bun run start`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createTestVhost, managementRequest, pollUntil, type TestVhost } from "@bat/testing"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api, openStream, registerCustomer, setupCatalog, startSystem } from "./client.ts"

const HOLD_TTL_MS = 3_000
const ADMIN = { email: "admin@e2e.test", password: "admin-e2e-password" }

let vh: TestVhost
let dataDir: string
let system: Awaited<ReturnType<typeof startSystem>>
let api: Api
let staff: Api
let screeningId: string

const seatStatus = async (seat: string) => {
  const map = await api.get(`/screenings/${screeningId}/seats`)
  for (const row of map.body.rows) for (const s of row.seats) if (s.seatNumber === seat) return s.status as string
  throw new Error(`no seat ${seat}`)
}

const newCustomer = (name: string) => registerCustomer(api, name)

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-e2e" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-e2e-"))
  system = await startSystem({
    AMQP_URL: vh.amqpUrl,
    DATA_DIR: dataDir,
    HOLD_TTL_MS: String(HOLD_TTL_MS),
    CLOCK_SKEW_GRACE_MS: "0", // one clock in this test: holds expire exactly at expiresAt
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password
  })
  api = new Api(system.gateway)
  const login = await api.post("/users/login", ADMIN)
  expect(login.status).toBe(200)
  staff = api.as(login.body.token)

  ;({ screeningId } = await setupCatalog(staff, ["A"], 8, 1250))
}, 90_000)

afterAll(async () => {
  await system?.stop()
  await vh?.cleanup()
  rmSync(dataDir, { recursive: true, force: true })
}, 30_000)

describe("the booking saga through the front door", () => {
  test("every service is connected to the broker as its own user (DESIGN §17)", async () => {
    const users = await pollUntil(async () => {
      const res = await managementRequest(`/api/vhosts/${encodeURIComponent(vh.vhost)}/connections?columns=user`)
      const list = ((await res.json()) as Array<{ user: string }>).map((c) => c.user)
      return new Set(list).size >= 7 ? [...new Set(list)].sort() : undefined
    })
    expect(users).toEqual(
      ["booking", "cinemas", "movies", "notifications", "payments", "screenings", "users"].map((s) => `bookaticket-${s}`)
    )
  })

  test("on a fresh broker the staff account's UserRegistered, emitted before notifications first started, still reaches it", async () => {
    // users starts (and registers the staff account) before notifications has ever started: only the
    // layout declared ahead (ensure-broker.sh / the fleet, as the operator) keeps that event, since a
    // service may declare only its own queues (DESIGN §17). Staff may book, and is then e-mailed.
    const book = await staff.post("/tickets/book", { screeningId, seatNumbers: ["A8"] })
    expect(book.status).toBe(202)
    const mailDir = join(dataDir, "mail")
    const mailTo = (to: string) => {
      if (!existsSync(mailDir)) return false
      const files = readdirSync(mailDir, { recursive: true }).map(String).filter((f) => f.endsWith(".eml"))
      return files.some((f) => readFileSync(join(mailDir, f), "utf8").includes(to))
    }
    await pollUntil(() => mailTo(ADMIN.email), { timeoutMs: 15_000, message: "an e-mail to the staff account" })
  })

  test("a customer lists screenings, books two seats, pays, and is told the booking is confirmed", async () => {
    const me = await newCustomer("paying")
    const list = await me.get("/screenings")
    expect(list.status).toBe(200)
    expect(list.body.items.some((s: any) => s.screeningId === screeningId)).toBe(true)
    expect(await seatStatus("A1")).toBe("available")

    const stream = await openStream(me)
    try {
      const book = await me.post("/tickets/book", { screeningId, seatNumbers: ["A1", "A2"] })
      expect(book.status).toBe(202)
      expect(book.body.status).toBe("pending")
      const bookingId = book.body.bookingId
      const reserved = await stream.waitFor(bookingId, "reserved")
      expect(reserved.data.seatNumbers).toEqual(["A1", "A2"])

      const booking = await me.get(`/tickets/bookings/${bookingId}`)
      expect(booking.body.status).toBe("reserved")
      expect(booking.body.amount).toBe(2500)

      const pay = await me.post("/payments", { bookingId, card: { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } })
      expect(pay.status).toBe(200)
      expect(pay.body.status).toBe("succeeded")
      expect(pay.body.amount).toBe(2500)

      await stream.waitFor(bookingId, "booked")
      expect((await me.get(`/tickets/bookings/${bookingId}`)).body.status).toBe("booked")
      await pollUntil(async () => (await seatStatus("A1")) === "booked", { message: "A1 painted booked" })
    } finally {
      await stream.close()
    }
  })

  test("a declined card fails the booking, tells the customer why, and frees the seat", async () => {
    const me = await newCustomer("declined")
    const stream = await openStream(me)
    try {
      const book = await me.post("/tickets/book", { screeningId, seatNumbers: ["A3"] })
      expect(book.status).toBe(202)
      const bookingId = book.body.bookingId
      await stream.waitFor(bookingId, "reserved")
      const pay = await me.post("/payments", { bookingId, card: { number: "4000000000000002", expMonth: 12, expYear: 2030, cvc: "123" } })
      expect(pay.status).toBe(200)
      expect(pay.body.status).toBe("failed")
      expect(pay.body.reason).toBe("declined")
      const failed = await stream.waitFor(bookingId, "booking_failed")
      expect(failed.data.message).toBeString()
      const booking = await me.get(`/tickets/bookings/${bookingId}`)
      expect(booking.body.status).toBe("failed")
      expect(booking.body.reason).toBe("payment_declined")
      await pollUntil(async () => (await seatStatus("A3")) === "available", { message: "A3 free again" })
    } finally {
      await stream.close()
    }
    // The freed seat can be held again.
    const other = await newCustomer("next")
    const stream2 = await openStream(other)
    try {
      const again = await other.post("/tickets/book", { screeningId, seatNumbers: ["A3"] })
      await stream2.waitFor(again.body.bookingId, "reserved")
    } finally {
      await stream2.close()
    }
  })

  test("an unpaid hold expires within the hold time plus 5 s, a late payment is refused, and the seat is free", async () => {
    const me = await newCustomer("late")
    const stream = await openStream(me)
    try {
      const book = await me.post("/tickets/book", { screeningId, seatNumbers: ["A5"] })
      const bookingId = book.body.bookingId
      const reserved = await stream.waitFor(bookingId, "reserved")
      const heldAt = Date.now()
      expect(await seatStatus("A5")).toBe("reserved")
      const failed = await stream.waitFor(bookingId, "booking_failed", HOLD_TTL_MS + 5_000 + 2_000)
      expect(Date.now() - heldAt).toBeLessThan(HOLD_TTL_MS + 5_000)
      expect(failed.data.kind).toBe("booking_failed")
      void reserved
      const booking = await me.get(`/tickets/bookings/${bookingId}`)
      expect(booking.body.status).toBe("failed")
      expect(booking.body.reason).toBe("payment_expired")
      const late = await me.post("/payments", { bookingId, card: { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } })
      expect(late.status).toBe(409)
      expect(late.contentType).toContain("application/problem+json")
      expect(late.body.code).toBe("reservation_expired")
      await pollUntil(async () => (await seatStatus("A5")) === "available", { message: "A5 free again" })
    } finally {
      await stream.close()
    }
  })

  test("every service and the front door answer problem+json for unknown routes", async () => {
    const r = await api.get("/nowhere")
    expect(r.status).toBe(404)
    expect(r.contentType).toContain("application/problem+json")
    const r2 = await api.get("/tickets/nowhere")
    expect(r2.status).toBe(404)
    expect(r2.body.code).toBe("not_found")
  })
})
