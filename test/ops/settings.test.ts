// A service started with a bad setting, or in production with an example secret, stops at once with one
// log line naming the setting: no stack trace, a non-zero exit, nothing opened or listened on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { repoRoot } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build } from "../../scripts/build.ts"

const SERVICES = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications"] as const
const dataDir = mkdtempSync(join(tmpdir(), "bat-settings-"))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** Nothing listens there: a service that got past its settings would keep retrying, never reach a broker. */
const NO_BROKER = "amqp://svc:not-an-example@127.0.0.1:1"

/** Runs `cmd` until it exits, or kills it after `killAfterMs` (then it got past its settings); its output lines. */
const runUntilExit = async (cmd: ReadonlyArray<string>, env: Record<string, string>, killAfterMs: number, cwd?: string) => {
  const proc = Bun.spawn([...cmd], { ...(cwd === undefined ? {} : { cwd }), env, stdout: "pipe", stderr: "pipe" })
  const timer = setTimeout(() => proc.kill(), killAfterMs)
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { code, killed: proc.signalCode !== null, lines: `${out}${err}`.split("\n").filter((l) => l.trim() !== "") }
}

/** Runs a service's main; kills it after the deadline (then it started, the setting was taken). */
const run = (service: string, env: Record<string, string>) =>
  runUntilExit(
    [process.execPath, join(repoRoot(), "services", service, "src", "main.ts")],
    { PATH: process.env.PATH ?? "", PORT: "0", DATA_DIR: join(dataDir, service), AMQP_URL: NO_BROKER, ...env },
    20_000
  )

const expectOneLine = (r: Awaited<ReturnType<typeof run>>, name: string) => {
  expect({ killed: r.killed, nonZero: r.code !== 0, lines: r.lines }).toEqual({ killed: false, nonZero: true, lines: [expect.any(String)] })
  expect(JSON.parse(r.lines[0]!)).toMatchObject({ level: "error" })
  expect(r.lines[0]).toContain(name)
  expect(r.lines[0]).not.toMatch(/\bat .*:\d+:\d+/)
}

/** Two at a time: the machine is shared, and a slow start must not look like one that got past its settings. */
const eachService = async (f: (service: string) => Promise<void>) => {
  const queue = [...SERVICES]
  await Promise.all([0, 1].map(async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) await f(s)
  }))
}

test("HOST=bad stops every service with one line naming the setting (MAX_BODY_BYTES=x for one of them)", async () => {
  await eachService(async (s) => expectOneLine(await run(s, { HOST: "bad" }), "HOST"))
  expectOneLine(await run("booking", { MAX_BODY_BYTES: "x" }), "MAX_BODY_BYTES")
}, 120_000)

test("a setting a service reads while it is being put together is reported the same way", async () => {
  expectOneLine(await run("screenings", { SEAT_STREAM_HEARTBEAT_MS: "x" }), "SEAT_STREAM_HEARTBEAT_MS")
}, 30_000)

test("in production every service refuses the example broker password and another service's user, naming the setting", async () => {
  // Each service's own user with the deployment guide's example password (deploy/env/*.env).
  const example = (s: string) => `amqp://bookaticket-${s}:CHANGE-ME@127.0.0.1:1/bookaticket?heartbeat=10`
  const production = { NODE_ENV: "production", ADMIN_EMAIL: "a@b.c", ADMIN_PASSWORD: "a real one, long" }
  await eachService(async (s) => expectOneLine(await run(s, { ...production, AMQP_URL: example(s) }), "AMQP_PASSWORD"))
  expectOneLine(await run("booking", { ...production, AMQP_URL: "amqp://bookaticket-payments:a-real-one@127.0.0.1:1/bookaticket" }), "AMQP_USER")
}, 120_000)

test("a port out of range stops a service with one line naming the setting", async () => {
  expectOneLine(await run("booking", { PORT: "70000" }), "PORT")
  expectOneLine(await run("payments", { USERS_PORT: "x" }), "USERS_PORT")
}, 60_000)

describe("compiled executables", () => {
  let bin: string
  beforeAll(async () => {
    const built = await build({ outdir: join(dataDir, "bin"), only: ["bookaticket-gateway", "bookaticket"] })
    bin = join(dataDir, "bin")
    expect(built.length).toBe(2)
  }, 120_000)

  /** Runs an executable from a directory of its own; kills it after the deadline (then it got past its settings). */
  const runBinary = (name: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
    runUntilExit(
      [join(bin, name), ...args],
      { PATH: process.env.PATH ?? "", HOME: dataDir, WEB_DIST: join(dataDir, "no-web"), ...env },
      15_000,
      dataDir
    )
  const expectOneLineNaming = (r: Awaited<ReturnType<typeof runBinary>>, name: string) => {
    expect({ killed: r.killed, nonZero: r.code !== 0, lines: r.lines.length }).toEqual({ killed: false, nonZero: true, lines: 1 })
    expect(r.lines[0]).toContain(name)
    expect(r.lines[0]).not.toMatch(/\bat .*:\d+:\d+|^\s*\d+ \|/)
  }

  test("the front door given a bad port, host or upstream port stops with one line naming it", async () => {
    for (const [name, value] of [["GATEWAY_PORT", "abc"], ["GATEWAY_PORT", "70000"], ["PORT", "-1"], ["GATEWAY_HOST", "::::"], ["USERS_PORT", "x"], ["GATEWAY_MAX_STREAMS", "0"]] as const) {
      expectOneLineNaming(await runBinary("bookaticket-gateway", [], { [name]: value }), name)
    }
  }, 60_000)

  test("the CLI given a bad front door address stops with one line naming it", async () => {
    expectOneLineNaming(await runBinary("bookaticket", ["movies", "list"], { BOOKATICKET_API: "not a url" }), "BOOKATICKET_API")
  }, 30_000)
})
