// The shared "no 5xx" property fails on each answer it must refuse, and passes a service that answers well.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertNoServerErrors, OVERSIZED_DECLARED, type FuzzRequest } from "../src/index.ts"

const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ status, code }), { status, headers: { "content-type": "application/problem+json", ...headers } })

// Each path answers one way; `/good` answers as a service should.
let server: ReturnType<typeof Bun.serve>
beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    maxRequestBodySize: 1 << 20,
    fetch: async (req) => {
      const path = new URL(req.url).pathname
      const body = await req.text()
      if (path === "/good") return body.length > 65_536 ? problem(413, "payload_too_large") : new Response("{}", { headers: { "content-type": "application/json" } })
      if (path === "/crash") return problem(500, "internal")
      if (path === "/plain-404") return new Response("nope", { status: 404, headers: { "content-type": "text/plain" } })
      if (path === "/no-code") return new Response("{}", { status: 400, headers: { "content-type": "application/problem+json" } })
      if (path === "/429-no-retry") return problem(429, "rate_limited")
      if (path === "/reads-anything") return new Response("{}", { headers: { "content-type": "application/json" } })
      return problem(404, "not_found")
    },
  })
})
afterAll(() => server?.stop(true))

const url = () => `http://127.0.0.1:${server.port}`
const only = (r: FuzzRequest) => fc.constant(r)

describe("assertNoServerErrors", () => {
  test("passes good answers and counts their statuses", async () => {
    const statuses = await assertNoServerErrors({
      url: url(),
      requests: fc.oneof(only({ method: "GET", path: "/good" }), only({ method: "POST", path: "/good", body: OVERSIZED_DECLARED }), only({ method: "GET", path: "/x" })),
      numRuns: 30,
    })
    expect([...statuses.keys()].sort()).toEqual([200, 404, 413])
  })

  for (const [what, request] of [
    ["a 5xx", { method: "GET", path: "/crash" }],
    ["a 4xx that is not problem+json", { method: "GET", path: "/plain-404" }],
    ["a problem without a code", { method: "GET", path: "/no-code" }],
    ["a 429 without Retry-After", { method: "GET", path: "/429-no-retry" }],
    ["an oversized body that is not refused 413", { method: "POST", path: "/reads-anything", body: OVERSIZED_DECLARED }],
  ] as const) {
    test(`fails on ${what}`, async () => {
      const run = assertNoServerErrors({ url: url(), requests: only(request), numRuns: 1 })
      expect(await run.then(() => "passed", () => "failed")).toBe("failed")
    })
  }
})
