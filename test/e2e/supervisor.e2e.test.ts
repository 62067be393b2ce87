// `bun run start` heals the fleet (DESIGN §3.1): a service killed with -9 comes back on its own, the
// others never notice, and one that keeps crashing is left down while the rest keep serving.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createTestVhost, freePort, pollUntil, repoRoot, type TestVhost } from "@bat/testing"
import type { Subprocess } from "bun"
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"

const SERVICES = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications", "gateway"] as const
const VICTIM = "booking"
const OTHERS = SERVICES.filter((s) => s !== VICTIM)
/** Where the supervisor's next restart would have come after the fifth crash (1 s doubled four times). */
const NEXT_DELAY_WOULD_BE_MS = 16_000

/** A process as /proc knows it; `startTime` tells a pid's process from a later one given the same pid. */
interface Proc {
  readonly pid: number
  readonly startTime: string
}

const statOf = (pid: number): { state: string; ppid: number; startTime: string } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name (which may hold spaces): state ppid ... starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0] as string, ppid: Number(fields[1]), startTime: fields[19] as string }
  } catch {
    return undefined
  }
}

/** Whether that very process still runs (not exited, not a zombie, its pid not reused). */
const alive = (p: Proc): boolean => {
  const stat = statOf(p.pid)
  return stat !== undefined && stat.state !== "Z" && stat.startTime === p.startTime
}

/** The live child processes of `parent`, by service name (the directory each runs in). */
const childrenOf = (parent: number): Map<string, Proc> => {
  const found = new Map<string, Proc>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const stat = statOf(pid)
    if (stat === undefined || stat.ppid !== parent || stat.state === "Z") continue
    try {
      found.set(basename(readlinkSync(`/proc/${pid}/cwd`)), { pid, startTime: stat.startTime })
    } catch {
      // exited while we looked
    }
  }
  return found
}

let vh: TestVhost
let dataDir: string
let start: Subprocess<"ignore", "pipe", "pipe">
const ports: Record<string, number> = {}
const output: string[] = []
/** Every service process start has run, so the end can check that each one exited. */
const seen: Proc[] = []
let others: Map<string, Proc>
const healthFailures: string[] = []
let healthRounds = 0
let monitoring = true
let monitor: Promise<void> = Promise.resolve()

const url = (service: string) => `http://127.0.0.1:${ports[service]}`
const startLines = () => output.filter((line) => line.startsWith("[start] "))
const restartedLine = new RegExp(`^\\[start\\] ${VICTIM} restarted \\(pid (\\d+)\\)$`)
const restartedPids = () => startLines().flatMap((line) => line.match(restartedLine)?.[1] ?? []).map(Number)
const answers = async (service: string, path: string): Promise<number | string> => {
  try {
    const res = await fetch(`${url(service)}${path}`, { signal: AbortSignal.timeout(2_000) })
    await res.body?.cancel()
    return res.status
  } catch (error) {
    return (error as Error).name
  }
}
const outputTail = () => `\n--- start's output (last 80 lines) ---\n${output.slice(-80).join("\n")}`

/** The victim's live process, as a child of start, once it answers /ready 200. */
const victimBackAndReady = async (oldPid: number, timeoutMs: number): Promise<Proc> =>
  pollUntil(
    async () => {
      const now = childrenOf(start.pid).get(VICTIM)
      if (now === undefined || now.pid === oldPid) return undefined
      return (await answers(VICTIM, "/ready")) === 200 ? now : undefined
    },
    { timeoutMs, intervalMs: 50, message: `${VICTIM} to be back (a new process) and ready` }
  )

const kill9 = (p: Proc) => {
  // Only ever a service process this test's own start.ts spawned (a checked child of it).
  expect(statOf(p.pid)?.ppid).toBe(start.pid)
  process.kill(p.pid, "SIGKILL")
}

const expectOthersUntouched = () => {
  const now = childrenOf(start.pid)
  for (const name of OTHERS) {
    const before = others.get(name) as Proc
    expect({ name, pid: now.get(name)?.pid }).toEqual({ name, pid: before.pid })
    expect(alive(before)).toBe(true)
  }
  expect(healthFailures).toEqual([])
}

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-e2e-supervisor" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-e2e-supervisor-"))
  const env: Record<string, string | undefined> = {
    ...process.env,
    SKIP_BROKER_CHECK: "1",
    AMQP_URL: vh.amqpUrl,
    DATA_DIR: dataDir,
    HOLD_TTL_MS: "60000",
    NO_COLOR: "1",
    FORCE_COLOR: undefined
  }
  for (const s of SERVICES) {
    ports[s] = await freePort()
    env[`${s.toUpperCase()}_PORT`] = String(ports[s])
  }
  start = Bun.spawn([process.execPath, join(repoRoot(), "scripts", "start.ts")], {
    cwd: repoRoot(),
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    let pending = ""
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      pending += decoder.decode(value, { stream: true })
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      output.push(...lines)
    }
    if (pending) output.push(pending)
  }
  void collect(start.stdout)
  void collect(start.stderr)

  try {
    await pollUntil(
      async () => {
        if (start.exitCode !== null) throw new Error(`start exited with ${start.exitCode}`)
        if (!output.some((line) => line.startsWith("Book a Ticket is running"))) return false
        for (const s of SERVICES) if ((await answers(s, "/ready")) !== 200) return false
        return true
      },
      { timeoutMs: 60_000, intervalMs: 200, message: "every service to be ready" }
    )
  } catch (error) {
    start.kill("SIGTERM")
    throw new Error(`${(error as Error).message}${outputTail()}`)
  }

  // The table shows each service's pid; it must be the process start really runs.
  const children = childrenOf(start.pid)
  for (const s of SERVICES) {
    const label = s === "gateway" ? "front door" : s
    const row = output.find((line) => line.startsWith(`  ${label} `) && line.includes(`:${ports[s]} `))
    expect(row).toBeDefined()
    const shown = Number(row?.match(/pid (\d+)/)?.[1])
    expect({ s, pid: children.get(s)?.pid }).toEqual({ s, pid: shown })
  }
  expect([...children.keys()].sort()).toEqual([...SERVICES].sort())
  seen.push(...children.values())
  others = new Map(OTHERS.map((s) => [s, children.get(s) as Proc]))

  // Every other service must answer /health all the time, whatever happens to the victim.
  monitor = (async () => {
    while (monitoring) {
      const results = await Promise.all(OTHERS.map(async (s) => [s, await answers(s, "/health")] as const))
      for (const [s, status] of results) if (status !== 200) healthFailures.push(`${s}: ${status} at ${new Date().toISOString()}`)
      healthRounds++
      await Bun.sleep(100)
    }
  })()
}, 90_000)

