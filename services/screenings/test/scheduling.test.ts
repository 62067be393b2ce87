// Scheduling over HTTP: each endpoint's success and refusal paths, and the events it emits.
import { newId } from "@bat/contracts"
import { expectBadCursorsRefused, expectMalformedIdsLikeUnknown, expectMethodNotAllowed, expectProblem as expectProblemResponse } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { inMinutes, seedCatalog, startHarness, type Harness, type Reply } from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

const EUR = (amount: number) => ({ amount, currency: "EUR" })

const expectProblem = (r: Reply, status: number, code: string) => {
  expect({ status: r.status, code: r.body?.code }).toEqual({ status, code })
  expect(r.contentType).toContain("application/problem+json")
  expect(r.body.status).toBe(status)
}

const schedule = (body: unknown, token = h.staff) => h.api("POST", "/screenings", { token, body })

describe("POST /screenings", () => {
  test("staff schedule a screening whose end is fixed by the movie's running time and whose cinema comes from the hall", async () => {
    const { hallId, movieId, cinemaId } = await seedCatalog(h, { durationMinutes: 95 })
    const startsAt = inMinutes(h, 60)
    const r = await schedule({ movieId, hallId, startsAt, price: EUR(1250) })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({
      screeningId: expect.any(String),
      movieId,
      cinemaId,
      hallId,
      startsAt,
      endsAt: new Date(Date.parse(startsAt) + 95 * 60_000).toISOString(),
      price: EUR(1250),
      status: "scheduled",
      movie: { movieId, title: "Metropolis", genre: "drama", durationMinutes: 95 },
      cinema: { cinemaId, name: "Roxy", address: "1 Main Street", timeZone: "Europe/Berlin" },
      hall: { hallId, name: "Hall 1" },
      seatsAvailable: 5
    })
    const got = await h.api("GET", `/screenings/${r.body.screeningId}`)
    expect(got.status).toBe(200)
    expect(got.body).toEqual(r.body)
  })

  test("scheduling emits ScreeningScheduled with revision 1 and every seat number of the hall", async () => {
    const { hallId, movieId, cinemaId } = await seedCatalog(h, { rows: [{ label: "A", seats: 2 }, { label: "B", seats: 3 }] })
    const startsAt = inMinutes(h, 90)
    const r = await schedule({ movieId, hallId, startsAt, price: EUR(900) })
    expect(r.status).toBe(201)
    const event = await h.waitForEvent(
      (e) => e.type === "ScreeningScheduled" && e.data.screeningId === r.body.screeningId,
      "ScreeningScheduled"
    )
    expect(event.source).toBe("screenings")
    expect(event.causationId).toBeNull()
    expect(event.data).toEqual({
      screeningId: r.body.screeningId,
      revision: 1,
      movieId,
      cinemaId,
      hallId,
      startsAt,
      endsAt: r.body.endsAt,
      price: EUR(900),
      seatNumbers: ["A1", "A2", "B1", "B2", "B3"],
      movieTitle: "Metropolis",
      cinemaName: "Roxy",
      hallName: "Hall 1",
      timeZone: "Europe/Berlin"
    })
  })

  test("an offset other than Z is accepted and answered in UTC", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const utc = inMinutes(h, 120)
    const withOffset = new Date(Date.parse(utc) + 2 * 3_600_000).toISOString().replace("Z", "+02:00")
    const r = await schedule({ movieId, hallId, startsAt: withOffset, price: EUR(500) })
    expect(r.status).toBe(201)
    expect(r.body.startsAt).toBe(utc)
  })

  test("without a token the request is refused with 401, before the body is looked at", async () => {
    expectProblem(await schedule({ nonsense: true }, ""), 401, "unauthorized")
  })

  test("a token signed by an unknown key is refused with 401", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    expectProblem(
      await schedule({ movieId, hallId, startsAt: inMinutes(h, 60), price: EUR(1) }, h.strangerToken),
      401,
      "invalid_token"
    )
  })

  test("a customer may not schedule screenings", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    expectProblem(await schedule({ movieId, hallId, startsAt: inMinutes(h, 60), price: EUR(1) }, h.customer), 403, "forbidden")
  })

  test("an unknown movie or hall is refused with 422 unknown_movie / unknown_hall", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const startsAt = inMinutes(h, 60)
    expectProblem(await schedule({ movieId: newId(), hallId, startsAt, price: EUR(1) }), 422, "unknown_movie")
    expectProblem(await schedule({ movieId, hallId: newId(), startsAt, price: EUR(1) }), 422, "unknown_hall")
  })

  test("a start time in the past, without an offset, or years ahead is refused with 422", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const past = new Date(h.time.now() - 60_000).toISOString()
    expectProblem(await schedule({ movieId, hallId, startsAt: past, price: EUR(1) }), 422, "starts_at_in_past")
    const noOffset = inMinutes(h, 60).replace("Z", "")
    const r = await schedule({ movieId, hallId, startsAt: noOffset, price: EUR(1) })
    expectProblem(r, 422, "invalid_input")
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain("startsAt")
    expectProblem(await schedule({ movieId, hallId, startsAt: "2999-01-01T00:00:00Z", price: EUR(1) }), 422, "starts_at_too_far")
  })

  test("a malformed price or a body that is not JSON is refused with a 4xx problem", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const startsAt = inMinutes(h, 60)
    expectProblem(await schedule({ movieId, hallId, startsAt, price: { amount: 12.5, currency: "EUR" } }), 422, "invalid_input")
    expectProblem(await schedule({ movieId, hallId, startsAt, price: { amount: 100, currency: "euro" } }), 422, "invalid_input")
    expectProblem(await h.api("POST", "/screenings", { token: h.staff, rawBody: "{not json" }), 400, "malformed_json")
  })

  test("a screening overlapping another in the same hall, cleaning gap included, is refused with 409 hall_busy", async () => {
    const { hallId, movieId } = await seedCatalog(h, { durationMinutes: 100 })
    const first = await schedule({ movieId, hallId, startsAt: inMinutes(h, 600), price: EUR(1) })
    expect(first.status).toBe(201)
    const endsAt = Date.parse(first.body.endsAt)
    const at = (ms: number) => new Date(ms).toISOString()
    // inside the film, and inside the 15-minute cleaning gap after it
    expectProblem(await schedule({ movieId, hallId, startsAt: at(endsAt - 30 * 60_000), price: EUR(1) }), 409, "hall_busy")
    expectProblem(await schedule({ movieId, hallId, startsAt: at(endsAt + 14 * 60_000), price: EUR(1) }), 409, "hall_busy")
    // ending (plus gap) after the other starts
    const before = Date.parse(first.body.startsAt) - 100 * 60_000 - 14 * 60_000
    expectProblem(await schedule({ movieId, hallId, startsAt: at(before), price: EUR(1) }), 409, "hall_busy")
    // right after the cleaning gap, and right before with the gap kept, both fit
    expect((await schedule({ movieId, hallId, startsAt: at(endsAt + 15 * 60_000), price: EUR(1) })).status).toBe(201)
    expect((await schedule({ movieId, hallId, startsAt: at(before - 60_000), price: EUR(1) })).status).toBe(201)
  })

  test("the same time in another hall is not a conflict", async () => {
    const a = await seedCatalog(h)
    const b = await seedCatalog(h, { cinemaId: a.cinemaId })
    const startsAt = inMinutes(h, 300)
    expect((await schedule({ movieId: a.movieId, hallId: a.hallId, startsAt, price: EUR(1) })).status).toBe(201)
    expect((await schedule({ movieId: a.movieId, hallId: b.hallId, startsAt, price: EUR(1) })).status).toBe(201)
  })

  test("concurrent requests for one slot schedule exactly one screening", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const startsAt = inMinutes(h, 400)
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => schedule({ movieId, hallId, startsAt, price: EUR(1) }))
    )
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409])
  })
})

