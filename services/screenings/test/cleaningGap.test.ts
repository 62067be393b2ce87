// CLEANING_GAP_MINUTES from the environment decides how long a hall stays occupied after a screening.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { inMinutes, seedCatalog, startHarness, type Harness } from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness({ CLEANING_GAP_MINUTES: "30" })
})
afterAll(async () => {
  await h?.stop()
})

test("with a 30-minute cleaning gap the next screening may start 30 minutes after the previous one ends, not sooner", async () => {
  const { hallId, movieId } = await seedCatalog(h, { durationMinutes: 60 })
  const schedule = (startsAt: string) =>
    h.api("POST", "/screenings", { token: h.staff, body: { movieId, hallId, startsAt, price: { amount: 1, currency: "EUR" } } })
  const first = await schedule(inMinutes(h, 120))
  expect(first.status).toBe(201)
  const endsAt = Date.parse(first.body.endsAt)
  const tooSoon = await schedule(new Date(endsAt + 29 * 60_000).toISOString())
  expect({ status: tooSoon.status, code: tooSoon.body.code }).toEqual({ status: 409, code: "hall_busy" })
  expect((await schedule(new Date(endsAt + 30 * 60_000).toISOString())).status).toBe(201)
})

test("the OpenAPI document describes the screenings routes", async () => {
  const r = await h.api("GET", "/screenings/openapi/json")
  expect(r.status).toBe(200)
  expect(Object.keys(r.body.paths)).toEqual(
    expect.arrayContaining(["/screenings", "/screenings/{id}", "/screenings/{id}/seats"])
  )
})
