// The live seat map: versions and ETags of GET /screenings/{id}/seats, and its Server-Sent Events stream.
import { newId } from "@bat/contracts"
import { expectProblem, pollUntil } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { inMinutes, seedCatalog, startHarness, type Harness } from "./harness.ts"
import { openSse, type SseStream } from "./sse.ts"

let h: Harness
const streams: Array<SseStream> = []

beforeAll(async () => {
  h = await startHarness({
    SEAT_STREAM_HEARTBEAT_MS: "200",
    // A short window, so a resume that is too old can be shown with a handful of changes.
    SEAT_CHANGES_KEEP_VERSIONS: "3",
    SEAT_CHANGES_PRUNE_MS: "100"
  })
})
afterAll(async () => {
  for (const s of streams) s.close()
  await h?.stop()
})

const userId = newId()
type Ticket = { ticketId: string; seatNumber: string }
const ticket = (seatNumber: string): Ticket => ({ ticketId: newId(), seatNumber })

/** Publishes one booking-scoped event and waits until the service has applied it. */
const apply = async (
  type: "TicketReserved" | "TicketBooked" | "TicketBookingFailed" | "TicketCancelled",
  screeningId: string,
  tickets: Array<Ticket>,
  opts: { id?: string; bookingId?: string } = {}
) => {
  const bookingId = opts.bookingId ?? newId()
  const base = { bookingId, userId, screeningId, tickets }
  const data =
    type === "TicketReserved"
      ? { ...base, amount: 1000, currency: "EUR", expiresAt: new Date(Date.now() + 900_000).toISOString() }
      : type === "TicketBooked"
        ? base
        : type === "TicketBookingFailed"
          ? { ...base, reason: "payment_declined" }
          : { ...base, reason: "cancelled_by_customer" }
  const id = await h.publish(type, data, opts.id ? { id: opts.id } : {})
  await h.waitConsumed(id)
  return id
}

/** A fresh screening in a hall of rows A (3 seats) and B (2 seats). */
const newScreening = async (): Promise<string> => {
  const { hallId, movieId } = await seedCatalog(h)
  const r = await h.api("POST", "/screenings", {
    token: h.staff,
    body: { movieId, hallId, startsAt: inMinutes(h, 60 + Math.floor(Math.random() * 100_000)), price: { amount: 1000, currency: "EUR" } }
  })
  expect(r.status).toBe(201)
  return r.body.screeningId
}

const seats = (screeningId: string, headers: Record<string, string> = {}) => fetch(`${h.url}/screenings/${screeningId}/seats`, { headers })

const statusOf = (map: any, seatNumber: string) =>
  map.rows.flatMap((r: any) => r.seats).find((s: any) => s.seatNumber === seatNumber)?.status

const stream = async (screeningId: string, headers: Record<string, string> = {}, query = "") => {
  const s = await openSse(`${h.url}/screenings/${screeningId}/seats/stream${query}`, headers)
  streams.push(s)
  return s
}

const openStreams = async (): Promise<number> => (await (await fetch(`${h.url}/ready`)).json()).checks.seatStreams

