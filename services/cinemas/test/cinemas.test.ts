import type { RunningService } from "@bat/http"
import { bootService } from "@bat/http"
import { assertNoServerErrors, createTestVhost, fuzz, jsonRequest, serviceAmqpUrl, type TestVhost } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import fc from "fast-check"
import { cinemasService } from "../src/service.ts"
import {
  bearer,
  expectBadCursorsRefused,
  expectMalformedIdsLikeUnknown,
  expectMethodNotAllowed,
  expectProblem,
  json,
  startTokenMint,
  tapExchange,
  tempDir,
  type EventTap,
  type TokenMint
} from "@bat/testing"

let vhost: TestVhost
let data: ReturnType<typeof tempDir>
let mint: TokenMint
let svc: RunningService
let tap: EventTap
let staff: Record<string, string>
let customer: Record<string, string>

const call = (path: string, init: RequestInit = {}) => fetch(`${svc.url}${path}`, init)
const send = (method: string, path: string, body: unknown, headers: Record<string, string> = staff) =>
  call(path, { method, ...json(body, headers) })

interface Cinema {
  cinemaId: string
  name: string
  address: string
  timeZone: string
  revision: number
  halls: Array<{ hallId: string; name: string; rows: Array<{ label: string; seats: number }>; capacity: number }>
}

let n = 0
const createCinema = async (name = `Roxy ${++n}`, address = "1 Main Street") => {
  const res = await send("POST", "/cinemas", { name, address })
  expect(res.status).toBe(201)
  return (await res.json()) as Cinema
}

beforeAll(async () => {
  vhost = await createTestVhost({ layout: true })
  data = tempDir("cinemas")
  mint = await startTokenMint()
  tap = await tapExchange(vhost.amqpUrl, "cinemas.events")
  svc = await bootService(cinemasService({ PORT: "0", DATA_DIR: data.dir, AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "cinemas"), JWKS_URL: mint.jwksUrl }))
  await svc.messaging.broker.waitForConnect() // HTTP answers before the broker link is up; the tests need both
  staff = bearer(await mint.token(crypto.randomUUID(), "staff"))
  customer = bearer(await mint.token(crypto.randomUUID(), "customer"))
})

afterAll(async () => {
  await svc?.stop()
  await tap?.close()
  await mint?.stop()
  await vhost?.cleanup()
  data?.remove()
})

