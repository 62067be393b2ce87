// Payment attempts per account (DESIGN §17): past the rate 429 rate_limited with Retry-After, before the card is
// looked at; other accounts are not held up; ABUSE_LIMITS=off lifts it.
import { newId } from "@bat/contracts"
import { afterAll, describe, expect, test } from "bun:test"
import { SUCCESS_CARD, startHarness, type Harness } from "./harness.ts"

const harnesses: Array<Harness> = []
afterAll(async () => {
  for (const h of harnesses) await h.stop()
})

const metric = async (h: Harness, limit: string) => {
  const text = await (await fetch(`${h.url}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`bookaticket_rate_limited_total{limit="${limit}"}`))
  return line === undefined ? undefined : Number(line.split(" ").at(-1))
}

describe("payments per account", () => {
  test("the third attempt within the rate is 429 rate_limited with Retry-After, and charges nothing", async () => {
    const h = await startHarness({ env: { PAY_RATE_PER_ACCOUNT: "2/1m" } })
    harnesses.push(h)
    expect(await metric(h, "pay_account")).toBeGreaterThanOrEqual(0)
    const before = (await metric(h, "pay_account"))!
    const r = await h.reserve()
    await h.paymentOf(r.bookingId)
    const token = await h.token(r.userId)
    // Two tries at bookings payments does not know (409 reservation_not_found_yet) use up the account's rate…
    expect((await h.pay(token, { bookingId: newId(), card: SUCCESS_CARD })).status).toBe(409)
    expect((await h.pay(token, { bookingId: newId(), card: SUCCESS_CARD })).status).toBe(409)
    // …so its own payment now waits.
    const refused = await fetch(`${h.url}/payments`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ bookingId: r.bookingId, card: SUCCESS_CARD })
    })
    expect(refused.status).toBe(429)
    expect(refused.headers.get("content-type")).toBe("application/problem+json")
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(29)
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(30)
    expect(((await refused.json()) as { code: string }).code).toBe("rate_limited")
    expect(h.ledger().charges).toHaveLength(0)
    expect((await metric(h, "pay_account"))! - before).toBe(1)
    // Another account pays.
    const other = await h.reserve()
    await h.paymentOf(other.bookingId)
    const paid = await h.pay(await h.token(other.userId), { bookingId: other.bookingId, card: SUCCESS_CARD })
    expect(paid.status).toBe(200)
    expect(paid.body.status).toBe("succeeded")
  })

  test("ABUSE_LIMITS=off lifts it", async () => {
    const h = await startHarness({ env: { ABUSE_LIMITS: "off", PAY_RATE_PER_ACCOUNT: "1/1h" } })
    harnesses.push(h)
    const token = await h.token(newId())
    for (let i = 0; i < 3; i++) expect((await h.pay(token, { bookingId: newId(), card: SUCCESS_CARD })).status).toBe(409)
  })
})