describe("GET /screenings/{id}/seats: ETag and 304", () => {
  test("the ETag names the version, which moves exactly when a seat's status changes", async () => {
    const id = await newScreening()
    const etagNow = async () => {
      const res = await seats(id)
      expect(res.status).toBe(200)
      expect(res.headers.get("cache-control")).toBe("no-cache")
      return { etag: res.headers.get("etag"), map: await res.json() }
    }
    expect((await etagNow()).etag).toBe(`"${id}-0"`)

    const a1 = ticket("A1")
    const bookingId = newId()
    const reservedId = await apply("TicketReserved", id, [a1], { bookingId })
    let now = await etagNow()
    expect(now.etag).toBe(`"${id}-1"`)
    expect(statusOf(now.map, "A1")).toBe("reserved")

    // The same envelope again (a redelivery), and the same reservation under a new envelope: no change.
    await h.publish("TicketReserved", {
      bookingId, userId, screeningId: id, tickets: [a1], amount: 1000, currency: "EUR", expiresAt: new Date(Date.now() + 900_000).toISOString()
    }, { id: reservedId })
    await apply("TicketReserved", id, [a1], { bookingId })
    expect((await etagNow()).etag).toBe(`"${id}-1"`)

    await apply("TicketBooked", id, [a1], { bookingId })
    now = await etagNow()
    expect(now.etag).toBe(`"${id}-2"`)
    expect(statusOf(now.map, "A1")).toBe("booked")

    // A booked ticket cannot fail: nothing changes, the version stays.
    await apply("TicketBookingFailed", id, [a1], { bookingId })
    expect((await etagNow()).etag).toBe(`"${id}-2"`)

    await apply("TicketCancelled", id, [a1], { bookingId })
    now = await etagNow()
    expect(now.etag).toBe(`"${id}-3"`)
    expect(statusOf(now.map, "A1")).toBe("available")
    expect(now.map.version).toBeUndefined() // the §5 shape; the version travels in the ETag
  })

  test("a matching If-None-Match (one tag, a list, weak, or *) is a 304 without a body; a stale one gets the map", async () => {
    const id = await newScreening()
    await apply("TicketReserved", id, [ticket("B2")])
    const current = `"${id}-1"`
    for (const ifNoneMatch of [current, `"other", ${current}`, `W/${current}`, "*"]) {
      const res = await seats(id, { "if-none-match": ifNoneMatch })
      expect(res.status).toBe(304)
      expect(res.headers.get("etag")).toBe(current)
      expect(res.headers.get("cache-control")).toBe("no-cache")
      // It names its document, so the suite's contract check sees it (a 304 documented without a body).
      expect(res.headers.get("link")).toContain('rel="service-desc"')
      expect(await res.text()).toBe("")
    }
    const stale = await seats(id, { "if-none-match": `"${id}-0"` })
    expect(stale.status).toBe(200)
    expect(stale.headers.get("etag")).toBe(current)
    expect(statusOf(await stale.json(), "B2")).toBe("reserved")
  })

  test("the document states the ETag and Cache-Control of the 200 and the 304, and the If-None-Match it reads", async () => {
    const doc = await (await fetch(`${h.url}/screenings/openapi/json`)).json()
    const op = doc.paths["/screenings/{id}/seats"].get
    for (const status of ["200", "304"]) {
      expect(Object.keys(op.responses[status].headers)).toEqual(["ETag", "Cache-Control"])
      expect(new RegExp(op.responses[status].headers.ETag.schema.pattern).test(`"${newId()}-12"`)).toBe(true)
    }
    expect(op.responses["304"].content).toBeUndefined()
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in} ${p.name}`)).toContain("header If-None-Match")
    const stream = doc.paths["/screenings/{id}/seats/stream"].get
    expect(Object.keys(stream.responses["200"].content)).toEqual(["text/event-stream"])
    expect(stream.parameters.map((p: { name: string }) => p.name)).toEqual(["id", "lastEventId", "Last-Event-ID"])
  })

  test("an unknown or malformed screening id is a 404, with or without If-None-Match", async () => {
    for (const id of [newId(), "not-a-uuid"]) {
      await expectProblem(await seats(id, { "if-none-match": "*" }), 404, "screening_not_found")
    }
  })
})

describe("GET /screenings/{id}/seats/stream", () => {
  test("sends a snapshot, then each change as it is held, sold or freed, in version order", async () => {
    const id = await newScreening()
    await apply("TicketReserved", id, [ticket("A3")])
    const s = await stream(id)
    expect(s.status).toBe(200)
    expect(s.headers.get("content-type")).toStartWith("text/event-stream")
    expect(s.headers.get("cache-control")).toBe("no-cache")
    expect(s.headers.get("link")).toContain('rel="service-desc"')
    const [snapshot] = await s.waitForEvents(1)
    const map = await (await seats(id)).json()
    expect(snapshot).toEqual({ event: "snapshot", id: "1", data: { ...map, version: 1 } })
    expect(s.retries).toEqual([2000])

    const a1 = ticket("A1")
    const a2 = ticket("A2")
    const bookingId = newId()
    await apply("TicketReserved", id, [a1, a2], { bookingId })
    await apply("TicketBooked", id, [a1, a2], { bookingId })
    await apply("TicketCancelled", id, [a2], { bookingId })
    const events = await s.waitForEvents(4)
    expect(events.slice(1)).toEqual([
      { event: "seats", id: "2", data: { version: 2, changes: [{ seatNumber: "A1", status: "reserved" }, { seatNumber: "A2", status: "reserved" }] } },
      { event: "seats", id: "3", data: { version: 3, changes: [{ seatNumber: "A1", status: "booked" }, { seatNumber: "A2", status: "booked" }] } },
      { event: "seats", id: "4", data: { version: 4, changes: [{ seatNumber: "A2", status: "available" }] } }
    ])
    s.close()
  })

  test("a redelivered event (the same envelope id) sends nothing and makes no version", async () => {
    const id = await newScreening()
    const s = await stream(id)
    await s.waitForEvents(1)
    const b1 = ticket("B1")
    const bookingId = newId()
    const data = { bookingId, userId, screeningId: id, tickets: [b1], amount: 1000, currency: "EUR", expiresAt: new Date(Date.now() + 900_000).toISOString() }
    const first = await h.publish("TicketReserved", data)
    await h.waitConsumed(first)
    await h.publish("TicketReserved", data, { id: first })
    // Applied after the duplicate (one queue, in order): its version follows the first one's directly.
    await apply("TicketReserved", id, [ticket("B2")])
    const events = await s.waitForEvents(3)
    expect(events.map((e) => [e.event, e.id])).toEqual([["snapshot", "0"], ["seats", "1"], ["seats", "2"]])
    expect(events[2]!.data.changes).toEqual([{ seatNumber: "B2", status: "reserved" }])
    expect((await seats(id)).headers.get("etag")).toBe(`"${id}-2"`)
    s.close()
  })

  test("Last-Event-ID resumes with exactly the missed changes, without a snapshot; ?lastEventId= does too", async () => {
    const id = await newScreening()
    const first = await stream(id)
    const [snapshot] = await first.waitForEvents(1)
    expect(snapshot!.id).toBe("0")
    first.close()
    await apply("TicketReserved", id, [ticket("A1")])
    await apply("TicketReserved", id, [ticket("B1")])

    for (const [headers, query] of [[{ "last-event-id": "0" }, ""], [{}, "?lastEventId=0"]] as const) {
      const resumed = await stream(id, headers, query)
      const events = await resumed.waitForEvents(2)
      expect(events).toEqual([
        { event: "seats", id: "1", data: { version: 1, changes: [{ seatNumber: "A1", status: "reserved" }] } },
        { event: "seats", id: "2", data: { version: 2, changes: [{ seatNumber: "B1", status: "reserved" }] } }
      ])
      // Live changes follow the replayed ones.
      resumed.close()
    }

    const upToDate = await stream(id, { "last-event-id": "2" })
    await apply("TicketReserved", id, [ticket("A2")])
    const [next] = await upToDate.waitForEvents(1)
    expect(next).toEqual({ event: "seats", id: "3", data: { version: 3, changes: [{ seatNumber: "A2", status: "reserved" }] } })
    expect(upToDate.retries).toEqual([2000])
    upToDate.close()
  })

  test("a Last-Event-ID whose changes are no longer kept, ahead of the map, or not a version gets a fresh snapshot", async () => {
    const id = await newScreening()
    for (const seat of ["A1", "A2", "A3", "B1", "B2"]) await apply("TicketReserved", id, [ticket(seat)])
    const logged = h.svc.store.db.prepare("SELECT min(version) AS oldest, count(*) AS n FROM seat_changes WHERE screening_id = ?")
    // The window keeps the last three versions (SEAT_CHANGES_KEEP_VERSIONS=3): 1 and 2 are pruned.
    await pollUntil(() => (logged.get(id) as { n: number }).n === 3, { message: "the change log to be pruned to 3 versions" })
    expect(logged.get(id)).toEqual({ oldest: 3, n: 3 })

    for (const lastEventId of ["0", "1", "99", "abc", "-1"]) {
      const s = await stream(id, { "last-event-id": lastEventId })
      const [first] = await s.waitForEvents(1)
      expect(first!.event).toBe("snapshot")
      expect(first!.id).toBe("5")
      expect(first!.data.counts).toEqual({ available: 0, reserved: 5, booked: 0 })
      s.close()
    }
    // Still kept: exactly the changes after 2.
    const kept = await stream(id, { "last-event-id": "2" })
    expect((await kept.waitForEvents(3)).map((e) => [e.event, e.id])).toEqual([["seats", "3"], ["seats", "4"], ["seats", "5"]])
    kept.close()
  })

  test("a comment heartbeat keeps a quiet stream alive", async () => {
    const id = await newScreening()
    const s = await stream(id)
    await s.waitForEvents(1)
    await pollUntil(() => s.comments.filter((c) => c === "ping").length >= 2, { message: "two heartbeats (every 200 ms here)" })
    s.close()
  })

  test("an unknown or malformed screening is a 404 problem before any stream starts", async () => {
    for (const id of [newId(), "nope"]) {
      const s = await stream(id)
      await expectProblem(s.response, 404, "screening_not_found")
    }
  })

  test("a client that goes away is unsubscribed", async () => {
    const id = await newScreening()
    const before = await openStreams()
    const opened = await Promise.all([stream(id), stream(id), stream(id)])
    for (const s of opened) await s.waitForEvents(1)
    expect(await openStreams()).toBe(before + 3)
    for (const s of opened) s.close()
    await pollUntil(async () => (await openStreams()) === before, { message: "the closed streams to be unsubscribed" })
  })

  // Last: it moves the service's clock two hours on.
  test("changes older than the kept hour are pruned, and a resume from before them gets a snapshot", async () => {
    const id = await newScreening()
    await apply("TicketReserved", id, [ticket("A1")])
    const logged = h.svc.store.db.prepare("SELECT count(*) AS n FROM seat_changes WHERE screening_id = ?")
    expect(logged.get(id)).toEqual({ n: 1 })
    h.time.advance(2 * 3_600_000)
    await pollUntil(() => (logged.get(id) as { n: number }).n === 0, { message: "the hour-old change to be pruned" })
    const s = await stream(id, { "last-event-id": "0" })
    const [first] = await s.waitForEvents(1)
    expect(first).toMatchObject({ event: "snapshot", id: "1" })
    s.close()
  })
})