describe("cinemas", () => {
  test("staff creates a cinema: 201 with revision 1 and no halls, and CinemaCreated is emitted", async () => {
    const res = await send("POST", "/cinemas", { name: "Odeon", address: "2 High Street" })
    expect(res.status).toBe(201)
    const cinema = (await res.json()) as Cinema
    expect(cinema).toEqual({
      cinemaId: expect.any(String),
      name: "Odeon",
      address: "2 High Street",
      timeZone: "UTC",
      revision: 1,
      halls: []
    })
    const event = await tap.waitFor("CinemaCreated", (d) => d.cinemaId === cinema.cinemaId)
    expect(event.data).toEqual({ cinemaId: cinema.cinemaId, revision: 1, name: "Odeon", address: "2 High Street", timeZone: "UTC" })
    expect(event.source).toBe("cinemas")
    const shown = await call(`/cinemas/${cinema.cinemaId}`)
    expect(shown.status).toBe(200)
    expect(await shown.json()).toEqual(cinema)
  })

  test("creating a cinema needs a staff token: none is 401, an expired one 401 token_expired, a customer's 403", async () => {
    await expectProblem(await send("POST", "/cinemas", { name: "X", address: "Y" }, {}), 401, "unauthorized")
    const expired = bearer(await mint.token(crypto.randomUUID(), "staff", { expiresInSeconds: -60 }))
    await expectProblem(await send("POST", "/cinemas", { name: "X", address: "Y" }, expired), 401, "token_expired")
    await expectProblem(await send("POST", "/cinemas", { name: "X", address: "Y" }, customer), 403, "forbidden")
  })

  test("a cinema with missing or blank fields is 422 invalid_input, and broken JSON is 400 malformed_json", async () => {
    await expectProblem(await send("POST", "/cinemas", { name: "Odeon" }), 422, "invalid_input")
    await expectProblem(await send("POST", "/cinemas", { name: "", address: "x" }), 422, "invalid_input")
    await expectProblem(await send("POST", "/cinemas", { name: " padded ", address: "x" }), 422, "invalid_input")
    await expectProblem(await send("POST", "/cinemas", { name: "x".repeat(201), address: "x" }), 422, "invalid_input")
    const broken = await call("/cinemas", { method: "POST", body: "{", headers: { "content-type": "application/json", ...staff } })
    await expectProblem(broken, 400, "malformed_json")
  })

  test("an unknown or malformed cinema id is 404 cinema_not_found", async () => {
    await expectProblem(await call(`/cinemas/${crypto.randomUUID()}`), 404, "cinema_not_found")
    await expectProblem(await call("/cinemas/not-an-id"), 404, "cinema_not_found")
  })

  test("a malformed cinema id gets the same 404 cinema_not_found as an unknown one on every route that takes one", async () => {
    const hall = { name: "H", rows: [{ label: "A", seats: 2 }] }
    await expectMalformedIdsLikeUnknown((id) => call(`/cinemas/${id}`), "cinema_not_found")
    await expectMalformedIdsLikeUnknown((id) => send("PATCH", `/cinemas/${id}`, { name: "X" }), "cinema_not_found")
    await expectMalformedIdsLikeUnknown((id) => call(`/cinemas/${id}`, { method: "DELETE", headers: staff }), "cinema_not_found")
    await expectMalformedIdsLikeUnknown((id) => send("POST", `/cinemas/${id}/halls`, hall), "cinema_not_found")
  })

  test("a cursor the list did not hand out is 422 invalid_cursor, not a silent page", async () => {
    await createCinema()
    await expectBadCursorsRefused((cursor) => call(`/cinemas?limit=1&cursor=${cursor}`))
  })

  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    await expectMethodNotAllowed(await call("/cinemas", { method: "DELETE", headers: staff }), "GET, HEAD, POST")
    await expectMethodNotAllowed(await call(`/cinemas/${crypto.randomUUID()}`, { method: "PUT", headers: staff }), "GET, HEAD, PATCH, DELETE")
    await expectMethodNotAllowed(await call("/cinemas/x/halls"), "POST")
    await expectProblem(await call("/cinemas/x/halls/y"), 404, "not_found")
  })

  test("staff updates a cinema: each PATCH is 200 and raises the revision by one, announced with CinemaUpdated", async () => {
    const cinema = await createCinema()
    const first = await send("PATCH", `/cinemas/${cinema.cinemaId}`, { name: "Renamed" })
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ ...cinema, name: "Renamed", revision: 2 })
    const second = await send("PATCH", `/cinemas/${cinema.cinemaId}`, { address: "9 New Road" })
    expect(await second.json()).toEqual({ ...cinema, name: "Renamed", address: "9 New Road", revision: 3 })
    await tap.waitFor("CinemaUpdated", (d) => d.cinemaId === cinema.cinemaId && d.revision === 3)
    const updates = tap.events.filter((e) => e.type === "CinemaUpdated" && e.data.cinemaId === cinema.cinemaId).map((e) => e.data)
    expect(updates).toEqual([
      { cinemaId: cinema.cinemaId, revision: 2, name: "Renamed", address: cinema.address, timeZone: "UTC" },
      { cinemaId: cinema.cinemaId, revision: 3, name: "Renamed", address: "9 New Road", timeZone: "UTC" }
    ])
  })

  test("a cinema is created in the zone it names, and a PATCH moves it to another, announced on the events", async () => {
    const res = await send("POST", "/cinemas", { name: "Kino Berlin", address: "Unter den Linden 1", timeZone: "Europe/Berlin" })
    expect(res.status).toBe(201)
    const cinema = (await res.json()) as Cinema
    expect(cinema.timeZone).toBe("Europe/Berlin")
    const created = await tap.waitFor("CinemaCreated", (d) => d.cinemaId === cinema.cinemaId)
    expect(created.data.timeZone).toBe("Europe/Berlin")
    const moved = await send("PATCH", `/cinemas/${cinema.cinemaId}`, { timeZone: "Asia/Kolkata" })
    expect(moved.status).toBe(200)
    expect(await moved.json()).toEqual({ ...cinema, timeZone: "Asia/Kolkata", revision: 2 })
    const updated = await tap.waitFor("CinemaUpdated", (d) => d.cinemaId === cinema.cinemaId && d.revision === 2)
    expect(updated.data).toEqual({ cinemaId: cinema.cinemaId, revision: 2, name: cinema.name, address: cinema.address, timeZone: "Asia/Kolkata" })
    expect(((await (await call(`/cinemas/${cinema.cinemaId}`)).json()) as Cinema).timeZone).toBe("Asia/Kolkata")
  })

  test("an unknown time zone is 422 problem+json naming the field timeZone, on create and on update", async () => {
    for (const timeZone of ["Mars/Olympus_Mons", "+02:00", "", 42]) {
      const body = await expectProblem(await send("POST", "/cinemas", { name: "Nowhere", address: "x", timeZone }), 422, "invalid_input")
      expect(body.errors).toEqual([{ path: "timeZone", message: expect.any(String) }])
    }
    const cinema = await createCinema()
    const body = await expectProblem(await send("PATCH", `/cinemas/${cinema.cinemaId}`, { timeZone: "Europe/Atlantis" }), 422, "invalid_input")
    expect(body.errors).toEqual([{ path: "timeZone", message: "Expected an IANA time zone such as Europe/Berlin" }])
    expect(((await (await call(`/cinemas/${cinema.cinemaId}`)).json()) as Cinema).timeZone).toBe("UTC")
  })

  test("a PATCH that is empty or invalid is 422, by a customer 403, of an unknown cinema 404", async () => {
    const cinema = await createCinema()
    await expectProblem(await send("PATCH", `/cinemas/${cinema.cinemaId}`, {}), 422, "invalid_input")
    await expectProblem(await send("PATCH", `/cinemas/${cinema.cinemaId}`, { name: 42 }), 422, "invalid_input")
    await expectProblem(await send("PATCH", `/cinemas/${cinema.cinemaId}`, { name: "X" }, customer), 403, "forbidden")
    await expectProblem(await send("PATCH", `/cinemas/${cinema.cinemaId}`, { name: "X" }, {}), 401, "unauthorized")
    await expectProblem(await send("PATCH", `/cinemas/${crypto.randomUUID()}`, { name: "X" }), 404, "cinema_not_found")
    expect(((await (await call(`/cinemas/${cinema.cinemaId}`)).json()) as Cinema).revision).toBe(1)
  })

  test("deleting a cinema is 204 and emits CinemaDeleted; afterwards it is 404 everywhere and never comes back", async () => {
    const cinema = await createCinema()
    await expectProblem(await call(`/cinemas/${cinema.cinemaId}`, { method: "DELETE", headers: customer }), 403, "forbidden")
    await expectProblem(await call(`/cinemas/${cinema.cinemaId}`, { method: "DELETE" }), 401, "unauthorized")
    const res = await call(`/cinemas/${cinema.cinemaId}`, { method: "DELETE", headers: staff })
    expect(res.status).toBe(204)
    expect((await tap.waitFor("CinemaDeleted", (d) => d.cinemaId === cinema.cinemaId)).data).toEqual({ cinemaId: cinema.cinemaId })
    await expectProblem(await call(`/cinemas/${cinema.cinemaId}`), 404, "cinema_not_found")
    await expectProblem(await call(`/cinemas/${cinema.cinemaId}`, { method: "DELETE", headers: staff }), 404, "cinema_not_found")
    await expectProblem(await send("PATCH", `/cinemas/${cinema.cinemaId}`, { name: "Back" }), 404, "cinema_not_found")
    await expectProblem(await send("POST", `/cinemas/${cinema.cinemaId}/halls`, { name: "H", rows: [{ label: "A", seats: 2 }] }), 404, "cinema_not_found")
    expect(tap.events.filter((e) => e.type === "CinemaDeleted" && e.data.cinemaId === cinema.cinemaId)).toHaveLength(1)
  })

  test("anyone lists live cinemas with their halls, a page at a time, following nextCursor", async () => {
    const created = [await createCinema(), await createCinema(), await createCinema(), await createCinema()]
    await send("POST", `/cinemas/${created[0]!.cinemaId}/halls`, { name: "Main", rows: [{ label: "A", seats: 3 }] })
    expect((await call(`/cinemas/${created[1]!.cinemaId}`, { method: "DELETE", headers: staff })).status).toBe(204)
    const seen: Array<Cinema> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await call(`/cinemas?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
      expect(res.status).toBe(200)
      const page = (await res.json()) as { items: Array<Cinema>; nextCursor: string | null }
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items)
      cursor = page.nextCursor
      pages++
    } while (cursor !== null && pages < 100)
    const ids = seen.map((c) => c.cinemaId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(expect.arrayContaining([created[0]!.cinemaId, created[2]!.cinemaId, created[3]!.cinemaId]))
    expect(ids).not.toContain(created[1]!.cinemaId)
    expect(seen.find((c) => c.cinemaId === created[0]!.cinemaId)?.halls).toEqual([
      { hallId: expect.any(String), name: "Main", rows: [{ label: "A", seats: 3 }], capacity: 3 }
    ])
    const all = (await (await call("/cinemas")).json()) as { items: Array<Cinema>; nextCursor: string | null }
    expect(all.nextCursor).toBeNull()
    expect(all.items.map((c) => c.cinemaId)).toEqual(ids)
    await expectProblem(await call("/cinemas?limit=0"), 422, "invalid_input")
    await expectProblem(await call("/cinemas?limit=201"), 422, "invalid_input")
    await expectProblem(await call("/cinemas?limit=abc"), 422, "invalid_input")
    await expectProblem(await call("/cinemas?limit=1e1"), 422, "invalid_input")
    await expectProblem(await call("/cinemas?limit=2.5"), 422, "invalid_input")
    expect((await call("/cinemas?limit=200")).status).toBe(200)
  })
})

describe("halls", () => {
  test("staff adds a hall: 201 with its capacity derived from the rows, HallCreated is emitted, and the cinema lists it", async () => {
    const cinema = await createCinema()
    const rows = [
      { label: "A", seats: 10 },
      { label: "B", seats: 12 },
      { label: "AA", seats: 1 }
    ]
    const res = await send("POST", `/cinemas/${cinema.cinemaId}/halls`, { name: "Hall 1", rows })
    expect(res.status).toBe(201)
    const hall = (await res.json()) as Record<string, unknown> & { hallId: string }
    expect(hall).toEqual({ hallId: expect.any(String), cinemaId: cinema.cinemaId, name: "Hall 1", rows, capacity: 23 })
    const event = await tap.waitFor("HallCreated", (d) => d.hallId === hall.hallId)
    expect(event.data).toEqual(hall)
    const shown = (await (await call(`/cinemas/${cinema.cinemaId}`)).json()) as Cinema
    expect(shown.halls).toEqual([{ hallId: hall.hallId, name: "Hall 1", rows, capacity: 23 }])
    expect(shown.revision).toBe(1)
  })

  test("repeated row labels are 422 duplicate_row_label; malformed layouts are 422 invalid_input", async () => {
    const cinema = await createCinema()
    const path = `/cinemas/${cinema.cinemaId}/halls`
    const dup = await expectProblem(
      await send("POST", path, { name: "H", rows: [{ label: "A", seats: 2 }, { label: "B", seats: 2 }, { label: "A", seats: 3 }] }),
      422,
      "duplicate_row_label"
    )
    expect(String(dup.detail)).toContain("A")
    for (const rows of [[], [{ label: "a", seats: 2 }], [{ label: "A", seats: 0 }], [{ label: "A", seats: 1000 }], [{ label: "ABC", seats: 2 }], [{ label: "A", seats: 1.5 }], "A-J"]) {
      await expectProblem(await send("POST", path, { name: "H", rows }), 422, "invalid_input")
    }
    await expectProblem(await send("POST", path, { rows: [{ label: "A", seats: 2 }] }), 422, "invalid_input")
    expect(((await (await call(`/cinemas/${cinema.cinemaId}`)).json()) as Cinema).halls).toEqual([])
  })

  test("a hall name is unique within its cinema, ignoring case (409 hall_name_taken), but another cinema may use it", async () => {
    const one = await createCinema()
    const two = await createCinema()
    const body = { name: "Grand", rows: [{ label: "A", seats: 5 }] }
    expect((await send("POST", `/cinemas/${one.cinemaId}/halls`, body)).status).toBe(201)
    await expectProblem(await send("POST", `/cinemas/${one.cinemaId}/halls`, { ...body, name: "GRAND" }), 409, "hall_name_taken")
    expect((await send("POST", `/cinemas/${two.cinemaId}/halls`, body)).status).toBe(201)
  })

  test("adding a hall needs a staff token and a live cinema", async () => {
    const cinema = await createCinema()
    const body = { name: "Side", rows: [{ label: "A", seats: 5 }] }
    await expectProblem(await send("POST", `/cinemas/${cinema.cinemaId}/halls`, body, {}), 401, "unauthorized")
    await expectProblem(await send("POST", `/cinemas/${cinema.cinemaId}/halls`, body, customer), 403, "forbidden")
    await expectProblem(await send("POST", `/cinemas/${crypto.randomUUID()}/halls`, body), 404, "cinema_not_found")
  })
})

describe("operations", () => {
  test("every event went out persistent, with messageId and type matching its envelope", () => {
    expect(tap.events.length).toBeGreaterThan(0)
    expect(tap.badProperties).toEqual([])
    for (const e of tap.events) expect(structuredClone(e)).toMatchObject({ version: 1, source: "cinemas", causationId: null })
  })
})

describe("robustness", () => {
  test("no method, path, body, query or token sent to the cinemas endpoints yields a 5xx", async () => {
    const cinema = await createCinema()
    const segment = fuzz.segment(cinema.cinemaId)
    const target = fc.oneof(
      fc.constantFrom({ method: "GET", path: "/cinemas" }, { method: "POST", path: "/cinemas" }),
      fc.record({ method: fc.constantFrom("GET", "PATCH", "DELETE", "PUT"), path: segment.map((s) => `/cinemas/${s}`) }),
      fc.record({ method: fc.constantFrom("POST", "GET"), path: segment.map((s) => `/cinemas/${s}/halls`) })
    )
    const row = fc.record({ label: fc.oneof(fc.stringMatching(/^[A-Z]{1,2}$/), fc.string({ maxLength: 4 })), seats: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.double(), fc.string()) }, { requiredKeys: [] })
    const fields = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 250 }), fc.anything()),
        address: fc.oneof(fc.string({ maxLength: 600 }), fc.anything()),
        timeZone: fc.oneof(fc.constantFrom("Europe/Berlin", "UTC", "Asia/Calcutta", "+01:00", ""), fc.string({ maxLength: 40 })),
        rows: fc.oneof(fc.array(row, { maxLength: 6 }), fc.anything())
      },
      { requiredKeys: [] }
    )
    const requests = fc
      .tuple(target, fuzz.body(fields), fuzz.authorization(staff.authorization!.slice(7), customer.authorization!.slice(7)), fuzz.query())
      .map(([t, b, a, q]) => jsonRequest(t.method, `${t.path}${q}`, b, a))
    const statuses = await assertNoServerErrors({ url: svc.url, requests })
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([413, 200, 401, 403, 404, 422]))
  }, 120_000)
})
