// Issue 18, finding 1, through the front door of a fleet started with `bun run start`: 300 idle seat-map streams
// open, and listing screenings and logging in still answer at once (on main the 257th request of any kind waited
// forever, since each proxied stream held one of Bun fetch's 256 slots). A liveness check, not a benchmark.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { createTestVhost, type TestVhost } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api, setupCatalog, startSystem } from "./client.ts"

const ADMIN = { email: "admin@e2e.test", password: "admin-e2e-password" }
let vh: TestVhost
let dataDir: string
let system: Awaited<ReturnType<typeof startSystem>>
let api: Api
let screeningId: string

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-e2e-frontdoor" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-e2e-frontdoor-"))
  system = await startSystem({ AMQP_URL: vh.amqpUrl, DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })
  api = new Api(system.gateway)
  const login = await api.post("/users/login", ADMIN)
  expect(login.status).toBe(200)
  ;({ screeningId } = await setupCatalog(api.as(login.body.token), ["A"], 8))
}, 120_000)

afterAll(async () => {
  await system?.stop()
  await vh?.cleanup()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}, 30_000)

/** node:http (its sockets are not fetch's pool), so this process's own fetch stays free for the timed requests. */
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
const openSeatStream = (i: number): Promise<http.ClientRequest> =>
  new Promise((resolve, reject) => {
    const req = http.request(
      `${system.gateway}/screenings/${screeningId}/seats/stream`,
      // 300 viewers at 300 addresses, as a proxy on loopback (trusted by default) forwards them.
      { agent, headers: { accept: "text/event-stream", "x-forwarded-for": `198.51.${100 + (i >> 8)}.${i & 255}` } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`stream ${i} answered ${res.statusCode}`))
        // The snapshot arrived: the stream is open end to end.
        res.once("data", () => resolve(req))
      }
    )
    req.on("error", reject)
    req.end()
  })

const timed = async (run: () => Promise<Response>) => {
  const began = performance.now()
  const res = await Promise.race([
    run(),
    Bun.sleep(5_000).then(() => {
      throw new Error("no answer within 5 s")
    })
  ])
  await res.arrayBuffer()
  return { status: res.status, ms: Math.round(performance.now() - began) }
}

test("with 300 idle seat streams open through the front door, GET /screenings and login answer in under 100 ms", async () => {
  const streams: http.ClientRequest[] = []
  try {
    let opened = 0
    await Promise.race([
      Promise.all(Array.from({ length: 300 }, (_, i) => openSeatStream(i).then((s) => (streams.push(s), opened++)))),
      Bun.sleep(30_000).then(() => {
        throw new Error(`only ${opened} of 300 streams opened within 30 s`)
      })
    ])
    const ready = (await (await fetch(`${system.gateway}/ready`)).json()) as { checks: { streams: { open: number } } }
    expect(ready.checks.streams.open).toBe(300)

    const results = []
    for (let round = 0; round < 3; round++) {
      const list = await timed(() => fetch(`${system.gateway}/screenings`))
      const login = await timed(() =>
        fetch(`${system.gateway}/users/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ADMIN) })
      )
      results.push({ list, login })
    }
    for (const { list, login } of results) expect({ list: list.status, login: login.status }).toEqual({ list: 200, login: 200 })
    // Every round answers; the quickest of three stays under the bound (the machine is shared and a login costs
    // tens of milliseconds of CPU by design).
    expect(Math.min(...results.map((r) => r.list.ms))).toBeLessThan(100)
    expect(Math.min(...results.map((r) => r.login.ms))).toBeLessThan(100)
    console.log(`with 300 streams open: ${JSON.stringify(results)}`)
  } finally {
    for (const s of streams) s.destroy()
  }
}, 90_000)