describe("GET /screenings/{id}", () => {
  test("an unknown or malformed id is 404 screening_not_found", async () => {
    expectProblem(await h.api("GET", `/screenings/${newId()}`), 404, "screening_not_found")
    expectProblem(await h.api("GET", "/screenings/not-an-id"), 404, "screening_not_found")
    expectProblem(await h.api("GET", `/screenings/${newId()}/seats`), 404, "screening_not_found")
  })

  test("a malformed id gets the same 404 screening_not_found as an unknown one on every route that takes one", async () => {
    const staff = { authorization: `Bearer ${h.staff}`, "content-type": "application/json" }
    const call = (path: string, init: RequestInit = {}) => fetch(`${h.url}${path}`, init)
    await expectMalformedIdsLikeUnknown((id) => call(`/screenings/${id}`), "screening_not_found")
    await expectMalformedIdsLikeUnknown((id) => call(`/screenings/${id}/seats`), "screening_not_found")
    await expectMalformedIdsLikeUnknown(
      (id) => call(`/screenings/${id}`, { method: "PATCH", headers: staff, body: JSON.stringify({ price: EUR(1) }) }),
      "screening_not_found"
    )
    await expectMalformedIdsLikeUnknown((id) => call(`/screenings/${id}`, { method: "DELETE", headers: staff }), "screening_not_found")
  })

  test("an unknown route is a 404 problem too", async () => {
    expectProblem(await h.api("GET", "/screenings/a/b/c"), 404, "not_found")
  })

  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    await expectMethodNotAllowed(await fetch(`${h.url}/screenings/${newId()}/seats`, { method: "POST" }), "GET, HEAD")
    await expectMethodNotAllowed(await fetch(`${h.url}/screenings`, { method: "PUT" }), "GET, HEAD, POST")
    await expectMethodNotAllowed(await fetch(`${h.url}/screenings/${newId()}`, { method: "POST" }), "GET, HEAD, PATCH, DELETE")
    await expectProblemResponse(await fetch(`${h.url}/screenings/${newId()}/seats/A1`), 404, "not_found")
  })
})

