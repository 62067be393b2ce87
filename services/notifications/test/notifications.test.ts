// The notifications service against a real broker (own vhost) and real SQLite files, driven by events and HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, type EventData, type EventType } from "@bat/contracts"
import { bootService, type RunningService } from "@bat/http"
import {
  createTestVhost,
  expectBadCursorsRefused,
  expectInvalidCursor,
  expectMethodNotAllowed,
  expectProblem,
  pollUntil,
  startEventPublisher,
  startTokenMint,
  tempDir,
  type EventPublisher,
  type TestVhost,
  type TokenMint,
  serviceAmqpUrl
} from "@bat/testing"
import { assertNoServerErrors, OVERSIZED_MARKERS, type FuzzRequest } from "@bat/testing"
import fc from "fast-check"
import { simpleParser } from "mailparser"
import { existsSync, readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { emlPathOf } from "../src/mail/Mailer.ts"
import { notificationsService } from "../src/service.ts"

const ERASE_SWEEP_MS = 200
const HEARTBEAT_MS = 400

let vhost: TestVhost
let data: ReturnType<typeof tempDir> | undefined
let dataDir: string
let svc: RunningService
let mint: TokenMint | undefined
let publisher: EventPublisher

const tokenFor = (userId: string, role: "customer" | "staff" = "customer") => mint!.token(userId, role)

/** Publishes an event as its producer would; returns the envelope id. */
const publish = async (type: EventType, data: object, opts: { id?: string } = {}) =>
  (await publisher.publish(type, data as EventData<EventType>, opts)).id

interface Item {
  notificationId: string
  kind: string
  bookingId: string
  screeningId: string | null
  ticketIds: string[]
  seatNumbers: string[]
  message: string
  channel: string
  createdAt: string
  sequence: number
}

const get = async (path: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${svc.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })

const listOf = async (userId: string, query = "?limit=200"): Promise<Item[]> => {
  const res = await get(`/notifications${query}`, await tokenFor(userId))
  if (res.status === 401) {
    // After UserUnregistered the user's tokens are refused (DESIGN §17): what the list holds, newest first.
    expect(((await res.json()) as { code: string }).code).toBe("token_revoked")
    return storedItems(userId)
  }
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: Item[] }).items
}

/** The user's notifications as the list shows them, read from the database (for a user who unregistered). */
const storedItems = (userId: string): Item[] =>
  (
    svc.store.db
      .prepare(
        `SELECT notification_id AS notificationId, kind, booking_id AS bookingId, screening_id AS screeningId,
           ticket_ids AS ticketIds, seat_numbers AS seatNumbers, message, channel, created_at AS createdAt, sequence
         FROM notifications WHERE user_id = ? ORDER BY sequence DESC`
      )
      .all(userId) as Array<Item & { ticketIds: string; seatNumbers: string }>
  ).map((r) => ({ ...r, ticketIds: JSON.parse(r.ticketIds), seatNumbers: JSON.parse(r.seatNumbers) }))

/** Polls the user's list until `n` notifications are there. */
const awaitCount = async (userId: string, n: number) =>
  pollUntil(async () => {
    const items = await listOf(userId)
    return items.length >= n ? items : undefined
  }, { message: `${n} notification(s) for ${userId}` })

const register = (userId: string, fullName: string, email: string) =>
  publish("UserRegistered", { userId, fullName, email, role: "customer" })

const tickets = (...seats: string[]) => seats.map((seatNumber) => ({ ticketId: newId(), seatNumber }))

const ids = () => ({ bookingId: newId(), screeningId: newId() })

/** The notification's e-mail file: mail/YYYY/MM/DD (its creation day, UTC)/<id>.eml. */
const emlOf = (item: { notificationId: string; createdAt: string }) => emlPathOf(join(dataDir, "mail"), item.notificationId, new Date(item.createdAt))
const headersOf = (eml: string) => eml.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ")

