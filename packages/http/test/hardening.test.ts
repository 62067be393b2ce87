// Every service in front of people: bounded bodies (413 before parsing and authentication, memory flat),
// /metrics only for allowed peers, security headers on every answer, production refusing example secrets,
// and a bad setting stopping the process with one line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Schema } from "effect"
import { Elysia } from "elysia"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { authorize, bootService, HttpProblem, loadConfig, makeServiceApp, operation, parseAddressList, schema, type AddressList } from "../src/index.ts"

const MiB = 1024 * 1024
const Note = Schema.Struct({ text: Schema.String })

/** Counts what ran: a handler behind authentication, and what the handlers saw. */
const makeApp = (opts: { metricsAllow?: AddressList; maxBodyBytes?: number } = {}) => {
  const ran = { handler: 0, auth: 0 }
  const routes = new Elysia({ prefix: "/notes" })
    .use(
      authorize({
        authenticate: async (headers) => {
          ran.auth++
          const authorization = headers instanceof Headers ? headers.get("authorization") : headers["authorization"]
          if (authorization !== "Bearer good") throw new HttpProblem({ status: 401, code: "unauthorized", detail: "No token." })
          return { userId: "u1", role: "customer" }
        },
      }),
    )
    .post(
      "/",
      ({ body }) => {
        ran.handler++
        return { length: body.text.length }
      },
      { body: schema(Note), ...operation({ summary: "Keeps a note", auth: "user", ok: { status: 200 } }) },
    )
    .get(
      "/own-cache",
      ({ set }) => {
        set.headers["cache-control"] = "no-cache"
        set.headers["etag"] = '"v1"'
        return { ok: true }
      },
      operation({ summary: "Revalidated", auth: "none", ok: { status: 200 } }),
    )
    .get("/plain", () => ({ ok: true }), operation({ summary: "Plain", auth: "none", ok: { status: 200 } }))
  const app = makeServiceApp({
    service: "notes",
    prefix: "/notes",
    readiness: async () => ({ ok: true, checks: {} }),
    log: () => {},
    ...opts,
  }).use(routes)
  return { app, ran }
}

describe("bounded bodies", () => {
  let served: ReturnType<typeof makeApp>
  let url: string
  beforeAll(() => {
    served = makeApp()
    served.app.listen({ port: 0, hostname: "127.0.0.1" })
    url = `http://127.0.0.1:${served.app.server!.port}`
  })
  afterAll(async () => {
    await served.app.stop(true)
  })

  const tenMiBJson = new TextEncoder().encode(`{"text":"${"a".repeat(10 * MiB)}"}`)

  const expectTooLarge = async (res: Response) => {
    expect(res.status).toBe(413)
    expect(res.headers.get("content-type")).toBe("application/problem+json")
    expect(await res.json()).toMatchObject({
      type: "urn:bookaticket:problem:payload_too_large",
      status: 413,
      code: "payload_too_large",
      title: "Content Too Large",
    })
  }

  test("a 10 MiB body with a Content-Length is 413 problem+json before authentication or any handler runs", async () => {
    const before = { ...served.ran }
    // Without a token: on a route that authenticates, the answer is 413, not 401.
    const res = await fetch(`${url}/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: tenMiBJson })
    await expectTooLarge(res)
    const withToken = await fetch(`${url}/notes`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer good" },
      body: tenMiBJson,
    })
    await expectTooLarge(withToken)
    expect(served.ran).toEqual(before)
  })

  test("a chunked body without a Content-Length is read only up to the limit, then 413", async () => {
    const before = { ...served.ran }
    let sent = 0
    const chunk = new TextEncoder().encode("a".repeat(64 * 1024))
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"text":"'))
      },
      pull(c) {
        // 10 MiB in all, handed out as the server reads.
        if (sent >= 10 * MiB) return c.close()
        sent += chunk.byteLength
        c.enqueue(chunk)
      },
    })
    const res = await fetch(`${url}/notes`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer good" }, body })
    await expectTooLarge(res)
    expect(served.ran).toEqual(before)
  })

  test("a body at the limit still reaches the handler, chunked or not", async () => {
    const text = "b".repeat(65_536 - '{"text":""}'.length)
    const json = JSON.stringify({ text })
    expect(json.length).toBe(65_536)
    const headers = { "content-type": "application/json", authorization: "Bearer good" }
    const res = await fetch(`${url}/notes`, { method: "POST", headers, body: json })
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { length: text.length } })
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(json.slice(0, 1000)))
        c.enqueue(new TextEncoder().encode(json.slice(1000)))
        c.close()
      },
    })
    const res2 = await fetch(`${url}/notes`, { method: "POST", headers, body: chunked })
    expect({ status: res2.status, body: await res2.json() }).toEqual({ status: 200, body: { length: text.length } })
    const malformed = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"text":'))
        c.close()
      },
    })
    const res3 = await fetch(`${url}/notes`, { method: "POST", headers, body: malformed })
    expect(res3.status).toBe(400)
    expect(((await res3.json()) as { code: string }).code).toBe("malformed_json")
  })

  test("memory stays flat while 10 MiB bodies keep arriving, three at a time", async () => {
    const rssMiB = () => {
      Bun.gc(true)
      return process.memoryUsage().rss / MiB
    }
    const send = () =>
      fetch(`${url}/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: tenMiBJson }).then(async (r) => {
        await r.arrayBuffer()
        return r.status
      })
    await Promise.all([send(), send(), send()]) // warm up
    const before = rssMiB()
    // The highest RSS while the bodies arrive, not only what is left after a collection.
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss() / MiB)), 2)
    const statuses: Array<number> = []
    try {
      for (let round = 0; round < 5; round++) statuses.push(...(await Promise.all([send(), send(), send()])))
    } finally {
      clearInterval(sampler)
    }
    const grown = rssMiB() - before
    console.log(`RSS peaked ${(peak - before).toFixed(1)} MiB above its start and ended ${grown.toFixed(1)} MiB above it, while 15 bodies of 10 MiB arrived`)
    expect(statuses.every((s) => s === 413)).toBe(true)
    // The client shares this process: its three copies of the body in flight take ~30 MiB. Parsed by the server
    // as well (text, then the parsed string), the peak was 150–185 MiB above the start before bodies were bounded.
    expect(peak - before).toBeLessThan(80)
    expect(grown).toBeLessThan(20)
  })

  test("MAX_BODY_BYTES sets the limit", async () => {
    const { app } = makeApp({ maxBodyBytes: 100 })
    const res = await app.handle(
      new Request("http://localhost/notes", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": "101", authorization: "Bearer good" },
        body: `{"text":"${"c".repeat(101 - 11)}"}`,
      }),
    )
    expect(res.status).toBe(413)
    expect(((await res.json()) as { detail: string }).detail).toContain("100 bytes")
    expect(loadConfig("notes", 0, {}).http.maxBodyBytes).toBe(65_536)
    expect(loadConfig("notes", 0, { MAX_BODY_BYTES: "1024" }).http.maxBodyBytes).toBe(1024)
    expect(() => loadConfig("notes", 0, { MAX_BODY_BYTES: "x" })).toThrow(/^MAX_BODY_BYTES must be a positive integer, got "x"$/)
  })

  test("every operation of the document describes the 413", async () => {
    const doc = (await (await served.app.handle(new Request("http://localhost/notes/openapi/json"))).json()) as any
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        const codes = op.responses["413"]?.content?.["application/problem+json"]?.schema?.allOf?.[1]?.properties?.code?.enum
        expect({ op: `${method} ${path}`, codes }).toEqual({ op: `${method} ${path}`, codes: ["payload_too_large"] })
      }
    }
  })
})