describe("GET /screenings", () => {
  test("lists active screenings soonest first, filtered by movie, cinema and time window, page by page", async () => {
    const a = await seedCatalog(h, { durationMinutes: 60 })
    const other = await seedCatalog(h, { durationMinutes: 60 })
    const base = Date.parse(inMinutes(h, 2_000))
    const at = (i: number) => new Date(base + i * 120 * 60_000).toISOString()
    const ids: Array<string> = []
    for (const i of [2, 0, 3, 1]) {
      const r = await schedule({ movieId: a.movieId, hallId: a.hallId, startsAt: at(i), price: EUR(100 + i) })
      expect(r.status).toBe(201)
      ids[i] = r.body.screeningId
    }
    const elsewhere = await schedule({ movieId: other.movieId, hallId: other.hallId, startsAt: at(0), price: EUR(1) })
    expect(elsewhere.status).toBe(201)

    const byMovie = await h.api("GET", `/screenings?movieId=${a.movieId}`)
    expect(byMovie.status).toBe(200)
    expect(byMovie.body.items.map((s: { screeningId: string }) => s.screeningId)).toEqual(ids)
    expect(byMovie.body.nextCursor).toBeNull()

    const byCinema = await h.api("GET", `/screenings?cinemaId=${other.cinemaId}`)
    expect(byCinema.body.items.map((s: { screeningId: string }) => s.screeningId)).toEqual([elsewhere.body.screeningId])

    const window = await h.api(
      "GET",
      `/screenings?movieId=${a.movieId}&from=${encodeURIComponent(at(1))}&to=${encodeURIComponent(at(3))}`
    )
    expect(window.body.items.map((s: { screeningId: string }) => s.screeningId)).toEqual([ids[1], ids[2]])

    const seen: Array<string> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Reply = await h.api(
        "GET",
        `/screenings?movieId=${a.movieId}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`
      )
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((s: { screeningId: string }) => s.screeningId))
      cursor = page.body.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    expect(pages).toBe(2)
    expect(seen).toEqual(ids)
  })

  test("bad filters, limits and cursors are refused with 422", async () => {
    expectProblem(await h.api("GET", "/screenings?movieId=abc"), 422, "invalid_input")
    expectProblem(await h.api("GET", "/screenings?limit=0"), 422, "invalid_input")
    expectProblem(await h.api("GET", "/screenings?limit=201"), 422, "invalid_input")
    expectProblem(await h.api("GET", "/screenings?from=2030-01-01"), 422, "invalid_input")
    expectProblem(await h.api("GET", "/screenings?cursor=bm9wZQ"), 422, "invalid_cursor")
    expectProblem(await h.api("GET", "/screenings?limit=1e1"), 422, "invalid_input")
  })

  test("a cursor the list did not hand out is 422 invalid_cursor with a field error on cursor", async () => {
    await expectBadCursorsRefused((cursor) => fetch(`${h.url}/screenings?limit=1&cursor=${cursor}`))
  })
})

