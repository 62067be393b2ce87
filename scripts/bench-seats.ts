// `bun scripts/bench-seats.ts [clients] [seats] [events-per-second]`: the live seat map under a crowd.
// Starts the screenings service on its own vhost and data directory, schedules one screening in a hall of
// `seats` seats (rows of 20), opens `clients` SSE streams of its seat map from BENCH_WORKERS worker
// processes (fetch streaming readers), then sells out the hall: a TicketReserved per seat and, 50 events
// later, its TicketBooked, published at `events-per-second` (0: as fast as the broker confirms). Prints
// the changes published, whether every change reached every client exactly once and in order, the delivery
// latency from publish to each client's receipt (p50/p99/max), the spread of one change over all clients,
// and the service's RSS and CPU before and after. Defaults: 2000 clients, 400 seats, 400 events/s, 4 workers.
// BENCH_JSON=<file> also writes the figures as JSON; BENCH_CPU_PROF=<dir> profiles the service.
import { catalog, exchangeOf, makeEnvelope, newId, type EventType } from "@bat/contracts"
import { createTestVhost, freePort, pollUntil, repoRoot, startTokenMint, type TestVhost, type TokenMint } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cpuTimes, loadAverage, memory } from "./bench/procStats.ts"

const now = () => performance.timeOrigin + performance.now()

// ---------------------------------------------------------------------------------------------------
// Worker: `clients` streams of one seat map, each reconnecting with Last-Event-ID if it is dropped.

interface WorkerStart {
  readonly kind: "start"
  readonly url: string
  readonly clients: number
  readonly maxVersion: number
  readonly dir: string
  readonly worker: number
}
interface WorkerFinish {
  readonly kind: "finish"
  readonly finalVersion: number
  /** `seatNumber:status` → when its event was published (ms, shared clock). */
  readonly publishedAt: Record<string, number>
}
export interface WorkerReport {
  readonly clients: number
  /** Clients that received every change after their first snapshot, each once and in order. */
  readonly complete: number
  readonly missing: number
  readonly duplicates: number
  readonly outOfOrder: number
  readonly reconnects: number
  readonly snapshotsAfterReconnect: number
  readonly samples: number
  readonly latencyFile: string
  /** Per version: first and last receipt among this worker's clients. */
  readonly firstReceipt: Array<number>
  readonly lastReceipt: Array<number>
}