describe("/metrics only for the peers on METRICS_ALLOW", () => {
  const serve = (allow: string | undefined) => {
    const { app } = makeApp(allow === undefined ? {} : { metricsAllow: parseAddressList(allow) })
    app.listen({ port: 0, hostname: "127.0.0.1" })
    return { app, url: `http://127.0.0.1:${app.server!.port}` }
  }

  test("a peer outside the list gets a 404 problem, whatever it forwards", async () => {
    const { app, url } = serve("10.0.0.0/8,192.168.1.7")
    try {
      for (const headers of [{}, { "x-forwarded-for": "10.0.0.1" }] as Array<Record<string, string>>) {
        const res = await fetch(`${url}/metrics`, { headers })
        expect(res.status).toBe(404)
        expect(res.headers.get("content-type")).toBe("application/problem+json")
        expect(((await res.json()) as { code: string }).code).toBe("not_found")
      }
      // The rest of the service answers as before.
      expect((await fetch(`${url}/health`)).status).toBe(200)
    } finally {
      await app.stop(true)
    }
  })

  test("loopback is allowed by default", async () => {
    const { app, url } = serve(undefined)
    try {
      const res = await fetch(`${url}/metrics`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain("# TYPE")
    } finally {
      await app.stop(true)
    }
  })

  test("METRICS_ALLOW is read by every service's configuration, loopback by default", () => {
    expect(loadConfig("notes", 0, {}).http.metricsAllow.has("127.0.0.1")).toBe(true)
    const config = loadConfig("notes", 0, { METRICS_ALLOW: "10.1.2.3" })
    expect([config.http.metricsAllow.has("127.0.0.1"), config.http.metricsAllow.has("10.1.2.3")]).toEqual([false, true])
    expect(() => loadConfig("notes", 0, { METRICS_ALLOW: "everyone" })).toThrow(/^METRICS_ALLOW must list IP addresses/)
  })
})

describe("a booted service", () => {
  test("listens on 127.0.0.1 by default, and its /metrics follows METRICS_ALLOW", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "bat-boot-"))
    const boot = (env: Record<string, string>) =>
      bootService({
        service: "tiny",
        defaultPort: 0,
        prefix: "/tiny",
        migrations: [],
        routes: () => new Elysia(),
        // No broker there: the HTTP side serves while messaging keeps trying.
        env: { PORT: "0", DATA_DIR: join(dataDir, env.METRICS_ALLOW === undefined ? "open" : "closed"), AMQP_URL: "amqp://u:real-secret@127.0.0.1:1", ...env },
      })
    const closed = await boot({ METRICS_ALLOW: "10.0.0.0/8" })
    const open = await boot({})
    try {
      expect(closed.url).toBe(`http://127.0.0.1:${closed.port}`)
      // 127.0.0.2 is this machine too: a server on all interfaces answers there, one on 127.0.0.1 does not.
      const elsewhere = await fetch(`http://127.0.0.2:${closed.port}/health`).then((r) => r.status, () => "refused")
      expect(elsewhere).toBe("refused")
      expect((await fetch(`${closed.url}/metrics`)).status).toBe(404)
      expect((await fetch(`${closed.url}/health`)).status).toBe(200)
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200)
    } finally {
      await closed.stop()
      await open.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe("security headers on every answer", () => {
  const { app } = makeApp()
  const get = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init))
  const security = (res: Response) => ({
    "cache-control": res.headers.get("cache-control"),
    "x-content-type-options": res.headers.get("x-content-type-options"),
    "referrer-policy": res.headers.get("referrer-policy"),
    "x-frame-options": res.headers.get("x-frame-options"),
    frameAncestors: /frame-ancestors 'none'/.test(res.headers.get("content-security-policy") ?? ""),
  })
  const expected = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    frameAncestors: true,
  }

  test("JSON answers, problems and unknown routes are no-store, nosniff, no-referrer and never framed", async () => {
    for (const res of [
      await get("/notes/plain"),
      await get("/health"),
      await get("/notes", { method: "POST", headers: { "content-type": "application/json" }, body: '{"text":"x"}' }),
      await get("/notes/nope"),
      await get("/notes", { method: "POST", headers: { "content-type": "application/json", "content-length": "99999999" } }),
    ]) {
      expect({ status: res.status, ...security(res) }).toEqual({ status: res.status, ...expected })
    }
  })

  test("a route's own Cache-Control is kept beside its ETag", async () => {
    const res = await get("/notes/own-cache")
    expect({ ...security(res), etag: res.headers.get("etag") }).toEqual({ ...expected, "cache-control": "no-cache", etag: '"v1"' })
  })

  test("the OpenAPI page has its own policy: its scripts and styles from the service itself, never framed", async () => {
    const res = await get("/notes/openapi")
    const csp = res.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain("unsafe-eval")
    expect(res.headers.get("x-frame-options")).toBe("DENY")
  })
})