describe("PATCH /screenings/{id}", () => {
  test("staff move a screening and change its price; each change bumps the revision and emits ScreeningUpdated", async () => {
    const { hallId, movieId } = await seedCatalog(h, { durationMinutes: 90 })
    const created = await schedule({ movieId, hallId, startsAt: inMinutes(h, 3_000), price: EUR(1000) })
    const id = created.body.screeningId
    const newStart = inMinutes(h, 3_300)
    const moved = await h.api("PATCH", `/screenings/${id}`, { token: h.staff, body: { startsAt: newStart } })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({
      screeningId: id,
      startsAt: newStart,
      endsAt: new Date(Date.parse(newStart) + 90 * 60_000).toISOString(),
      price: EUR(1000),
      status: "scheduled"
    })
    const repriced = await h.api("PATCH", `/screenings/${id}`, { token: h.staff, body: { price: EUR(1500) } })
    expect(repriced.status).toBe(200)
    expect(repriced.body.price).toEqual(EUR(1500))
    expect((await h.api("GET", `/screenings/${id}`)).body).toEqual(repriced.body)

    await h.waitForEvent((e) => e.type === "ScreeningUpdated" && e.data.screeningId === id && e.data.revision === 3, "revision 3")
    const updates = h.emitted.filter((e) => e.type === "ScreeningUpdated" && e.data.screeningId === id).map((e) => e.data)
    const names = { movieTitle: "Metropolis", cinemaName: "Roxy", hallName: "Hall 1", timeZone: "Europe/Berlin" }
    expect(updates).toEqual([
      { screeningId: id, revision: 2, startsAt: newStart, endsAt: moved.body.endsAt, price: EUR(1000), ...names },
      { screeningId: id, revision: 3, startsAt: newStart, endsAt: moved.body.endsAt, price: EUR(1500), ...names }
    ])
  })

  test("a patch that changes nothing answers the screening and emits nothing", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const created = await schedule({ movieId, hallId, startsAt: inMinutes(h, 3_100), price: EUR(700) })
    const id = created.body.screeningId
    const r = await h.api("PATCH", `/screenings/${id}`, { token: h.staff, body: { price: EUR(700) } })
    expect(r.status).toBe(200)
    expect(r.body).toEqual(created.body)
    // A later real change carries revision 2, so the no-op did not count as one.
    await h.api("PATCH", `/screenings/${id}`, { token: h.staff, body: { price: EUR(701) } })
    const e = await h.waitForEvent((e) => e.type === "ScreeningUpdated" && e.data.screeningId === id, "update")
    expect(e.data.revision).toBe(2)
  })

  test("moving onto another screening's slot is 409 hall_busy; moving within its own slot is fine", async () => {
    const { hallId, movieId } = await seedCatalog(h, { durationMinutes: 60 })
    const first = await schedule({ movieId, hallId, startsAt: inMinutes(h, 3_500), price: EUR(1) })
    const second = await schedule({ movieId, hallId, startsAt: inMinutes(h, 3_700), price: EUR(1) })
    expect([first.status, second.status]).toEqual([201, 201])
    expectProblem(
      await h.api("PATCH", `/screenings/${second.body.screeningId}`, { token: h.staff, body: { startsAt: inMinutes(h, 3_530) } }),
      409,
      "hall_busy"
    )
    const nudged = await h.api("PATCH", `/screenings/${first.body.screeningId}`, {
      token: h.staff,
      body: { startsAt: inMinutes(h, 3_510) }
    })
    expect(nudged.status).toBe(200)
  })

  test("refusals: 401 without a token, 403 for a customer, 404 unknown, 422 bad body or past start", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const created = await schedule({ movieId, hallId, startsAt: inMinutes(h, 3_900), price: EUR(1) })
    const path = `/screenings/${created.body.screeningId}`
    expectProblem(await h.api("PATCH", path, { body: { price: EUR(2) } }), 401, "unauthorized")
    expectProblem(await h.api("PATCH", path, { token: h.customer, body: { price: EUR(2) } }), 403, "forbidden")
    expectProblem(await h.api("PATCH", `/screenings/${newId()}`, { token: h.staff, body: { price: EUR(2) } }), 404, "screening_not_found")
    expectProblem(await h.api("PATCH", path, { token: h.staff, body: { price: { amount: -1, currency: "EUR" } } }), 422, "invalid_input")
    expectProblem(
      await h.api("PATCH", path, { token: h.staff, body: { startsAt: new Date(h.time.now() - 1_000).toISOString() } }),
      422,
      "starts_at_in_past"
    )
  })

  test("a screening that has begun or was cancelled cannot be changed (409)", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const soon = await schedule({ movieId, hallId, startsAt: inMinutes(h, 30), price: EUR(1) })
    const later = await schedule({ movieId, hallId, startsAt: inMinutes(h, 4_000), price: EUR(1) })
    expect(await h.api("DELETE", `/screenings/${later.body.screeningId}`, { token: h.staff })).toMatchObject({ status: 204 })
    expectProblem(
      await h.api("PATCH", `/screenings/${later.body.screeningId}`, { token: h.staff, body: { price: EUR(2) } }),
      409,
      "screening_cancelled"
    )
    h.time.advance(31 * 60_000)
    expectProblem(
      await h.api("PATCH", `/screenings/${soon.body.screeningId}`, { token: h.staff, body: { price: EUR(2) } }),
      409,
      "screening_started"
    )
  })
})