/** An SSE client on fetch: collects events and comments as they arrive. */
const openStream = async (query: string, headers: Record<string, string>) => {
  const abort = new AbortController()
  const res = await fetch(`${svc.url}/notifications/stream${query}`, { headers, signal: abort.signal })
  const events: Array<{ id?: string; event?: string; data?: unknown }> = []
  const comments: string[] = []
  let buffer = ""
  const reading = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    const reader = res.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let cut: number
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          const ev: { id?: string; event?: string; data?: unknown } = {}
          let isEvent = false
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim())
            else if (line.startsWith("id: ")) ((ev.id = line.slice(4)), (isEvent = true))
            else if (line.startsWith("event: ")) ev.event = line.slice(7)
            else if (line.startsWith("data: ")) ((ev.data = JSON.parse(line.slice(6))), (isEvent = true))
          }
          if (isEvent) events.push(ev)
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    res,
    events,
    comments,
    close: async () => {
      abort.abort()
      await reading
    }
  }
}

beforeAll(async () => {
  vhost = await createTestVhost({ layout: true })
  data = tempDir("bat-notifications")
  dataDir = data.dir
  mint = await startTokenMint()
  svc = await bootService(
    notificationsService({
      PORT: "0",
      DATA_DIR: dataDir,
      AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "notifications"),
      JWKS_URL: mint.jwksUrl,
      CONTACT_ERASE_SWEEP_MS: String(ERASE_SWEEP_MS),
      SSE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      DELIVERY_POLL_MS: "200"
    })
  )
  // A service answers HTTP before its broker link is up (DESIGN §3.1); publish once its topology is declared.
  await svc.messaging.broker.waitForConnect()
  publisher = await startEventPublisher(vhost.amqpUrl)
})

afterAll(async () => {
  await publisher?.close()
  await svc?.stop()
  await mint?.stop()
  await vhost?.cleanup()
  data?.remove()
})

describe("authentication", () => {
  test("listing or streaming without a token is a 401 problem", async () => {
    for (const path of ["/notifications", "/notifications/stream"]) {
      const res = await get(path)
      await expectProblem(res, 401, "unauthorized")
    }
  })

  test("a token in the URL is refused with 400 token_in_query, even a good one beside a good header", async () => {
    const token = await tokenFor(newId())
    for (const [query, withHeader] of [
      [`?access_token=${token}`, false],
      [`?access_token=${token}`, true],
      [`?lastEventId=1&access_token=not-a-jwt`, true],
      ["?access_token=", false],
    ] as const) {
      const res = await get(`/notifications/stream${query}`, withHeader ? token : undefined)
      await expectProblem(res, 400, "token_in_query")
    }
  })
})

describe("routes", () => {
  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    const headers = { authorization: `Bearer ${await tokenFor(newId())}` }
    await expectMethodNotAllowed(await fetch(`${svc.url}/notifications`, { method: "POST", headers }), "GET, HEAD")
    await expectMethodNotAllowed(await fetch(`${svc.url}/notifications/stream`, { method: "DELETE", headers }), "GET, HEAD")
    await expectMethodNotAllowed(await fetch(`${svc.url}/notifications/_ops/dlq`, { method: "POST", headers }), "GET, HEAD")
  })
})

