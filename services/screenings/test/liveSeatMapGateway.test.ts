// The live seat map through the front door: ETag, If-None-Match and 304 pass through, and the stream is unbuffered.
import { newId } from "@bat/contracts"
import { pollUntil } from "@bat/testing"
import { afterAll, beforeAll, expect, test } from "bun:test"
import type { Server } from "bun"
import { startGateway } from "../../gateway/src/proxy.ts"
import { routesFromEnv } from "../../gateway/src/routeTable.ts"
import { inMinutes, seedCatalog, startHarness, type Harness } from "./harness.ts"
import { openSse } from "./sse.ts"

let h: Harness
let gateway: Server<undefined>
let base: string

beforeAll(async () => {
  // Throttled pushes (changes within 50 ms of the last push wait for the next), so that path is exercised too.
  h = await startHarness({ SEAT_STREAM_HEARTBEAT_MS: "300", SEAT_STREAM_COALESCE_MS: "50" })
  gateway = startGateway({
    port: 0,
    hostname: "127.0.0.1",
    routes: routesFromEnv({ SCREENINGS_PORT: String(h.svc.port) }),
    onUpstreamError: () => {}
  })
  base = `http://127.0.0.1:${gateway.port}`
})
afterAll(async () => {
  await gateway?.stop(true)
  await h?.stop()
})

const reserve = async (screeningId: string, seatNumber: string) => {
  const id = await h.publish("TicketReserved", {
    bookingId: newId(),
    userId: newId(),
    screeningId,
    tickets: [{ ticketId: newId(), seatNumber }],
    amount: 1000,
    currency: "EUR",
    expiresAt: new Date(Date.now() + 900_000).toISOString()
  })
  await h.waitConsumed(id)
}

const newScreening = async () => {
  const { hallId, movieId } = await seedCatalog(h)
  const r = await h.api("POST", "/screenings", {
    token: h.staff,
    body: { movieId, hallId, startsAt: inMinutes(h, 90), price: { amount: 1000, currency: "EUR" } }
  })
  expect(r.status).toBe(201)
  return r.body.screeningId as string
}

test("ETag, If-None-Match and the 304 pass through the front door", async () => {
  const id = await newScreening()
  const first = await fetch(`${base}/screenings/${id}/seats`)
  expect(first.status).toBe(200)
  const etag = first.headers.get("etag")
  expect(etag).toBe(`"${id}-0"`)
  expect(first.headers.get("cache-control")).toBe("no-cache")
  await first.json()

  const unchanged = await fetch(`${base}/screenings/${id}/seats`, { headers: { "if-none-match": etag! } })
  expect(unchanged.status).toBe(304)
  expect(unchanged.headers.get("etag")).toBe(etag)
  expect(await unchanged.text()).toBe("")

  await reserve(id, "A1")
  const changed = await fetch(`${base}/screenings/${id}/seats`, { headers: { "if-none-match": etag! } })
  expect(changed.status).toBe(200)
  expect(changed.headers.get("etag")).toBe(`"${id}-1"`)
  expect((await changed.json()).counts).toEqual({ available: 4, reserved: 1, booked: 0 })
})

test("the stream passes through unbuffered: each change arrives while the stream stays open, heartbeats too", async () => {
  const id = await newScreening()
  const s = await openSse(`${base}/screenings/${id}/seats/stream`)
  expect(s.status).toBe(200)
  expect(s.headers.get("content-type")).toStartWith("text/event-stream")
  const [snapshot] = await s.waitForEvents(1)
  expect(snapshot).toMatchObject({ event: "snapshot", id: "0" })
  await reserve(id, "B1")
  expect((await s.waitForEvents(2))[1]).toEqual({
    event: "seats",
    id: "1",
    data: { version: 1, changes: [{ seatNumber: "B1", status: "reserved" }] }
  })
  await reserve(id, "B2")
  expect((await s.waitForEvents(3))[2]!.data.version).toBe(2)
  expect(s.ended()).toBe(false)
  s.close()

  // Resuming through the front door: the Last-Event-ID header reaches the service.
  const resumed = await openSse(`${base}/screenings/${id}/seats/stream`, { "last-event-id": "1" })
  expect((await resumed.waitForEvents(1))[0]).toMatchObject({ event: "seats", id: "2" })
  const pings = resumed.comments.filter((c) => c === "ping").length
  await pollUntil(() => resumed.comments.filter((c) => c === "ping").length > pings, { message: "a heartbeat through the front door" })
  resumed.close()
})
