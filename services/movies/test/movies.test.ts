import type { RunningService } from "@bat/http"
import { bootService } from "@bat/http"
import { assertNoServerErrors, createTestVhost, fuzz, jsonRequest, serviceAmqpUrl, type TestVhost } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import fc from "fast-check"
import { moviesService } from "../src/service.ts"
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

interface Movie {
  movieId: string
  title: string
  genre: string
  durationMinutes: number
  revision: number
}

let n = 0
const addMovie = async (title = `Film ${++n}`) => {
  const res = await send("POST", "/movies", { title, genre: "Drama", durationMinutes: 100 })
  expect(res.status).toBe(201)
  return (await res.json()) as Movie
}

beforeAll(async () => {
  vhost = await createTestVhost({ layout: true })
  data = tempDir("movies")
  mint = await startTokenMint()
  tap = await tapExchange(vhost.amqpUrl, "movies.events")
  svc = await bootService(moviesService({ PORT: "0", DATA_DIR: data.dir, AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "movies"), JWKS_URL: mint.jwksUrl }))
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

describe("movies", () => {
  test("staff adds a movie: 201 with revision 1, MovieAdded is emitted, and anyone can read it", async () => {
    const res = await send("POST", "/movies", { title: "Metropolis", genre: "Science fiction", durationMinutes: 153 })
    expect(res.status).toBe(201)
    const movie = (await res.json()) as Movie
    expect(movie).toEqual({ movieId: expect.any(String), title: "Metropolis", genre: "Science fiction", durationMinutes: 153, revision: 1 })
    const event = await tap.waitFor("MovieAdded", (d) => d.movieId === movie.movieId)
    expect(event.data).toEqual(movie)
    expect(structuredClone(event)).toMatchObject({ version: 1, source: "movies", causationId: null })
    const shown = await call(`/movies/${movie.movieId}`)
    expect(shown.status).toBe(200)
    expect(await shown.json()).toEqual(movie)
  })

  test("adding a movie needs a staff token: none is 401, an expired one 401 token_expired, a customer's 403", async () => {
    const body = { title: "X", genre: "Y", durationMinutes: 90 }
    await expectProblem(await send("POST", "/movies", body, {}), 401, "unauthorized")
    const expired = bearer(await mint.token(crypto.randomUUID(), "staff", { expiresInSeconds: -60 }))
    await expectProblem(await send("POST", "/movies", body, expired), 401, "token_expired")
    await expectProblem(await send("POST", "/movies", body, customer), 403, "forbidden")
  })

  test("a duration outside 1..600 minutes, a missing or blank field is 422 invalid_input; broken JSON is 400", async () => {
    for (const durationMinutes of [0, 601, -5, 90.5, "90"]) {
      await expectProblem(await send("POST", "/movies", { title: "X", genre: "Y", durationMinutes }), 422, "invalid_input")
    }
    expect((await send("POST", "/movies", { title: "Short", genre: "Y", durationMinutes: 1 })).status).toBe(201)
    expect((await send("POST", "/movies", { title: "Long", genre: "Y", durationMinutes: 600 })).status).toBe(201)
    await expectProblem(await send("POST", "/movies", { title: "X", durationMinutes: 90 }), 422, "invalid_input")
    await expectProblem(await send("POST", "/movies", { title: "", genre: "Y", durationMinutes: 90 }), 422, "invalid_input")
    const broken = await call("/movies", { method: "POST", body: "[", headers: { "content-type": "application/json", ...staff } })
    await expectProblem(broken, 400, "malformed_json")
  })

  test("an unknown or malformed movie id is 404 movie_not_found", async () => {
    await expectProblem(await call(`/movies/${crypto.randomUUID()}`), 404, "movie_not_found")
    await expectProblem(await call("/movies/nope"), 404, "movie_not_found")
  })

  test("a malformed movie id gets the same 404 movie_not_found as an unknown one on every route that takes one", async () => {
    await expectMalformedIdsLikeUnknown((id) => call(`/movies/${id}`), "movie_not_found")
    await expectMalformedIdsLikeUnknown((id) => send("PATCH", `/movies/${id}`, { title: "X" }), "movie_not_found")
    await expectMalformedIdsLikeUnknown((id) => call(`/movies/${id}`, { method: "DELETE", headers: staff }), "movie_not_found")
  })

  test("a cursor the list did not hand out is 422 invalid_cursor, not a silent page", async () => {
    await addMovie()
    await expectBadCursorsRefused((cursor) => call(`/movies?limit=1&cursor=${cursor}`))
  })

  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    await expectMethodNotAllowed(await call("/movies", { method: "PUT", headers: staff }), "GET, HEAD, POST")
    await expectMethodNotAllowed(await call(`/movies/${crypto.randomUUID()}`, { method: "POST", headers: staff }), "GET, HEAD, PATCH, DELETE")
    await expectProblem(await call("/movies/x/y"), 404, "not_found")
  })

  test("staff updates a movie: each PATCH is 200 and raises the revision by one, announced with MovieUpdated", async () => {
    const movie = await addMovie()
    const first = await send("PATCH", `/movies/${movie.movieId}`, { durationMinutes: 120 })
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ ...movie, durationMinutes: 120, revision: 2 })
    const second = await send("PATCH", `/movies/${movie.movieId}`, { title: "Director's cut", genre: "Noir" })
    expect(await second.json()).toEqual({ ...movie, title: "Director's cut", genre: "Noir", durationMinutes: 120, revision: 3 })
    await tap.waitFor("MovieUpdated", (d) => d.movieId === movie.movieId && d.revision === 3)
    const updates = tap.events.filter((e) => e.type === "MovieUpdated" && e.data.movieId === movie.movieId).map((e) => e.data)
    expect(updates).toEqual([
      { ...movie, durationMinutes: 120, revision: 2 },
      { ...movie, title: "Director's cut", genre: "Noir", durationMinutes: 120, revision: 3 }
    ])
  })

  test("a PATCH that is empty or invalid is 422, by a customer 403, without a token 401, of an unknown movie 404", async () => {
    const movie = await addMovie()
    await expectProblem(await send("PATCH", `/movies/${movie.movieId}`, {}), 422, "invalid_input")
    await expectProblem(await send("PATCH", `/movies/${movie.movieId}`, { durationMinutes: 0 }), 422, "invalid_input")
    await expectProblem(await send("PATCH", `/movies/${movie.movieId}`, { title: "X" }, customer), 403, "forbidden")
    await expectProblem(await send("PATCH", `/movies/${movie.movieId}`, { title: "X" }, {}), 401, "unauthorized")
    await expectProblem(await send("PATCH", `/movies/${crypto.randomUUID()}`, { title: "X" }), 404, "movie_not_found")
    expect(((await (await call(`/movies/${movie.movieId}`)).json()) as Movie).revision).toBe(1)
  })

  test("removing a movie is 204 and emits MovieRemoved; afterwards it is 404 everywhere and never comes back", async () => {
    const movie = await addMovie()
    await expectProblem(await call(`/movies/${movie.movieId}`, { method: "DELETE", headers: customer }), 403, "forbidden")
    await expectProblem(await call(`/movies/${movie.movieId}`, { method: "DELETE" }), 401, "unauthorized")
    expect((await call(`/movies/${movie.movieId}`, { method: "DELETE", headers: staff })).status).toBe(204)
    expect((await tap.waitFor("MovieRemoved", (d) => d.movieId === movie.movieId)).data).toEqual({ movieId: movie.movieId })
    await expectProblem(await call(`/movies/${movie.movieId}`), 404, "movie_not_found")
    await expectProblem(await call(`/movies/${movie.movieId}`, { method: "DELETE", headers: staff }), 404, "movie_not_found")
    await expectProblem(await send("PATCH", `/movies/${movie.movieId}`, { title: "Back" }), 404, "movie_not_found")
    expect(tap.events.filter((e) => e.type === "MovieRemoved" && e.data.movieId === movie.movieId)).toHaveLength(1)
    expect(tap.events.filter((e) => e.type === "MovieUpdated" && e.data.movieId === movie.movieId)).toHaveLength(0)
  })

  test("anyone lists live movies a page at a time, following nextCursor", async () => {
    const added = [await addMovie(), await addMovie(), await addMovie()]
    expect((await call(`/movies/${added[1]!.movieId}`, { method: "DELETE", headers: staff })).status).toBe(204)
    const seen: Array<Movie> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await call(`/movies?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
      expect(res.status).toBe(200)
      const page = (await res.json()) as { items: Array<Movie>; nextCursor: string | null }
      expect(page.items.length).toBeLessThanOrEqual(1)
      seen.push(...page.items)
      cursor = page.nextCursor
      pages++
    } while (cursor !== null && pages < 100)
    const ids = seen.map((m) => m.movieId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(expect.arrayContaining([added[0]!.movieId, added[2]!.movieId]))
    expect(ids).not.toContain(added[1]!.movieId)
    const all = (await (await call("/movies")).json()) as { items: Array<Movie>; nextCursor: string | null }
    expect(all).toEqual({ items: seen, nextCursor: null })
    await expectProblem(await call("/movies?limit=0"), 422, "invalid_input")
    await expectProblem(await call("/movies?limit=1.5"), 422, "invalid_input")
  })
})

describe("operations", () => {
  test("every event went out persistent, with messageId and type matching its envelope", () => {
    expect(tap.events.length).toBeGreaterThan(0)
    expect(tap.badProperties).toEqual([])
  })
})

describe("robustness", () => {
  test("no method, path, body, query or token sent to the movies endpoints yields a 5xx", async () => {
    const movie = await addMovie()
    const target = fc.oneof(
      fc.constantFrom({ method: "GET", path: "/movies" }, { method: "POST", path: "/movies" }),
      fc.record({ method: fc.constantFrom("GET", "PATCH", "DELETE", "PUT", "POST"), path: fuzz.segment(movie.movieId).map((s) => `/movies/${s}`) })
    )
    const fields = fc.record(
      {
        title: fc.oneof(fc.string({ maxLength: 250 }), fc.anything()),
        genre: fc.oneof(fc.string({ maxLength: 60 }), fc.anything()),
        durationMinutes: fc.oneof(fc.integer({ min: -10, max: 700 }), fc.double(), fc.string(), fc.anything())
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
