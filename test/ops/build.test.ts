// `bun run build` (DESIGN §12): every service, the front door and the CLI compile into single
// executables that run from a directory with no node_modules — each service answers /health, opens its
// SQLite database (the native addon is embedded), connects to the broker (/ready) and serves its
// OpenAPI page's assets; the CLI answers --help.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { createTestVhost, freePort, pollUntil, type TestVhost } from "@bat/testing"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build, units, type BuildResult } from "../../scripts/build.ts"

/** The path prefix of each service's API (its OpenAPI page is at `<prefix>/openapi`). */
const PREFIX: Record<string, string> = {
  users: "/users",
  cinemas: "/cinemas",
  movies: "/movies",
  screenings: "/screenings",
  booking: "/tickets",
  payments: "/payments",
  notifications: "/notifications"
}

/** Runs `f`; a failure carries the end of the process's output. */
const withLogs = async <A>(logs: () => string, f: () => Promise<A>): Promise<A> => {
  try {
    return await f()
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- output ---\n${logs().slice(-2000)}`)
  }
}

let work: string
let built: ReadonlyArray<BuildResult> = []
const vhosts: Array<TestVhost> = []
const procs: Array<Bun.Subprocess> = []

beforeAll(async () => {
  // The executables run from a directory of their own: nothing can be found in node_modules there.
  work = mkdtempSync(join(tmpdir(), "bat-build-"))
  const started = performance.now()
  built = await build({ outdir: join(work, "bin") })
  console.log(`built ${built.length} executables in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}, 120_000)

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL")
  await Promise.all(procs.map((p) => p.exited))
  await Promise.all(vhosts.map((v) => v.cleanup().catch(() => {})))
  rmSync(work, { recursive: true, force: true })
})

test("one executable per service, the front door and the CLI", () => {
  const names = built.map((b) => b.name).sort()
  expect(names).toEqual(units().map((u) => u.name).sort())
  expect(names).toContain("bookaticket")
  expect(names).toContain("bookaticket-gateway")
  expect(names.filter((n) => n.startsWith("bookaticket-")).length).toBeGreaterThanOrEqual(8)
  for (const b of built) expect(existsSync(b.path)).toBe(true)
})

test("the CLI executable answers --help", async () => {
  const cli = built.find((b) => b.name === "bookaticket")!
  const p = Bun.spawn([cli.path, "--help"], { cwd: work, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } })
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
  expect(code).toBe(0)
  expect(out).toContain("Usage: bookaticket")
})

test("every service executable starts on its own port, data directory and vhost, and answers /health", async () => {
  const services = built.filter((b) => b.name.startsWith("bookaticket-") && b.name !== "bookaticket-gateway")
  const running: Array<{ service: string; port: number; dataDir: string; logs: () => string }> = []
  for (const b of services) {
    const service = b.name.slice("bookaticket-".length)
    const vhost = await createTestVhost({ prefix: `bat-build-${service}` })
    vhosts.push(vhost)
    const port = await freePort()
    const dataDir = join(work, "data", service)
    mkdirSync(dataDir, { recursive: true })
    // Started from `work`: no node_modules, no bunfig.toml, no sources next to it.
    const p = Bun.spawn([b.path], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "", PORT: String(port), DATA_DIR: dataDir, AMQP_URL: vhost.amqpUrl, HOLD_TTL_MS: "60000" },
      stdout: "pipe",
      stderr: "pipe"
    })
    procs.push(p)
    let out = ""
    const drain = async (s: ReadableStream<Uint8Array>) => {
      const reader = s.getReader()
      for (let r = await reader.read(); !r.done; r = await reader.read()) out += new TextDecoder().decode(r.value)
    }
    void drain(p.stdout)
    void drain(p.stderr)
    running.push({ service, port, dataDir, logs: () => out })
  }
  for (const r of running) {
    const health = await withLogs(r.logs, () =>
      pollUntil(
        async () => {
          const res = await fetch(`http://127.0.0.1:${r.port}/health`).catch(() => undefined)
          return res?.status === 200 ? res : undefined
        },
        { timeoutMs: 30_000, intervalMs: 200, message: `${r.service} answering /health` }
      )
    )
    expect(health.status).toBe(200)
    // The broker link works from the executable (amqplib inside it), with the whole topology declared.
    await withLogs(r.logs, () =>
      pollUntil(
        async () => (await fetch(`http://127.0.0.1:${r.port}/ready`).catch(() => undefined))?.status === 200,
        { timeoutMs: 30_000, intervalMs: 250, message: `${r.service} ready` }
      )
    )
    // better-sqlite3's addon is embedded: the service opened its database in its own DATA_DIR.
    expect(readdirSync(r.dataDir).some((f) => f.endsWith(".db"))).toBe(true)
    // The OpenAPI page's assets are embedded as well.
    const asset = await fetch(`http://127.0.0.1:${r.port}${PREFIX[r.service] ?? `/${r.service}`}/openapi/assets/swagger-ui-bundle.js`)
    expect(asset.status).toBe(200)
    expect((await asset.text()).length).toBeGreaterThan(100_000)
  }
}, 120_000)

test("the front door executable answers /health and serves the web page from WEB_DIST", async () => {
  const gateway = built.find((b) => b.name === "bookaticket-gateway")!
  const port = await freePort()
  // A built page stands in for web/dist: the executable serves whatever directory WEB_DIST names.
  const webDist = join(work, "web")
  mkdirSync(join(webDist, "assets"), { recursive: true })
  await Bun.write(join(webDist, "index.html"), "<!doctype html><title>Book a Ticket</title><script src=\"/assets/app-1.js\"></script>")
  await Bun.write(join(webDist, "assets", "app-1.js"), "console.log('page')")
  const p = Bun.spawn([gateway.path], {
    cwd: work,
    env: { PATH: process.env.PATH ?? "", GATEWAY_PORT: String(port), GATEWAY_HOST: "127.0.0.1", WEB_DIST: webDist },
    stdout: "ignore",
    stderr: "pipe"
  })
  procs.push(p)
  const res = await pollUntil(
    async () => {
      const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
      return r?.status === 200 ? r : undefined
    },
    { timeoutMs: 20_000, intervalMs: 200, message: "the front door answering /health" }
  )
  expect(res.status).toBe(200)
  const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: "text/html" } })
  expect(page.status).toBe(200)
  expect(await page.text()).toContain("<title>Book a Ticket</title>")
  const asset = await fetch(`http://127.0.0.1:${port}/assets/app-1.js`)
  expect(asset.status).toBe(200)
  expect(await asset.text()).toBe("console.log('page')")
}, 60_000)