// The fixture service is "tiny": in production it must connect as its own broker user.
const NO_BROKER = "amqp://bookaticket-tiny:real-secret@127.0.0.1:1"

describe("a service process with a bad or example setting stops with one line", () => {
  const fixture = join(import.meta.dir, "fixtures", "tinyService.ts")
  const dataDir = mkdtempSync(join(tmpdir(), "bat-tiny-"))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  /** Runs the fixture service; kills it if it is still running after the deadline (it started: the setting was taken). */
  const run = async (env: Record<string, string>) => {
    const proc = Bun.spawn([process.execPath, fixture], {
      // No broker at that address: nothing here may touch a real one.
      env: { PATH: process.env.PATH ?? "", PORT: "0", DATA_DIR: dataDir, ...env },
      stdout: "pipe",
      stderr: "pipe",
    })
    const timer = setTimeout(() => proc.kill(), 8_000)
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    clearTimeout(timer)
    const lines = `${out}${err}`.split("\n").filter((l) => l.trim() !== "")
    return { code, lines, killed: proc.signalCode !== null }
  }

  test.each([
    ["HOST", { AMQP_URL: NO_BROKER, HOST: "bad" }],
    ["MAX_BODY_BYTES", { AMQP_URL: NO_BROKER, MAX_BODY_BYTES: "x" }],
    ["METRICS_ALLOW", { AMQP_URL: NO_BROKER, METRICS_ALLOW: "everyone" }],
    ["AMQP_PASSWORD", { NODE_ENV: "production", AMQP_URL: "amqp://bookaticket-tiny:CHANGE-ME@127.0.0.1:1/bat" }],
    // Left out, the service's own user with its development password would be taken; its port is never reached.
    ["AMQP_", { NODE_ENV: "production" }],
    ["ADMIN_PASSWORD", { NODE_ENV: "production", AMQP_URL: NO_BROKER, ADMIN_PASSWORD: "bookaticket-dev-admin" }],
  ] as const)("%s: one line naming it, no stack trace, a non-zero exit", async (name, env) => {
    const { code, lines, killed } = await run(env)
    expect({ killed, exitedNonZero: code !== 0, lines: lines.length }).toEqual({ killed: false, exitedNonZero: true, lines: 1 })
    expect(lines[0]).toContain(name)
    expect(lines[0]).not.toMatch(/\n\s+at |at .*\.ts:\d+/)
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", service: "tiny" })
  }, 15_000)
})