describe("notifications of booking outcomes", () => {
  test("every outcome kind yields one notification with a readable message, newest first", async () => {
    const userId = newId()
    await register(userId, "Ann Example", "ann@example.com")
    const a = ids()
    const held = tickets("A1", "A2")
    await publish("TicketReserved", {
      ...a,
      userId,
      tickets: held,
      amount: 2500,
      currency: "EUR",
      expiresAt: "2026-12-01T18:42:00Z"
    })
    await publish("TicketBooked", { ...a, userId, tickets: held })
    const b = ids()
    await publish("TicketReservingFailed", {
      ...b,
      userId,
      seatNumbers: ["B1", "B2"],
      reason: "seat_unavailable",
      unavailableSeats: ["B2"]
    })
    const c = ids()
    await publish("TicketBookingFailed", { ...c, userId, tickets: tickets("C3"), reason: "payment_declined" })
    const d = ids()
    const cancelled = tickets("D4")
    await publish("TicketCancelled", { ...d, userId, tickets: cancelled, reason: "screening_cancelled" })
    await publish("PaymentRefunded", { paymentId: newId(), bookingId: d.bookingId, userId, amount: 1250, currency: "EUR" })

    const items = await awaitCount(userId, 6)
    expect(items.map((i) => i.kind)).toEqual(["refunded", "cancelled", "booking_failed", "reservation_failed", "booked", "reserved"])
    expect(items.map((i) => i.sequence)).toEqual([6, 5, 4, 3, 2, 1])
    const byKind = Object.fromEntries(items.map((i) => [i.kind, i]))
    expect(byKind.reserved!.message).toContain("Seats A1, A2 for your screening")
    expect(byKind.reserved!.message).toContain("held for you until Tue 1 Dec, 18:42 UTC")
    expect(byKind.reserved!.message).toContain("EUR 25.00")
    expect(byKind.reserved!.ticketIds).toEqual(held.map((t) => t.ticketId))
    expect(byKind.reserved!.seatNumbers).toEqual(["A1", "A2"])
    expect(byKind.booked!.message).toContain("Your booking is confirmed: seats A1, A2")
    // The amount charged is the one the reservation asked for.
    expect(byKind.booked!.message).toContain("We charged EUR 25.00")
    expect(byKind.reservation_failed!.message).toContain("some of the seats were taken by someone else")
    expect(byKind.reservation_failed!.message).toContain("Unavailable: B2")
    expect(byKind.reservation_failed!.ticketIds).toEqual([])
    expect(byKind.booking_failed!.message).toContain("because your card was declined")
    expect(byKind.cancelled!.message).toContain("because the screening was cancelled")
    expect(byKind.refunded!.message).toContain("We refunded EUR 12.50")
    // The refund is tied to the booking's screening and seats from its earlier notice.
    expect(byKind.refunded!.screeningId).toBe(d.screeningId)
    expect(byKind.refunded!.seatNumbers).toEqual(["D4"])
    for (const i of items) {
      expect(i.channel).toBe("email")
      expect(i.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(i.message).not.toContain("_")
    }
  })

  test("with the screening's facts on the events, the list and the stream name movie, cinema, hall, local start, seats and money", async () => {
    const userId = newId()
    const stream = await openStream("", { authorization: `Bearer ${await tokenFor(userId)}` })
    try {
      await pollUntil(() => stream.comments.includes("connected"), { message: "the opening comment" })
      const a = ids()
      const screening = {
        screeningId: a.screeningId,
        startsAt: "2026-12-05T18:30:00Z",
        movieTitle: "Dune",
        cinemaName: "Kino Mitte",
        hallName: "Saal 1",
        timeZone: "Europe/Berlin"
      }
      const held = tickets("R1", "R2")
      await publish("TicketReserved", { ...a, userId, screening, tickets: held, amount: 2500, currency: "EUR", expiresAt: "2026-12-05T18:12:00Z" })
      await publish("TicketBooked", { ...a, userId, screening, tickets: held })
      const items = await awaitCount(userId, 2)
      const byKind = Object.fromEntries(items.map((i) => [i.kind, i]))
      expect(byKind.reserved!.message).toBe(
        "Seats R1, R2 for Dune (Kino Mitte, Saal 1, Sat 5 Dec, 19:30 CET) are held for you until Sat 5 Dec, 19:12 CET. Pay EUR 25.00 before then to keep them."
      )
      expect(byKind.booked!.message).toBe(
        "Your booking is confirmed: seats R1, R2 for Dune (Kino Mitte, Saal 1, Sat 5 Dec, 19:30 CET). We charged EUR 25.00 to your card. Enjoy the film!"
      )
      for (const i of items) expect(i.message).not.toContain(a.screeningId)
      await pollUntil(() => stream.events.length === 2, { message: "both notices on the stream" })
      expect(stream.events.map((e) => (e.data as Item).message)).toEqual([byKind.reserved!.message, byKind.booked!.message])
    } finally {
      await stream.close()
    }
  })

  test("a PaymentFailed is never notified: only the booking's own outcome is", async () => {
    const userId = newId()
    const a = ids()
    await publish("PaymentFailed", { paymentId: newId(), bookingId: a.bookingId, userId, reason: "declined" })
    await publish("TicketBookingFailed", { ...a, userId, tickets: tickets("E1"), reason: "payment_declined" })
    const items = await awaitCount(userId, 1)
    expect(items.map((i) => i.kind)).toEqual(["booking_failed"])
    const parked = await get("/notifications/_ops/dlq", await tokenFor(newId(), "staff"))
    expect(((await parked.json()) as { count: number }).count).toBe(0)
  })

  test("a reservation notice arriving after the booking ended is dropped", async () => {
    const userId = newId()
    const a = ids()
    const held = tickets("F1")
    await publish("TicketBookingFailed", { ...a, userId, tickets: held, reason: "payment_expired" })
    await publish("TicketReserved", {
      ...a,
      userId,
      tickets: held,
      amount: 900,
      currency: "EUR",
      expiresAt: "2026-12-01T18:42:00Z"
    })
    // A later message on the same queue: once it is seen, the stale one has been handled.
    const marker = ids()
    await publish("TicketBooked", { ...marker, userId, tickets: tickets("F9") })
    const items = await awaitCount(userId, 2)
    expect(items.filter((i) => i.bookingId === a.bookingId).map((i) => i.kind)).toEqual(["booking_failed"])
    expect(items.find((i) => i.kind === "booking_failed")!.message).toContain("the hold ran out before payment was received")
  })

  test("the same outcome delivered twice, or sent twice with new ids, has one effect and one e-mail", async () => {
    const userId = newId()
    await register(userId, "Bob Twice", "bob@example.com")
    const a = ids()
    const data = { ...a, userId, tickets: tickets("G1") }
    const id = newId()
    await publish("TicketBooked", data, { id })
    await publish("TicketBooked", data, { id })
    await publish("TicketBooked", data)
    const marker = ids()
    await publish("TicketCancelled", { ...marker, userId, tickets: tickets("G9"), reason: "user_unregistered" })
    const items = await awaitCount(userId, 2)
    expect(items).toHaveLength(2)
    expect(items.map((i) => i.sequence)).toEqual([2, 1])
    const booked = items.find((i) => i.kind === "booked")!
    await pollUntil(() => existsSync(emlOf(booked)), { message: "the booked e-mail" })
    expect(readdirSync(join(dataDir, "mail"), { recursive: true }).map(String).filter((f) => f.includes(booked.notificationId))).toHaveLength(1)
  })

  test("the e-mail is written as an .eml file with the recipient and subject", async () => {
    const userId = newId()
    await register(userId, "Cora Mail", "cora@example.com")
    await publish("TicketBooked", { ...ids(), userId, tickets: tickets("H1", "H2") })
    const [item] = await awaitCount(userId, 1)
    const file = emlOf(item!)
    // One folder per day of creation (UTC), so the mail folder never holds every e-mail ever sent.
    const [year, month, day] = item!.createdAt.slice(0, 10).split("-")
    expect(file).toBe(join(dataDir, "mail", year!, month!, day!, `${item!.notificationId}.eml`))
    await pollUntil(() => existsSync(file), { message: ".eml file" })
    const eml = readFileSync(file, "utf8")
    const head = headersOf(eml)
    expect(head).toMatch(/^To: Cora Mail <cora@example\.com>$/m)
    expect(head).toMatch(/^From: Book a Ticket <no-reply@bookaticket\.local>$/m)
    expect(head).toContain(`Message-ID: <${item!.notificationId}@notifications.bookaticket>`)
    const mail = await simpleParser(eml)
    // An event without the screening's facts: the notice says "your screening", never its id.
    expect(mail.subject).toBe("Booked: your screening — seats H1, H2")
    expect(mail.text).toContain("Hello Cora Mail,")
    expect(mail.text).toContain("Your booking is confirmed: seats H1, H2 for your screening.")
    expect(mail.html || "").toContain("Your booking is confirmed: seats H1, H2 for your screening.")
  })

  test("a user with no known contact still gets the notification, on channel none, without e-mail", async () => {
    const userId = newId()
    const a = ids()
    await publish("TicketBooked", { ...a, userId, tickets: tickets("J1") })
    const [item] = await awaitCount(userId, 1)
    expect(item!.channel).toBe("none")
    const delivery = svc.store.db.prepare("SELECT 1 FROM deliveries WHERE notification_id = ?").get(item!.notificationId)
    expect(delivery).toBeUndefined()
    expect(existsSync(emlOf(item!))).toBe(false)
  })

  test("lists are paged newest first with limit and cursor; a foreign cursor or bad limit is 422", async () => {
    const userId = newId()
    for (const seat of ["K1", "K2", "K3"]) await publish("TicketBooked", { ...ids(), userId, tickets: tickets(seat) })
    await awaitCount(userId, 3)
    const token = await tokenFor(userId)
    const first = (await (await get("/notifications?limit=2", token)).json()) as { items: Item[]; nextCursor: string | null }
    expect(first.items.map((i) => i.sequence)).toEqual([3, 2])
    expect(first.nextCursor).toBeString()
    const second = (await (await get(`/notifications?limit=2&cursor=${first.nextCursor}`, token)).json()) as { items: Item[]; nextCursor: string | null }
    expect(second.items.map((i) => i.sequence)).toEqual([1])
    expect(second.nextCursor).toBeNull()
    await expectInvalidCursor(await get("/notifications?cursor=bm90LWEtbnVtYmVy", token))
    await expectBadCursorsRefused((cursor) => get(`/notifications?limit=1&cursor=${cursor}`, token))
    await expectProblem(await get("/notifications?limit=0", token), 422, "invalid_input")
    // Someone else's notifications are not listed.
    expect(await listOf(newId())).toEqual([])
  })

  test("the list, which names the caller's bookings, is never stored by a cache and carries the security headers", async () => {
    const res = await get("/notifications", await tokenFor(newId()))
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect({
      cache: res.headers.get("cache-control"),
      nosniff: res.headers.get("x-content-type-options"),
      referrer: res.headers.get("referrer-policy"),
      frame: res.headers.get("x-frame-options")
    }).toEqual({ cache: "no-store", nosniff: "nosniff", referrer: "no-referrer", frame: "DENY" })
  })
})

describe("the notification stream", () => {
  test("a client connected before the event receives it, with the sequence as the event id", async () => {
    const userId = newId()
    const stream = await openStream("", { authorization: `Bearer ${await tokenFor(userId)}` })
    try {
      expect(stream.res.status).toBe(200)
      expect(stream.res.headers.get("content-type")).toContain("text/event-stream")
      // The stream keeps its own no-cache; the security headers come with it.
      expect({
        cache: stream.res.headers.get("cache-control"),
        nosniff: stream.res.headers.get("x-content-type-options"),
        frame: stream.res.headers.get("x-frame-options")
      }).toEqual({ cache: "no-cache", nosniff: "nosniff", frame: "DENY" })
      await pollUntil(() => stream.comments.includes("connected"), { message: "the opening comment" })
      const a = ids()
      await publish("TicketReserved", {
        ...a,
        userId,
        tickets: tickets("L1"),
        amount: 1000,
        currency: "EUR",
        expiresAt: "2026-12-01T20:05:00Z"
      })
      await pollUntil(() => stream.events.length === 1, { message: "the live event" })
      const [ev] = stream.events
      expect(ev!.id).toBe("1")
      expect(ev!.event).toBe("notification")
      expect(ev!.data).toMatchObject({ kind: "reserved", bookingId: a.bookingId, sequence: 1, seatNumbers: ["L1"] })
      expect((ev!.data as Item).message).toContain("Seat L1 for your screening")
    } finally {
      await stream.close()
    }
  })

  test("resuming with Last-Event-ID replays exactly the missed ones, then live ones without gap or duplicate", async () => {
    const userId = newId()
    for (const seat of ["M1", "M2", "M3"]) await publish("TicketBooked", { ...ids(), userId, tickets: tickets(seat) })
    await awaitCount(userId, 3)
    const token = await tokenFor(userId)
    const stream = await openStream("", { authorization: `Bearer ${token}`, "last-event-id": "1" })
    try {
      await pollUntil(() => stream.events.length === 2, { message: "the two missed events" })
      expect(stream.events.map((e) => e.id)).toEqual(["2", "3"])
      expect(stream.events.map((e) => (e.data as Item).seatNumbers[0])).toEqual(["M2", "M3"])
      await publish("TicketBooked", { ...ids(), userId, tickets: tickets("M4") })
      await pollUntil(() => stream.events.length === 3, { message: "the live event after the replay" })
      await publish("TicketBooked", { ...ids(), userId, tickets: tickets("M5") })
      await pollUntil(() => stream.events.length === 4, { message: "a second live event" })
      expect(stream.events.map((e) => e.id)).toEqual(["2", "3", "4", "5"])
    } finally {
      await stream.close()
    }
    // Clients that cannot set Last-Event-ID: the position in the query string (the token stays in the header).
    const byQuery = await openStream(`?lastEventId=4`, { authorization: `Bearer ${token}` })
    try {
      await pollUntil(() => byQuery.events.length === 1, { message: "the one event after 4" })
      expect(byQuery.events.map((e) => e.id)).toEqual(["5"])
    } finally {
      await byQuery.close()
    }
    await expectProblem(await get("/notifications/stream", token, { "last-event-id": "abc" }), 422, "invalid_last_event_id")
  })

  test("an idle stream sends heartbeat comments, and closing it unsubscribes", async () => {
    const streamsOpen = async () => ((await (await fetch(`${svc.url}/ready`)).json()) as { checks: { streams: number } }).checks.streams
    const stream = await openStream("", { authorization: `Bearer ${await tokenFor(newId())}` })
    await pollUntil(() => stream.comments.includes("heartbeat"), { message: "a heartbeat", timeoutMs: HEARTBEAT_MS * 5 })
    expect(await streamsOpen()).toBeGreaterThanOrEqual(1)
    await stream.close()
    await pollUntil(async () => (await streamsOpen()) === 0, { message: "the stream's subscription to end" })
  })
})

describe("contact erasure", () => {
  interface ContactRow {
    full_name: string | null
    email: string | null
    unregistered_at: number | null
    bookings_closed_at: number | null
    erased_at: number | null
  }
  const contactOf = (userId: string) =>
    svc.store.db
      .prepare("SELECT full_name, email, unregistered_at, bookings_closed_at, erased_at FROM contacts WHERE user_id = ?")
      .get(userId) as ContactRow | undefined
  const deliveryOf = (notificationId: string) =>
    svc.store.db.prepare("SELECT status, settled_at FROM deliveries WHERE notification_id = ?").get(notificationId) as
      | { status: string; settled_at: number | null }
      | undefined
  /** Several sweeps and relay passes: long enough for a wrong erasure to have happened. */
  const severalSweeps = () => Bun.sleep(ERASE_SWEEP_MS * 4)

  test("after unregistering, the cancellations it causes are still e-mailed, then name and address are erased for good", async () => {
    const userId = newId()
    await register(userId, "Dana Gone", "dana@example.com")
    const a = ids()
    await publish("TicketReserved", {
      ...a,
      userId,
      tickets: tickets("N1"),
      amount: 800,
      currency: "EUR",
      expiresAt: "2026-12-01T18:42:00Z"
    })
    await publish("UserUnregistered", { userId })
    // Booking answers UserUnregistered by cancelling the user's reserved bookings, then lists them.
    await publish("TicketCancelled", { ...a, userId, tickets: tickets("N1"), reason: "user_unregistered" })
    await publish("UserBookingsClosed", { userId, bookingIds: [a.bookingId] })
    const items = await awaitCount(userId, 2)
    const cancelled = items.find((i) => i.kind === "cancelled")!
    expect(cancelled.channel).toBe("email")
    expect(cancelled.message).toContain("because your account was closed")
    await pollUntil(() => existsSync(emlOf(cancelled)), { message: "the cancellation e-mail" })
    expect(headersOf(readFileSync(emlOf(cancelled), "utf8"))).toMatch(/^To: Dana Gone <dana@example\.com>$/m)

    await pollUntil(() => contactOf(userId)?.erased_at != null, { message: "the contact to be erased" })
    expect(contactOf(userId)).toMatchObject({ full_name: null, email: null })
    expect(contactOf(userId)!.erased_at!).toBeGreaterThanOrEqual(deliveryOf(cancelled.notificationId)!.settled_at!)
    expect(svc.store.db.prepare("SELECT count(*) AS n FROM erasure_bookings WHERE user_id = ?").get(userId)).toEqual({ n: 0 })

    // A late or replayed registration does not bring the data back; later notices go nowhere.
    await register(userId, "Dana Gone", "dana@example.com")
    await publish("PaymentRefunded", { paymentId: newId(), bookingId: a.bookingId, userId, amount: 800, currency: "EUR" })
    const after = await awaitCount(userId, 3)
    expect(after[0]!.kind).toBe("refunded")
    expect(after[0]!.channel).toBe("none")
    expect(contactOf(userId)).toMatchObject({ full_name: null, email: null })
  })

  test("UserUnregistered alone erases nothing: the contact waits for booking's list of the bookings it ended", async () => {
    const userId = newId()
    await register(userId, "Gil Waiting", "gil@example.com")
    await publish("UserUnregistered", { userId })
    await pollUntil(() => contactOf(userId)?.unregistered_at != null, { message: "the contact to be marked unregistered" })
    await severalSweeps()
    expect(contactOf(userId)).toMatchObject({ email: "gil@example.com", bookings_closed_at: null, erased_at: null })
  })

  test("a list that overtakes a cancellation holds the erasure until that cancellation has been e-mailed too", async () => {
    const userId = newId()
    await register(userId, "Hal Overtaken", "hal@example.com")
    const [a, b] = [ids(), ids()]
    await publish("UserUnregistered", { userId })
    await publish("TicketCancelled", { ...a, userId, tickets: tickets("P1"), reason: "user_unregistered" })
    // The list arrives while b's cancellation is still being retried somewhere upstream.
    await publish("UserBookingsClosed", { userId, bookingIds: [a.bookingId, b.bookingId] })
    const [first] = await awaitCount(userId, 1)
    await pollUntil(() => deliveryOf(first!.notificationId)?.status === "sent", { message: "a's cancellation e-mail" })
    await pollUntil(() => contactOf(userId)?.bookings_closed_at != null, { message: "the list to be handled" })
    await severalSweeps()
    expect(contactOf(userId)).toMatchObject({ email: "hal@example.com", erased_at: null })

    await publish("TicketCancelled", { ...b, userId, tickets: tickets("P2"), reason: "user_unregistered" })
    const items = await awaitCount(userId, 2)
    const late = items.find((i) => i.bookingId === b.bookingId)!
    expect(late.channel).toBe("email")
    await pollUntil(() => contactOf(userId)?.erased_at != null, { message: "the contact to be erased" })
    // It went out to the address before the address was erased.
    expect(headersOf(readFileSync(emlOf(late), "utf8"))).toMatch(/^To: Hal Overtaken <hal@example\.com>$/m)
    expect(deliveryOf(late.notificationId)!.status).toBe("sent")
    expect(contactOf(userId)).toMatchObject({ full_name: null, email: null })
  })

  test("a user with no open bookings is erased once the empty list is handled, even before UserUnregistered arrives", async () => {
    const userId = newId()
    await register(userId, "Ivy Empty", "ivy@example.com")
    await publish("UserBookingsClosed", { userId, bookingIds: [] })
    await pollUntil(() => contactOf(userId)?.erased_at != null, { message: "the contact to be erased" })
    expect(contactOf(userId)).toMatchObject({ full_name: null, email: null })
    expect(contactOf(userId)!.unregistered_at).not.toBeNull()
    // The UserUnregistered that was overtaken, and a replayed registration, change nothing.
    await publish("UserUnregistered", { userId })
    await register(userId, "Ivy Empty", "ivy@example.com")
    await publish("TicketBooked", { ...ids(), userId, tickets: tickets("Q1") })
    const [item] = await awaitCount(userId, 1)
    expect(item!.channel).toBe("none")
    expect(contactOf(userId)).toMatchObject({ full_name: null, email: null })
  })
})

describe("robustness", () => {
  test("no query string or header ever yields a 5xx", async () => {
    const token = await tokenFor(newId())
    const printable = fc.string({ unit: fc.constantFrom(..."abcXYZ019 -_=&?%.:/+~!$'()*,;@[]{}|^`\"<>#\\"), maxLength: 40 })
    const requests = fc
      .tuple(
        fc.constantFrom("/notifications", "/notifications/stream", "/notifications/x", "/notifications/_ops/dlq"),
        fc.array(fc.tuple(fc.constantFrom("limit", "cursor", "lastEventId", "access_token", "x", "limit[]"), printable), { maxLength: 4 }),
        fc.record({
          authorization: fc.oneof(fc.constant(`Bearer ${token}`), printable.map((s) => `Bearer ${s}`), printable),
          "last-event-id": printable
        }, { requiredKeys: [] }),
        // Besides the requests themselves: the same with a body too large, refused before routing or auth.
        fc.option(fc.constantFrom(...OVERSIZED_MARKERS), { freq: 5 })
      )
      .map(([path, pairs, headers, oversized]): FuzzRequest => {
        const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
        return { method: oversized === null ? "GET" : "POST", path: `${path}${query ? `?${query}` : ""}`, headers, body: oversized ?? undefined }
      })
    const statuses = await assertNoServerErrors({ url: svc.url, requests, numRuns: 200 })
    // The inputs reached past validation and auth, not only the first check.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 401, 404, 413, 422]))
  })
})
