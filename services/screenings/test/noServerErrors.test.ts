// Property: no request, however malformed its body, path, id, query string or token, yields a 5xx.
import { newId } from "@bat/contracts"
import { afterAll, beforeAll, expect, test } from "bun:test"
import fc from "fast-check"
import { assertNoServerErrors, OVERSIZED_MARKERS, pollUntil, type FuzzRequest } from "@bat/testing"
import { inMinutes, seedCatalog, startHarness, type Harness } from "./harness.ts"

let h: Harness
let known: { movieId: string; hallId: string; screeningId: string }

beforeAll(async () => {
  h = await startHarness()
  const { movieId, hallId } = await seedCatalog(h)
  const r = await h.api("POST", "/screenings", {
    token: h.staff,
    body: { movieId, hallId, startsAt: inMinutes(h, 10_000), price: { amount: 100, currency: "EUR" } }
  })
  expect(r.status).toBe(201)
  known = { movieId, hallId, screeningId: r.body.screeningId }
})
afterAll(async () => {
  await h?.stop()
})

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("", " ", "%", "%E0%A4%A", "..", "%00", "null", "-1", "1e400", "ZZ", "\u0000", "🎬", "a".repeat(5_000))
)
const isoish = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace("Z", "+14:00")),
  fc.constantFrom("2030-02-30T10:00:00Z", "2030-01-01T25:00:00Z", "2030-01-01T10:00:00+99:99", "2030-01-01", "+275760-09-13T00:00:00Z"),
  nasty
)
const uuidish = fc.oneof(fc.uuid(), fc.constant(newId()), fc.constant(newId().toUpperCase()), nasty)
const idLike = () => fc.oneof(uuidish, fc.constant(known.movieId), fc.constant(known.hallId), fc.constant(known.screeningId))
const money = fc.oneof(
  fc.record({ amount: fc.oneof(fc.integer(), fc.double(), fc.bigInt().map(String), nasty), currency: fc.oneof(fc.constantFrom("EUR", "eur", "EURO"), nasty) }, { requiredKeys: [] }),
  fc.anything()
)
const screeningBody = () =>
  fc.record(
    { movieId: idLike(), hallId: idLike(), startsAt: isoish, price: money, extra: fc.anything() },
    { requiredKeys: [] }
  )
const body = () =>
  fc.oneof(
    { arbitrary: screeningBody().map((b) => JSON.stringify(b)), weight: 4 },
    { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 },
    { arbitrary: nasty, weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.constantFrom(...OVERSIZED_MARKERS), weight: 1 }
  )
const queryString = fc
  .array(
    fc.tuple(
      fc.constantFrom("limit", "cursor", "movieId", "cinemaId", "from", "to", "x"),
      fc.oneof(fc.integer().map(String), isoish, uuidish, fc.base64String(), nasty)
    ),
    { maxLength: 6 }
  )
  .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`))
const rawQuery = fc.oneof(queryString, nasty.map((s) => `?${s}`))
const path = () =>
  fc.oneof(
    { arbitrary: fc.constant("/screenings"), weight: 4 },
    { arbitrary: idLike().map((id) => `/screenings/${encodeURIComponent(id)}`), weight: 4 },
    { arbitrary: idLike().map((id) => `/screenings/${encodeURIComponent(id)}/seats`), weight: 2 },
    { arbitrary: nasty.map((s) => `/screenings/${s}`), weight: 1 },
    { arbitrary: nasty.map((s) => `/screenings/${encodeURIComponent(s)}/seats`), weight: 1 }
  )

test("random and malformed bodies, ids, query strings and tokens never yield a 5xx", async () => {
  const tokens = [undefined, h.staff, h.staff, h.staff, h.customer, h.strangerToken, "garbage", "a.b.c"]
  const requests = fc
    .tuple(
      fc.constantFrom("GET", "GET", "POST", "POST", "PATCH", "PATCH", "DELETE", "PUT"),
      path(),
      rawQuery,
      body(),
      fc.constantFrom(...tokens),
      fc.constantFrom("application/json", "application/json", "text/plain", "application/x-www-form-urlencoded")
    )
    .map(([method, p, q, b, token, contentType]): FuzzRequest => ({
      method,
      path: `${p}${q}`,
      body: b,
      headers: { "content-type": contentType, authorization: token ? `Bearer ${token}` : undefined }
    }))
  await assertNoServerErrors({ url: h.url, requests, numRuns: 1_500 })
}, 120_000)

test("near-valid schedules and patches by staff are answered 2xx, 404, 409 or 422, never 5xx", async () => {
  const near = fc.record({
    movieId: fc.oneof({ arbitrary: fc.constant(known.movieId), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }),
    hallId: fc.oneof({ arbitrary: fc.constant(known.hallId), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }),
    startsAt: fc.oneof(
      { arbitrary: fc.integer({ min: -100_000, max: 3_000_000 }).map((m) => new Date(h.time.now() + m * 60_000).toISOString()), weight: 4 },
      { arbitrary: isoish, weight: 1 }
    ),
    price: fc.record({
      amount: fc.oneof({ arbitrary: fc.integer({ min: -5, max: 200_000_000 }), weight: 4 }, { arbitrary: fc.double(), weight: 1 }),
      currency: fc.constantFrom("EUR", "USD", "EUR", "eur", "")
    })
  })
  const seen = new Set<number>()
  await fc.assert(
    fc.asyncProperty(near, fc.boolean(), async (b, patch) => {
      const r = patch
        ? await h.api("PATCH", `/screenings/${known.screeningId}`, { token: h.staff, body: { startsAt: b.startsAt, price: b.price } })
        : await h.api("POST", "/screenings", { token: h.staff, body: b })
      seen.add(r.status)
      expect([200, 201, 404, 409, 422]).toContain(r.status)
    }),
    { numRuns: 800 }
  )
  // the property reached the use cases, not only the validator
  expect(seen.has(201)).toBe(true)
  expect(seen.has(409) || seen.has(200)).toBe(true)
}, 120_000)

test("malformed events are parked at once, the projections stay untouched and the service keeps serving", async () => {
  await h.publishRaw("HallCreated", "{not json")
  const hallId = newId()
  await h.publish("HallCreated", { hallId, cinemaId: newId(), name: "x", rows: [], capacity: 0 })
  const parked = await pollUntil(
    async () => {
      const r = await h.api("GET", "/screenings/_ops/dlq", { token: h.staff })
      return r.status === 200 && r.body.count === 2 && r.body
    },
    { message: "both malformed events in the DLQ" }
  )
  expect(parked.count).toBe(2)
  expect((await h.api("POST", "/screenings", {
    token: h.staff,
    body: { movieId: known.movieId, hallId, startsAt: inMinutes(h, 20_000), price: { amount: 1, currency: "EUR" } }
  })).body.code).toBe("unknown_hall")
  expect((await h.api("GET", `/screenings/${known.screeningId}`)).status).toBe(200)
})
