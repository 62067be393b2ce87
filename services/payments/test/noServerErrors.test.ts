import { newId } from "@bat/contracts"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { assertNoServerErrors, OVERSIZED_MARKERS, type FuzzRequest } from "@bat/testing"
import fc from "fast-check"
import { SUCCESS_CARD, startHarness, type Harness } from "./harness.ts"

let h: Harness
let owners: Array<{ bookingId: string; token: string }> = []

beforeAll(async () => {
  // A low payment rate per account, so that the owners' many attempts meet it too (429 rate_limited).
  h = await startHarness({ env: { PAY_RATE_PER_ACCOUNT: "2/1m" } })
  owners = await Promise.all(
    Array.from({ length: 5 }, async () => {
      const r = await h.reserve()
      await h.paymentOf(r.bookingId)
      return { bookingId: r.bookingId, token: await h.token(r.userId) }
    })
  )
})
afterAll(async () => {
  await h?.stop()
})

const printable = (max: number) => fc.string({ unit: fc.constantFrom(..." !\"#$%&'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~"), maxLength: max })
const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(-0))
const cardNumber = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[0-9]{10,21}$/),
  fc.constantFrom("4242424242424242", "4000000000000002", "4000000000009995", "4242424242424241", "")
)
const card = fc.record(
  {
    number: fc.oneof(cardNumber, anyNumber, fc.constant(null)),
    expMonth: fc.oneof(fc.integer({ min: -2, max: 14 }), anyNumber, fc.string()),
    expYear: fc.oneof(fc.integer({ min: 1990, max: 2110 }), anyNumber, fc.string()),
    cvc: fc.oneof(fc.stringMatching(/^[0-9]{2,5}$/), fc.string(), anyNumber)
  },
  { requiredKeys: [] }
)
const bookingIdArb = fc.oneof(fc.uuid(), fc.string(), fc.integer({ min: 0, max: 4 }).map((i) => `owned:${i}`))
const ownedId = fc.integer({ min: 0, max: 4 }).map((i) => `owned:${i}`)
const validish = fc
  .record({
    bookingId: fc.oneof(ownedId, fc.uuid()),
    card: fc.record({
      number: fc.constantFrom("4242424242424242", "4000000000000002", "4000000000009995", "5555555555554444"),
      expMonth: fc.integer({ min: 1, max: 12 }),
      expYear: fc.integer({ min: 2027, max: 2099 }),
      cvc: fc.stringMatching(/^[0-9]{3,4}$/)
    })
  })
  .map((b) => JSON.stringify(b))
const body = fc.oneof(
  { arbitrary: validish, weight: 3 },
  { arbitrary: fc.record({ bookingId: fc.oneof(bookingIdArb, anyNumber, fc.constant(null)), card: fc.oneof(card, fc.anything()) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)), weight: 2 },
  fc.anything().map((v) => JSON.stringify(v) ?? "null"),
  fc.string(),
  fc.constantFrom("{", "[]", "null", '{"card":', "\u0000", ""),
  fc.constantFrom(...OVERSIZED_MARKERS)
)
const auth = fc.constantFrom("owner", "stranger", "staff", "none", "garbage")

/** The caller's authorization: the booking's owner, another customer, staff, a bad token or none. */
const authorizationOf = (who: string, ownerToken: string): string | undefined =>
  ({ owner: `Bearer ${ownerToken}`, stranger: `Bearer ${tokens.stranger}`, staff: `Bearer ${tokens.staff}`, garbage: "Bearer not.a.token" })[who]
const tokens = { stranger: "", staff: "" }
beforeAll(async () => {
  tokens.stranger = await h.token(newId())
  tokens.staff = await h.token(newId(), "staff")
})

test("POST /payments answers any body, header and token with a 2xx or 4xx problem, never a 5xx", async () => {
  const requests = fc
    .tuple(
      body,
      auth,
      fc.nat({ max: 4 }),
      fc.option(fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/), weight: 3 }, printable(260))),
      fc.oneof(
        { arbitrary: fc.constant("application/json"), weight: 4 },
        fc.constantFrom("text/plain", "application/x-www-form-urlencoded", undefined)
      )
    )
    .map(([raw, who, ownerIndex, key, contentType]): FuzzRequest => ({
      method: "POST",
      path: "/payments",
      body: raw.replaceAll(/"owned:(\d)"/g, (_, i: string) => JSON.stringify(owners[Number(i)]!.bookingId)),
      headers: {
        authorization: authorizationOf(who, owners[ownerIndex]!.token),
        "content-type": contentType,
        "idempotency-key": key ?? undefined
      }
    }))
  const seen = await assertNoServerErrors({ url: h.url, requests, numRuns: 250 })
  // The run reached the use case, not only validation, and the rate limit.
  expect([...seen.keys()].filter((s) => s === 200 || s === 409).length).toBeGreaterThan(0)
  expect(seen.get(413)).toBeGreaterThan(0)
  // Whatever the run left of the owners' rates, a burst from one of them meets it: 429 problems, never a 5xx.
  const burst = fc.constant<FuzzRequest>({
    method: "POST",
    path: "/payments",
    body: JSON.stringify({ bookingId: owners[0]!.bookingId, card: SUCCESS_CARD }),
    headers: { authorization: `Bearer ${owners[0]!.token}`, "content-type": "application/json" }
  })
  const burstSeen = await assertNoServerErrors({ url: h.url, requests: burst, numRuns: 3 })
  expect(burstSeen.get(429)).toBeGreaterThan(0)
})

test("any payment id or path under /payments is answered without a 5xx", async () => {
  const requests = fc
    .tuple(fc.oneof(fc.string(), fc.uuid(), fc.string({ maxLength: 400 })), auth, fc.boolean())
    .map(([id, who, nested]): FuzzRequest => ({
      method: nested ? "PUT" : "GET",
      path: `/payments/${encodeURIComponent(id)}${nested ? "/x" : ""}`,
      headers: { authorization: authorizationOf(who, owners[0]!.token) }
    }))
  await assertNoServerErrors({ url: h.url, requests, numRuns: 300 })
})

test("a valid payment still works after the fuzzing", async () => {
  const r = await h.reserve()
  await h.paymentOf(r.bookingId)
  const res = await h.pay(await h.token(r.userId), { bookingId: r.bookingId, card: SUCCESS_CARD })
  expect(res.status).toBe(200)
})
