// A service started with a bad setting, or in production with an example secret, stops at once with one
// log line naming the setting: no stack trace, a non-zero exit, nothing opened or listened on.
import { afterAll, expect, test } from "bun:test"
import { repoRoot } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const SERVICES = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications"] as const
const dataDir = mkdtempSync(join(tmpdir(), "bat-settings-"))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** Nothing listens there: a service that got past its settings would keep retrying, never reach a broker. */
const NO_BROKER = "amqp://svc:not-an-example@127.0.0.1:1"

/** Runs a service's main; kills it after the deadline (then it started, the setting was taken). */
const run = async (service: string, env: Record<string, string>) => {
  const proc = Bun.spawn([process.execPath, join(repoRoot(), "services", service, "src", "main.ts")], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", DATA_DIR: join(dataDir, service), AMQP_URL: NO_BROKER, ...env },
    stdout: "pipe",
    stderr: "pipe",
  })
  const timer = setTimeout(() => proc.kill(), 10_000)
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { code, killed: proc.signalCode !== null, lines: `${out}${err}`.split("\n").filter((l) => l.trim() !== "") }
}

const expectOneLine = (r: Awaited<ReturnType<typeof run>>, name: string) => {
  expect({ killed: r.killed, nonZero: r.code !== 0, lines: r.lines }).toEqual({ killed: false, nonZero: true, lines: [expect.any(String)] })
  expect(JSON.parse(r.lines[0]!)).toMatchObject({ level: "error" })
  expect(r.lines[0]).toContain(name)
  expect(r.lines[0]).not.toMatch(/\bat .*:\d+:\d+/)
}

test("HOST=bad and MAX_BODY_BYTES=x stop every service with one line naming the setting", async () => {
  const results = await Promise.all(
    SERVICES.flatMap((s) => [
      run(s, { HOST: "bad" }).then((r) => ({ s, name: "HOST", r })),
      run(s, { MAX_BODY_BYTES: "x" }).then((r) => ({ s, name: "MAX_BODY_BYTES", r })),
    ]),
  )
  for (const { name, r } of results) expectOneLine(r, name)
}, 60_000)

test("a setting a service reads while it is being put together is reported the same way", async () => {
  expectOneLine(await run("screenings", { SEAT_STREAM_HEARTBEAT_MS: "x" }), "SEAT_STREAM_HEARTBEAT_MS")
}, 30_000)

test("in production every service refuses the example broker password, naming AMQP_URL", async () => {
  const example = "amqp://bookaticket:CHANGE-ME@127.0.0.1:1/bookaticket?heartbeat=10"
  const results = await Promise.all(SERVICES.map((s) => run(s, { NODE_ENV: "production", AMQP_URL: example, ADMIN_EMAIL: "a@b.c", ADMIN_PASSWORD: "a real one, long" })))
  for (const r of results) expectOneLine(r, "AMQP_URL")
}, 60_000)