afterAll(async () => {
  monitoring = false
  await monitor
  if (start !== undefined && start.exitCode === null && start.signalCode === null) {
    start.kill("SIGTERM")
    await start.exited
  }
  // A safety net should a test have failed before the stop: only processes start spawned here.
  for (const p of seen) if (alive(p)) process.kill(p.pid, "SIGKILL")
  await vh?.cleanup()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}, 30_000)

describe("bun run start supervises the fleet", () => {
  test("a service killed with SIGKILL is back and ready within 5 s, while the others keep their processes and keep answering", async () => {
    const victim = childrenOf(start.pid).get(VICTIM) as Proc
    const roundsBefore = healthRounds
    const killedAt = performance.now()
    kill9(victim)
    const back = await victimBackAndReady(victim.pid, 5_000).catch((error: Error) => {
      throw new Error(`${error.message}${outputTail()}`)
    })
    const tookMs = performance.now() - killedAt
    console.log(`${VICTIM} back and ready ${Math.round(tookMs)} ms after kill -9`)
    expect(tookMs).toBeLessThan(5_000)
    seen.push(back)

    expect(startLines()).toContain(`[start] ${VICTIM} exited unexpectedly (signal SIGKILL); restarting in 1 s (crash 1 of 5 in 60 s)`)
    expect(restartedPids()).toEqual([back.pid])
    expect(healthRounds).toBeGreaterThan(roundsBefore)
    expectOthersUntouched()
    expect(start.exitCode).toBeNull()
  }, 20_000)

  test("a service that crashes five times within 60 s is left down with a clear message, while the others keep serving", async () => {
    // The kill above was crash 1; crashes 2 to 4 are restarted after 2, 4 and 8 s.
    for (const [crash, delay] of [
      [2, 2],
      [3, 4],
      [4, 8]
    ] as const) {
      const victim = childrenOf(start.pid).get(VICTIM) as Proc
      kill9(victim)
      const back = await victimBackAndReady(victim.pid, delay * 1_000 + 10_000).catch((error: Error) => {
        throw new Error(`${error.message}${outputTail()}`)
      })
      seen.push(back)
      expect(startLines()).toContain(
        `[start] ${VICTIM} exited unexpectedly (signal SIGKILL); restarting in ${delay} s (crash ${crash} of 5 in 60 s)`
      )
    }

    const last = childrenOf(start.pid).get(VICTIM) as Proc
    kill9(last)
    const leftDown = `[start] ${VICTIM} crashed 5 times within 60 s; left down — see its output above; the other services keep running`
    await pollUntil(() => startLines().includes(leftDown), { timeoutMs: 5_000, message: "the left-down message" }).catch(
      (error: Error) => {
        throw new Error(`${error.message}${outputTail()}`)
      }
    )
    const restartsSoFar = restartedPids().length
    expect(restartsSoFar).toBe(4)

    // It must stay down past the moment its next restart would have come; the others serve throughout.
    const until = performance.now() + NEXT_DELAY_WOULD_BE_MS + 1_000
    while (performance.now() < until) {
      expect(childrenOf(start.pid).has(VICTIM)).toBe(false)
      expect(await answers(VICTIM, "/health")).not.toBe(200)
      expect(start.exitCode).toBeNull()
      await Bun.sleep(250)
    }
    expect(restartedPids().length).toBe(restartsSoFar)
    for (const s of OTHERS) expect({ s, status: await answers(s, "/health") }).toEqual({ s, status: 200 })
    expectOthersUntouched()
    expect(start.exitCode).toBeNull()
    expect(start.signalCode).toBeNull()
  }, 60_000)

  test("SIGTERM stops start and every service process it ever ran", async () => {
    monitoring = false
    await monitor
    for (const p of childrenOf(start.pid).values()) if (!seen.some((s) => s.pid === p.pid)) seen.push(p)
    start.kill("SIGTERM")
    const code = await Promise.race([start.exited, Bun.sleep(20_000).then(() => "still running")])
    expect(code).toBe(0)
    expect(startLines().at(-1)).toBe("[start] all services stopped")
    // start waits for each child's exit before it exits itself; init reaps what it leaves.
    await pollUntil(() => seen.every((p) => !alive(p)), {
      timeoutMs: 5_000,
      message: `every service process to have exited: ${seen.map((p) => p.pid).join(", ")}`
    })
    expect(seen.length).toBe(SERVICES.length + 4)
  }, 30_000)
})
