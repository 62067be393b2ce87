// `bun scripts/bench/seatMap304.ts [requests] [concurrency] [rounds]`: what the seat map costs the screenings
// service with and without a matching If-None-Match (DESIGN §11: a client that polls should pay little for
// "nothing changed"). Starts screenings alone as its own process (throw-away vhost and data directory), seeds a
// screening in a 400-seat hall (20 rows × 20 seats, a quarter of them held) and then, in alternating order and
// for several rounds, sends `requests` GETs of /screenings/{id}/seats sequentially and `concurrency` at a time,
// once plain (200 with the map) and once with the current ETag (304, no body), and GET /health as the floor any
// HTTP answer of the service costs. Prints requests per second and
// the screenings process's CPU µs per request (from /proc, user + system) for each; the median over the rounds.
import { newId } from "@bat/contracts"
import { createTestVhost, freePort, pollUntil, startEventPublisher, startTokenMint } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { cpuTimes, loadAverage } from "./procStats.ts"

const requests = Number(process.argv[2] ?? 5_000)
const concurrency = Number(process.argv[3] ?? 32)
const rounds = Number(process.argv[4] ?? 3)
const root = resolve(import.meta.dir, "../..")

const vhost = await createTestVhost({ prefix: "bat-bench-seatmap" })
const mint = await startTokenMint()
const publisher = await startEventPublisher(vhost.amqpUrl)
const dataDir = mkdtempSync(join(tmpdir(), "bat-bench-seatmap-"))
const port = await freePort()
const base = `http://127.0.0.1:${port}`
// BENCH_CPU_PROF_DIR=<dir> runs screenings under `bun --cpu-prof` (read it with cpuProfileTop.ts); BENCH_ONLY=304
// sends only the 304 requests (a profile of that path alone).
const profDir = process.env.BENCH_CPU_PROF_DIR
const only = process.env.BENCH_ONLY
const profArgs = profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${resolve(profDir)}`, `--cpu-prof-name=screenings-${Date.now()}.cpuprofile`]
const child = Bun.spawn(["bun", ...profArgs, join(root, "services/screenings/src/main.ts")], {
  cwd: root,
  env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, AMQP_URL: vhost.amqpUrl, JWKS_URL: mint.jwksUrl, LOG_LEVEL: "warn" },
  stdout: "ignore",
  stderr: "inherit"
})
const cleanup = async () => {
  child.kill("SIGINT") // a profiled process writes its profile on a clean exit
  await Promise.race([child.exited, Bun.sleep(10_000)])
  child.kill("SIGKILL")
  await publisher.close()
  await mint.stop()
  await vhost.cleanup().catch(() => {})
  rmSync(dataDir, { recursive: true, force: true })
}

try {
  await pollUntil(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, {
    timeoutMs: 30_000,
    message: "screenings to be ready"
  })

  // A 400-seat hall, its cinema and a movie, as the catalog services would announce them.
  const cinemaId = newId()
  const hallId = newId()
  const movieId = newId()
  const rows = Array.from({ length: 20 }, (_, i) => ({ label: String.fromCharCode(65 + i), seats: 20 }))
  await publisher.publish("CinemaCreated", { cinemaId, revision: 1, name: "Roxy", address: "1 Main Street", timeZone: "Europe/Berlin" } as never)
  await publisher.publish("HallCreated", { hallId, cinemaId, name: "Hall 1", rows, capacity: 400 } as never)
  await publisher.publish("MovieAdded", { movieId, revision: 1, title: "Metropolis", genre: "drama", durationMinutes: 120 } as never)
  const staff = await mint.token(newId(), "staff")
  let screeningId = ""
  await pollUntil(
    async () => {
      const res = await fetch(`${base}/screenings`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${staff}` },
        body: JSON.stringify({
          movieId,
          hallId,
          startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
          price: { amount: 1200, currency: "EUR" }
        })
      })
      if (res.status !== 201) return false
      screeningId = ((await res.json()) as { screeningId: string }).screeningId
      return true
    },
    { timeoutMs: 30_000, message: "the hall and movie to be projected" }
  )
  // A quarter of the seats held: the map the 200 path builds is a realistic one.
  const held = rows.flatMap((r) => Array.from({ length: 5 }, (_, i) => `${r.label}${i * 4 + 1}`))
  for (let i = 0; i < held.length; i += 10) {
    await publisher.publish("TicketReserved", {
      bookingId: newId(),
      userId: newId(),
      screeningId,
      tickets: held.slice(i, i + 10).map((seatNumber) => ({ ticketId: newId(), seatNumber })),
      amount: 12_000,
      currency: "EUR",
      expiresAt: new Date(Date.now() + 900_000).toISOString()
    } as never)
  }
  const url = `${base}/screenings/${screeningId}/seats`
  let etag = ""
  await pollUntil(
    async () => {
      const res = await fetch(url)
      const map = (await res.json()) as { counts: { reserved: number } }
      etag = res.headers.get("etag") ?? ""
      return map.counts.reserved === held.length
    },
    { timeoutMs: 30_000, message: "the held seats to reach the map" }
  )
  const bodyBytes = (await (await fetch(url)).arrayBuffer()).byteLength

  const run = async (mode: "200" | "304" | "floor", parallel: number) => {
    const headers: Record<string, string> = mode === "304" ? { "if-none-match": etag } : {}
    const target = mode === "floor" ? `${base}/health` : url
    const expected = mode === "304" ? 304 : 200
    let next = 0
    let wrong = 0
    const worker = async () => {
      while (next < requests) {
        next += 1
        const res = await fetch(target, { headers })
        await res.arrayBuffer()
        if (res.status !== expected) wrong += 1
      }
    }
    const before = cpuTimes(child.pid)!
    const t0 = performance.now()
    await Promise.all(Array.from({ length: parallel }, worker))
    const seconds = (performance.now() - t0) / 1000
    const after = cpuTimes(child.pid)!
    const cpu = after.user + after.sys - (before.user + before.sys)
    if (wrong > 0) throw new Error(`${wrong} of ${requests} answers were not ${expected}`)
    return { perSecond: requests / seconds, cpuUsPerRequest: (cpu / requests) * 1e6 }
  }

  // Warm up both paths (JIT, statement caches).
  if (only === undefined || only === "200") await run("200", concurrency)
  if (only === undefined || only === "304") await run("304", concurrency)

  const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log(
    `seat map of a 400-seat screening (${bodyBytes} bytes of JSON), ${requests} GETs per run, ${rounds} rounds, ` +
      `load average before: ${loadAverage()} (${navigator.hardwareConcurrency} cores)`
  )
  const allCases = [
    { mode: "200", parallel: 1 },
    { mode: "304", parallel: 1 },
    { mode: "200", parallel: concurrency },
    { mode: "304", parallel: concurrency },
    // The floor: the cheapest route the service has (GET /health), i.e. what any HTTP answer costs.
    { mode: "floor", parallel: concurrency }
  ] as const
  const cases = only === undefined ? allCases : allCases.filter((c) => c.mode === only)
  const results = new Map<string, Array<{ perSecond: number; cpuUsPerRequest: number }>>()
  for (let r = 0; r < rounds; r++) {
    // Alternate which path goes first, so a change of machine load hits both alike.
    const order = r % 2 === 0 ? cases : [...cases].reverse()
    for (const c of order) {
      const key = `${c.mode} ${c.parallel}`
      results.set(key, [...(results.get(key) ?? []), await run(c.mode, c.parallel)])
    }
  }
  console.log("answer  concurrency   req/s   screenings CPU µs/request   (median of rounds; each round's figures)")
  for (const c of cases) {
    const xs = results.get(`${c.mode} ${c.parallel}`)!
    const rps = median(xs.map((x) => x.perSecond))
    const us = median(xs.map((x) => x.cpuUsPerRequest))
    console.log(
      `${c.mode.padEnd(5)}   ${String(c.parallel).padStart(11)}  ${rps.toFixed(0).padStart(6)}   ${us.toFixed(0).padStart(26)}   ` +
        `(${xs.map((x) => `${x.perSecond.toFixed(0)}/s ${x.cpuUsPerRequest.toFixed(0)} µs`).join(", ")})`
    )
  }
  for (const parallel of only === undefined ? [1, concurrency] : []) {
    const full = median(results.get(`200 ${parallel}`)!.map((x) => x.cpuUsPerRequest))
    const cheap = median(results.get(`304 ${parallel}`)!.map((x) => x.cpuUsPerRequest))
    console.log(`concurrency ${parallel}: a 304 costs ${((cheap / full) * 100).toFixed(0)} % of a 200's CPU`)
  }
  console.log(`load average after: ${loadAverage()}`)
} finally {
  await cleanup()
}
