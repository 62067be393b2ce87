import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Server } from "bun"
import { ApiClient, normaliseApi } from "../src/ApiClient.ts"
import { CliError, ExitCode } from "../src/errors.ts"
import { freePort } from "@bat/testing"
import { readEvents } from "../src/sse.ts"

const tokenExpiringAt = (exp: number) =>
  `h.${Buffer.from(JSON.stringify({ sub: "u", role: "staff", exp })).toString("base64url")}.s`

let server: Server<undefined>
let base: string
const seen: { path: string; authorization: string | null; body: string }[] = []

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      seen.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.get("authorization"), body: await req.text() })
      if (url.pathname === "/ok") return Response.json({ hello: "world" })
      if (url.pathname === "/gone") return new Response(null, { status: 204 })
      if (url.pathname === "/busy")
        return new Response(JSON.stringify({ type: "urn:x", title: "Conflict", status: 409, code: "hall_busy", detail: "The hall is busy then." }), {
          status: 409,
          headers: { "content-type": "application/problem+json" },
        })
      if (url.pathname === "/expired")
        return new Response(JSON.stringify({ status: 401, code: "token_expired", detail: "The token has expired; log in again." }), { status: 401 })
      if (url.pathname === "/down")
        return new Response(JSON.stringify({ status: 502, code: "service_unavailable", detail: "The booking service does not answer; try again shortly." }), { status: 502 })
      return new Response("NOT_FOUND", { status: 404 })
    },
  })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(() => server.stop(true))

const failure = async (promise: Promise<unknown>): Promise<CliError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CliError)
  return error as CliError
}

describe("api client", () => {
  test("sends the bearer token and query, and decodes JSON", async () => {
    const api = new ApiClient(base, tokenExpiringAt(Date.now() / 1000 + 600))
    expect(await api.request("GET", "/ok", { query: { limit: 5, cursor: undefined } })).toEqual({ hello: "world" })
    expect(seen.at(-1)?.path).toBe("/ok?limit=5")
    expect(seen.at(-1)?.authorization).toStartWith("Bearer h.")
    expect(await api.request("DELETE", "/gone")).toBeUndefined()
  })

  test("a problem's detail becomes the message, with exit code 1", async () => {
    const error = await failure(new ApiClient(base, undefined).request("GET", "/busy", { auth: "optional" }))
    expect(error.message).toBe("The hall is busy then.")
    expect(error.exitCode).toBe(ExitCode.apiFailure)
    expect(error.code).toBe("hall_busy")
  })

  test("a response that is not a problem still gives its status", async () => {
    const error = await failure(new ApiClient(base, undefined).request("GET", "/nowhere", { auth: "none" }))
    expect(error.message).toContain("HTTP 404")
  })

  test("no token fails before any request when one is required", async () => {
    const before = seen.length
    const error = await failure(new ApiClient(base, undefined).request("GET", "/ok"))
    expect(error.message).toBe("not logged in — run `bookaticket login`")
    expect(error.exitCode).toBe(ExitCode.auth)
    expect(seen.length).toBe(before)
  })

  test("a token already expired says to log in again, as does the API's token_expired", async () => {
    const local = await failure(new ApiClient(base, tokenExpiringAt(Date.now() / 1000 - 1)).request("GET", "/ok"))
    expect(local.message).toBe("token expired — run `bookaticket login` again")
    const remote = await failure(new ApiClient(base, tokenExpiringAt(Date.now() / 1000 + 600)).request("GET", "/expired"))
    expect(remote.message).toBe("token expired — run `bookaticket login` again")
    expect(remote.exitCode).toBe(ExitCode.auth)
  })

  test("an API nobody listens on is exit code 4 with a hint to start the system", async () => {
    const port = await freePort()
    const error = await failure(new ApiClient(`http://127.0.0.1:${port}`, undefined).request("GET", "/cinemas", { auth: "none" }))
    expect(error.message).toBe(`cannot reach http://127.0.0.1:${port} — is the system running? start it with \`bun run start\``)
    expect(error.exitCode).toBe(ExitCode.unreachable)
  })

  test("a service behind the front door that does not answer is also exit code 4", async () => {
    const error = await failure(new ApiClient(base, undefined).request("GET", "/down", { auth: "none" }))
    expect(error.exitCode).toBe(ExitCode.unreachable)
    expect(error.message).toContain("booking service does not answer")
  })

  test("--api must be an http URL", () => {
    expect(normaliseApi("http://localhost:3000/")).toBe("http://localhost:3000")
    expect(() => normaliseApi("localhost:3000")).toThrow(/http/)
    expect(() => normaliseApi("not a url")).toThrow(/--api/)
  })
})

describe("event stream reader", () => {
  const streamOf = (...chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    })

  test("splits events across chunk boundaries and skips heartbeats", async () => {
    const events = []
    for await (const event of readEvents(streamOf(": hb\n\nid: 1\nevent: notif", "ication\ndata: {\"a\":1}\n\n", "id: 2\r\ndata: x\r\ndata: y\r\n\r\n")))
      events.push(event)
    expect(events).toEqual([
      { id: "1", event: "notification", data: '{"a":1}' },
      { id: "2", event: "message", data: "x\ny" },
    ])
  })
})