const runWorker = () => {
  let start: WorkerStart
  let receipts: Array<Float64Array> = []
  const snapshotAt: Array<number> = []
  const keyOfVersion = new Map<number, string>()
  let duplicates = 0
  let outOfOrder = 0
  let reconnects = 0
  let snapshotsAfterReconnect = 0
  let stopping = false
  const abort = new AbortController()

  const client = async (index: number, ready: () => void) => {
    let last: number | undefined
    let announced = false
    const seen = receipts[index]!
    while (!stopping) {
      try {
        const res = await fetch(start.url, {
          headers: { accept: "text/event-stream", ...(last === undefined ? {} : { "last-event-id": String(last) }) },
          signal: abort.signal
        })
        if (res.status !== 200 || res.body === null) throw new Error(`HTTP ${res.status}`)
        const reader = res.body.getReader()
        const decoder = new TextDecoder()
        let buffer = ""
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          const at = now()
          buffer += decoder.decode(value, { stream: true })
          let end = buffer.indexOf("\n\n")
          while (end !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf("\n\n")
            // Frames are `id: <v>\nevent: <name>\ndata: <json>`; comments and retry lines start otherwise.
            if (!block.startsWith("id: ")) continue
            const nl = block.indexOf("\n")
            const version = Number(block.slice(4, nl))
            const isSnapshot = block.startsWith("event: snapshot", nl + 1)
            if (isSnapshot) {
              if (snapshotAt[index] === undefined) snapshotAt[index] = version
              else snapshotsAfterReconnect++
            } else {
              if (last !== undefined && version !== last + 1) outOfOrder++
              if (seen[version]! > 0) duplicates++
              else seen[version] = at
              if (!keyOfVersion.has(version)) {
                const data = JSON.parse(block.slice(block.indexOf("data: ") + 6)) as { changes: Array<{ seatNumber: string; status: string }> }
                keyOfVersion.set(version, data.changes.map((c) => `${c.seatNumber}:${c.status}`).join(","))
              }
            }
            last = version
            if (!announced) {
              announced = true
              ready()
            }
          }
        }
      } catch {
        if (stopping) return
      }
      if (stopping) return
      reconnects++
      await Bun.sleep(200)
    }
  }

  process.on("message", async (message: WorkerStart | WorkerFinish) => {
    if (message.kind === "start") {
      start = message
      receipts = Array.from({ length: start.clients }, () => new Float64Array(start.maxVersion + 1))
      let connected = 0
      const all = new Promise<void>((resolve) => {
        const ready = () => {
          if (++connected === start.clients) resolve()
        }
        for (let i = 0; i < start.clients; i++) void client(i, ready)
      })
      await all
      process.send!({ kind: "connected" })
      return
    }
    // Finish: wait (bounded) for the last change at every client, then measure.
    const final = message.finalVersion
    const deadline = now() + 60_000
    while (now() < deadline && receipts.some((r, i) => (snapshotAt[i] ?? 0) < final && !(r[final]! > 0))) await Bun.sleep(20)
    stopping = true
    abort.abort()
    let complete = 0
    let missing = 0
    const latencies: Array<number> = []
    const firstReceipt = new Array<number>(final + 1).fill(0)
    const lastReceipt = new Array<number>(final + 1).fill(0)
    receipts.forEach((r, i) => {
      const from = (snapshotAt[i] ?? final) + 1
      let ok = true
      for (let v = from; v <= final; v++) {
        const at = r[v]!
        if (!(at > 0)) {
          missing++
          ok = false
          continue
        }
        const published = message.publishedAt[keyOfVersion.get(v) ?? ""]
        if (published !== undefined) latencies.push(at - published)
        if (firstReceipt[v] === 0 || at < firstReceipt[v]!) firstReceipt[v] = at
        if (at > lastReceipt[v]!) lastReceipt[v] = at
      }
      if (ok) complete++
    })
    const latencyFile = join(start.dir, `latencies-${start.worker}.bin`)
    writeFileSync(latencyFile, new Float64Array(latencies))
    const report: WorkerReport = {
      clients: start.clients,
      complete,
      missing,
      duplicates,
      outOfOrder,
      reconnects,
      snapshotsAfterReconnect,
      samples: latencies.length,
      latencyFile,
      firstReceipt,
      lastReceipt
    }
    process.send!({ kind: "report", report })
  })
}

// ---------------------------------------------------------------------------------------------------
// Main

