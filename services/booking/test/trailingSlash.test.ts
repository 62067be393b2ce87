// A path the router cannot take apart (an undecodable `%` before a trailing slash) is a 404 problem the
// route's document names, like any malformed id (DESIGN §5); the contract-check preload checks the body.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { startHarness, type Harness } from "./harness.ts"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.stop())

test("malformed booking ids, with and without a trailing slash, are 404 problems", async () => {
  const userId = newId()
  for (const id of ["%", "%/", "abc/", "%E0%A4%A", "%E0%A4%A/", "%25/"]) {
    const res = await h.call("GET", `/tickets/bookings/${id}`, { userId })
    expect(res.status).toBe(404)
    expect(res.headers.get("content-type")).toContain("application/problem+json")
    expect(["booking_not_found", "not_found"]).toContain((await res.json()).code)
  }
})