describe("DELETE /screenings/{id}", () => {
  test("staff cancel a screening: 204, ScreeningCancelled, still readable as cancelled, gone from the list, hall freed", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const startsAt = inMinutes(h, 5_000)
    const created = await schedule({ movieId, hallId, startsAt, price: EUR(1) })
    const id = created.body.screeningId
    const r = await h.api("DELETE", `/screenings/${id}`, { token: h.staff })
    expect(r.status).toBe(204)
    const event = await h.waitForEvent((e) => e.type === "ScreeningCancelled" && e.data.screeningId === id, "ScreeningCancelled")
    expect(event.data).toEqual({ screeningId: id, reason: "cancelled_by_staff" })
    expect((await h.api("GET", `/screenings/${id}`)).body).toEqual({ ...created.body, status: "cancelled" })
    expect((await h.api("GET", `/screenings?movieId=${movieId}`)).body.items).toEqual([])
    // the slot is free again
    expect((await schedule({ movieId, hallId, startsAt, price: EUR(1) })).status).toBe(201)
    // cancelling again changes nothing and emits nothing more
    expect((await h.api("DELETE", `/screenings/${id}`, { token: h.staff })).status).toBe(204)
    expect(h.emitted.filter((e) => e.type === "ScreeningCancelled" && e.data.screeningId === id)).toHaveLength(1)
  })

  test("refusals: 401 without a token, 403 for a customer, 404 unknown, 409 once begun", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const created = await schedule({ movieId, hallId, startsAt: inMinutes(h, 20), price: EUR(1) })
    const path = `/screenings/${created.body.screeningId}`
    expectProblem(await h.api("DELETE", path), 401, "unauthorized")
    expectProblem(await h.api("DELETE", path, { token: h.customer }), 403, "forbidden")
    expectProblem(await h.api("DELETE", `/screenings/${newId()}`, { token: h.staff }), 404, "screening_not_found")
    h.time.advance(21 * 60_000)
    expectProblem(await h.api("DELETE", path, { token: h.staff }), 409, "screening_started")
    // begun: it stays scheduled, but is no longer listed as active
    expect((await h.api("GET", path)).body.status).toBe("scheduled")
    expect((await h.api("GET", `/screenings?movieId=${movieId}`)).body.items).toEqual([])
  })
})