const pct = (sorted: Float64Array | Array<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 1_048_576).toFixed(0)} MiB`)

const runMain = async () => {
  const clients = Number(process.argv[2] ?? 2_000)
  const seats = Number(process.argv[3] ?? 400)
  const rate = Number(process.argv[4] ?? 400)
  const workers = Math.max(1, Number(process.env.BENCH_WORKERS ?? 4))
  const LAG = 50
  const rows = Array.from({ length: Math.ceil(seats / 20) }, (_, i) => ({
    label: i < 26 ? String.fromCharCode(65 + i) : `A${String.fromCharCode(65 + i - 26)}`,
    seats: Math.min(20, seats - i * 20)
  }))
  const seatNumbers = rows.flatMap((r) => Array.from({ length: r.seats }, (_, k) => `${r.label}${k + 1}`))
  const finalVersion = seatNumbers.length * 2
  const loadAtStart = loadAverage()

  let vhost: TestVhost | undefined
  let mint: TokenMint | undefined
  let service: ReturnType<typeof Bun.spawn> | undefined
  const children: Array<ReturnType<typeof Bun.spawn>> = []
  let conn: amqp.ChannelModel | undefined
  const dir = mkdtempSync(join(tmpdir(), "bat-bench-seats-"))
  const cleanup = async () => {
    for (const c of children) c.kill()
    await conn?.close().catch(() => {})
    if (service) {
      service.kill("SIGTERM")
      await Promise.race([service.exited, Bun.sleep(5_000)])
      if (service.exitCode === null) service.kill("SIGKILL")
    }
    await mint?.stop()
    await vhost?.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    vhost = await createTestVhost({ prefix: "bat-bench-seats" })
    mint = await startTokenMint()
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    // BENCH_CPU_PROF=<dir>: the service writes a CPU profile there when it stops (scripts/bench/cpuProfileTop.ts reads it).
    const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
    service = Bun.spawn([process.execPath, ...profile, "services/screenings/src/main.ts"], {
      cwd: repoRoot(),
      // Thousands of viewers and bookers from one address: a benchmark, not a cinema (DESIGN §17).
      env: { ...process.env, PORT: String(port), DATA_DIR: dir, AMQP_URL: vhost.amqpUrl, JWKS_URL: mint.jwksUrl, ABUSE_LIMITS: "off" },
      stdout: Bun.file(join(dir, "screenings.log")),
      stderr: "inherit"
    })
    await pollUntil(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      message: "screenings to be ready"
    })

    conn = await amqp.connect(vhost.amqpUrl)
    conn.on("error", () => {})
    const ch = await conn.createConfirmChannel()
    const publish = (type: EventType, data: object) => {
      const env = makeEnvelope(type, data, { source: catalog[type].producer, correlationId: newId() })
      ch.publish(exchangeOf(catalog[type].producer), type, Buffer.from(JSON.stringify(env)), {
        persistent: true,
        contentType: "application/json",
        messageId: env.id,
        type
      })
    }

    // The catalog, then one screening.
    const cinemaId = newId()
    const hallId = newId()
    const movieId = newId()
    publish("CinemaCreated", { cinemaId, revision: 1, name: "Bench", address: "1 Load Street", timeZone: "UTC" })
    publish("HallCreated", { hallId, cinemaId, name: "Big", rows, capacity: seatNumbers.length })
    publish("MovieAdded", { movieId, revision: 1, title: "Rush", genre: "drama", durationMinutes: 100 })
    await ch.waitForConfirms()
    const staff = await mint.token(newId(), "staff")
    const startsAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 86_400_000).toISOString()
    const screeningId = await pollUntil(async () => {
      const res = await fetch(`${base}/screenings`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${staff}` },
        body: JSON.stringify({ movieId, hallId, startsAt, price: { amount: 1200, currency: "EUR" } })
      })
      return res.status === 201 && ((await res.json()) as { screeningId: string }).screeningId
    }, { timeoutMs: 30_000, message: "the screening to be scheduled" })

    const pid = service.pid
    Bun.gc(true)
    await Bun.sleep(500)
    const rssIdle = memory(pid).rss

    // The crowd.
    const connectStarted = now()
    const perWorker = Array.from({ length: workers }, (_, w) => Math.floor(clients / workers) + (w < clients % workers ? 1 : 0))
    const connected: Array<Promise<void>> = []
    const reports: Array<Promise<WorkerReport>> = []
    perWorker.forEach((n, w) => {
      let onConnected!: () => void
      let onReport!: (r: WorkerReport) => void
      connected.push(new Promise((r) => (onConnected = r)))
      reports.push(new Promise((r) => (onReport = r)))
      const child = Bun.spawn([process.execPath, import.meta.path], {
        env: { ...process.env, BENCH_SEATS_WORKER: "1", BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.max(512, n * 2)) },
        stdout: "inherit",
        stderr: "inherit",
        ipc(message: { kind: string; report?: WorkerReport }) {
          if (message.kind === "connected") onConnected()
          if (message.kind === "report") onReport(message.report!)
        }
      })
      children.push(child)
      child.send({ kind: "start", url: `${base}/screenings/${screeningId}/seats/stream`, clients: n, maxVersion: finalVersion, dir, worker: w } satisfies WorkerStart)
    })
    await Promise.all(connected)
    const connectMs = now() - connectStarted
    const ready = (await (await fetch(`${base}/ready`)).json()) as { checks: { seatStreams: number } }
    await Bun.sleep(500)
    const rssConnected = memory(pid).rss
    const cpuBefore = cpuTimes(pid)
    const cpuOf = (pids: Array<number>) => pids.reduce((n, p) => n + ((t) => (t ? t.user + t.sys : 0))(cpuTimes(p)), 0)
    const workersCpuBefore = cpuOf(children.map((c) => c.pid))

    // The flash sale: reserve every seat; each booking confirms LAG events after its reservation.
    const publishedAt: Record<string, number> = {}
    const bookings = seatNumbers.map((seatNumber) => ({ bookingId: newId(), userId: newId(), tickets: [{ ticketId: newId(), seatNumber }] }))
    const sequence: Array<{ type: "TicketReserved" | "TicketBooked"; index: number }> = []
    for (let k = 0; k < seatNumbers.length + LAG; k++) {
      if (k < seatNumbers.length) sequence.push({ type: "TicketReserved", index: k })
      if (k - LAG >= 0 && k - LAG < seatNumbers.length) sequence.push({ type: "TicketBooked", index: k - LAG })
    }
    const saleStarted = now()
    const tickMs = 10
    const perTick = rate > 0 ? Math.max(1, Math.round((rate * tickMs) / 1000)) : 50
    for (let i = 0; i < sequence.length; i += perTick) {
      const tickStart = now()
      for (const { type, index } of sequence.slice(i, i + perTick)) {
        const b = bookings[index]!
        const data =
          type === "TicketReserved"
            ? { ...b, screeningId, amount: 1200, currency: "EUR", expiresAt: new Date(Date.now() + 900_000).toISOString() }
            : { ...b, screeningId }
        publishedAt[`${b.tickets[0]!.seatNumber}:${type === "TicketReserved" ? "reserved" : "booked"}`] = now()
        publish(type, data)
      }
      await ch.waitForConfirms()
      const left = tickMs - (now() - tickStart)
      if (rate > 0 && left > 0) await Bun.sleep(left)
    }
    const publishMs = now() - saleStarted
    await pollUntil(
      async () =>
        (await fetch(`${base}/screenings/${screeningId}/seats`, { headers: { "if-none-match": `"${screeningId}-${finalVersion}"` } })).status === 304,
      { timeoutMs: 120_000, intervalMs: 20, message: `the seat map to reach version ${finalVersion}` }
    )
    const appliedMs = now() - saleStarted
    for (const child of children) child.send({ kind: "finish", finalVersion, publishedAt } satisfies WorkerFinish)
    const done = await Promise.all(reports)
    const cpuAfter = cpuTimes(pid)
    const workersCpu = cpuOf(children.map((c) => c.pid)) - workersCpuBefore
    const rssAfter = memory(pid)

    // Figures.
    const all = done.flatMap((r) => Array.from(new Float64Array(readFileSync(r.latencyFile).buffer)))
    const sorted = Float64Array.from(all).sort()
    const spread: Array<number> = []
    const toFirst: Array<number> = []
    const keyOf = (v: number) => {
      const i = sequence[v - 1]!
      return `${bookings[i.index]!.tickets[0]!.seatNumber}:${i.type === "TicketReserved" ? "reserved" : "booked"}`
    }
    for (let v = 1; v <= finalVersion; v++) {
      const first = Math.min(...done.map((r) => r.firstReceipt[v] || Infinity))
      const last = Math.max(...done.map((r) => r.lastReceipt[v] || 0))
      if (Number.isFinite(first) && last > 0) spread.push(last - first)
      // Versions follow the publishing order (one queue, applied in delivery order, one seat per event).
      const published = publishedAt[keyOf(v)]
      if (Number.isFinite(first) && published !== undefined) toFirst.push(first - published)
    }
    spread.sort((a, b) => a - b)
    toFirst.sort((a, b) => a - b)
    const sum = (f: (r: WorkerReport) => number) => done.reduce((n, r) => n + f(r), 0)
    const cpu = cpuBefore && cpuAfter ? cpuAfter.user + cpuAfter.sys - cpuBefore.user - cpuBefore.sys : Number.NaN
    const figures = {
      clients,
      workers,
      seats: seatNumbers.length,
      rate,
      changesPublished: sequence.length,
      finalVersion,
      streamsSeenByService: ready.checks.seatStreams,
      connectMs: Math.round(connectMs),
      publishMs: Math.round(publishMs),
      appliedMs: Math.round(appliedMs),
      clientsComplete: sum((r) => r.complete),
      missing: sum((r) => r.missing),
      duplicates: sum((r) => r.duplicates),
      outOfOrder: sum((r) => r.outOfOrder),
      reconnects: sum((r) => r.reconnects),
      snapshotsAfterReconnect: sum((r) => r.snapshotsAfterReconnect),
      deliveries: sorted.length,
      expectedDeliveries: clients * finalVersion,
      latencyMs: { p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN },
      spreadMs: { p50: pct(spread, 50), p99: pct(spread, 99), max: spread[spread.length - 1] ?? Number.NaN },
      firstReceiptMs: { p50: pct(toFirst, 50), p99: pct(toFirst, 99), max: toFirst[toFirst.length - 1] ?? Number.NaN },
      workersCpuSecondsDuringSale: workersCpu,
      rss: { idle: rssIdle, connected: rssConnected, afterSale: rssAfter.rss, peak: rssAfter.peak },
      serviceCpuSecondsDuringSale: cpu,
      loadAverageAtStart: loadAtStart,
      loadAverage: loadAverage()
    }
    const f1 = (n: number) => n.toFixed(1)
    console.log(
      `live seat map: ${clients} SSE clients in ${workers} worker processes, ${seatNumbers.length} seats, events at ${rate || "max"}/s` +
        (process.env.SEAT_STREAM_COALESCE_MS ? `, SEAT_STREAM_COALESCE_MS=${process.env.SEAT_STREAM_COALESCE_MS}` : "")
    )
    console.log(`  load average (/proc/loadavg) at the start: ${loadAtStart}, at the end: ${figures.loadAverage}`)
    console.log(`  connected ${clients} streams in ${figures.connectMs} ms (the service counted ${figures.streamsSeenByService})`)
    console.log(`  changes published: ${figures.changesPublished} (${seatNumbers.length} TicketReserved + ${seatNumbers.length} TicketBooked) in ${figures.publishMs} ms; all applied after ${figures.appliedMs} ms`)
    console.log(
      `  deliveries: ${figures.deliveries} of ${figures.expectedDeliveries} expected; clients with every change once and in order: ` +
        `${figures.clientsComplete}/${clients}; missing ${figures.missing}, duplicates ${figures.duplicates}, out of order ${figures.outOfOrder}, ` +
        `reconnects ${figures.reconnects} (snapshots after reconnect ${figures.snapshotsAfterReconnect})`
    )
    console.log(`  delivery latency, publish → client: p50 ${f1(figures.latencyMs.p50)} ms  p99 ${f1(figures.latencyMs.p99)} ms  max ${f1(figures.latencyMs.max)} ms`)
    console.log(`  publish → first client to receive it: p50 ${f1(figures.firstReceiptMs.p50)} ms  p99 ${f1(figures.firstReceiptMs.p99)} ms  max ${f1(figures.firstReceiptMs.max)} ms`)
    console.log(`  spread of one change over all clients (first → last receipt): p50 ${f1(figures.spreadMs.p50)} ms  p99 ${f1(figures.spreadMs.p99)} ms  max ${f1(figures.spreadMs.max)} ms`)
    console.log(`  screenings RSS: ${mb(rssIdle)} idle, ${mb(rssConnected)} with ${clients} streams, ${mb(rssAfter.rss)} after the sale (peak ${mb(rssAfter.peak)})`)
    console.log(`  CPU during the sale: screenings ${f1(cpu)} s, the ${workers} client workers ${f1(workersCpu)} s`)
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures, null, 2))
    const ok = figures.clientsComplete === clients && figures.duplicates === 0 && figures.outOfOrder === 0
    if (!ok) process.exitCode = 1
  } finally {
    await cleanup()
  }
}

if (process.env.BENCH_SEATS_WORKER === "1") runWorker()
else await runMain()
