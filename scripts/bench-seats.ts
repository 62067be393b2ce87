// `bun scripts/bench-seats.ts [viewers] [seats] [customers]`: the live seat map under a crowd, through the front door.
// Starts the whole fleet (every service and the front door, on free ports, its own vhost and data directory, with
// ABUSE_LIMITS=off), schedules one screening in a hall of `seats` seats (rows of 20) through the API, opens
// `viewers` SSE streams of its seat map at the front door from BENCH_WORKERS worker processes (fetch streaming
// readers), then lets `customers` customers sell the hall out: each books BENCH_SEATS_PER_BOOKING seats
// (POST /tickets/book), waits for the hold, pays (POST /payments) and books again, until every seat is sold.
// Prints whether every change reached every viewer exactly once and in order, the delivery latency from the
// booking service's event (its occurredAt, read from booking.events) to each viewer's receipt (p50/p99/max),
// the spread of one change over all viewers, the book and pay latency the customers saw meanwhile, and the
// front door's and the screenings service's RSS and CPU. Defaults: 2000 viewers, 400 seats, 20 customers, 4 workers.
// BENCH_JSON=<file> also writes the figures as JSON; BAT_CPU_PROF_DIR=<dir> profiles the services (fleet.ts);
// BENCH_VIEWERS_AT=screenings connects the viewers to the screenings service itself (for comparison; customers
// still go through the front door).
import { exchangeOf } from "@bat/contracts"
import { createTestVhost, pollUntil, startFleet, type Fleet, type TestVhost } from "@bat/testing"
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
  /** Per version: the keys (`seatNumber:status`) of its changes. */
  readonly keysOfVersion: Record<number, Array<string>>
}

const runWorker = () => {
  let start: WorkerStart
  let receipts: Array<Float64Array> = []
  const snapshotAt: Array<number> = []
  const keysOfVersion = new Map<number, Array<string>>()
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
              if (!keysOfVersion.has(version)) {
                const data = JSON.parse(block.slice(block.indexOf("data: ") + 6)) as { changes: Array<{ seatNumber: string; status: string }> }
                keysOfVersion.set(version, data.changes.map((c) => `${c.seatNumber}:${c.status}`))
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
        for (const key of keysOfVersion.get(v) ?? []) {
          const published = message.publishedAt[key]
          if (published !== undefined) latencies.push(at - published)
        }
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
      lastReceipt,
      keysOfVersion: Object.fromEntries(keysOfVersion)
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
  const customers = Number(process.argv[4] ?? 20)
  const perBooking = Math.max(1, Number(process.env.BENCH_SEATS_PER_BOOKING ?? 2))
  const workers = Math.max(1, Number(process.env.BENCH_WORKERS ?? 4))
  const rows = Array.from({ length: Math.ceil(seats / 20) }, (_, i) => ({
    label: i < 26 ? String.fromCharCode(65 + i) : `A${String.fromCharCode(65 + i - 26)}`,
    seats: Math.min(20, seats - i * 20)
  }))
  const seatNumbers = rows.flatMap((r) => Array.from({ length: r.seats }, (_, k) => `${r.label}${k + 1}`))
  // Every seat is reserved once and booked once: at most two versions per seat.
  const maxVersion = seatNumbers.length * 2
  const loadAtStart = loadAverage()
  const admin = { email: "bench-admin@bench.test", password: "bench-admin-password" }

  let vhost: TestVhost | undefined
  let fleet: Fleet | undefined
  const children: Array<ReturnType<typeof Bun.spawn>> = []
  let conn: amqp.ChannelModel | undefined
  const dir = mkdtempSync(join(tmpdir(), "bat-bench-seats-"))
  const cleanup = async () => {
    for (const c of children) c.kill()
    await conn?.close().catch(() => {})
    await fleet?.stop()
    await vhost?.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    vhost = await createTestVhost({ prefix: "bat-bench-seats" })
    fleet = await startFleet({
      ports: "free",
      env: { ...process.env, AMQP_URL: vhost.amqpUrl, DATA_DIR: dir, ABUSE_LIMITS: "off", ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password },
      readyTimeoutMs: 60_000
    })
    const base = fleet.urls.gateway!

    /** A JSON call through the front door: status, body and how long it took (ms). */
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const began = now()
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await res.text()
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any, ms: now() - began }
    }
    const must = async (what: string, reply: Promise<{ status: number; body: any }>, status: number) => {
      const r = await reply
      if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
      return r.body
    }

    // The catalog and one screening, as staff would set them up.
    const staff = (await must("staff login", call("POST", "/users/login", admin), 200)).token as string
    const cinema = await must("cinema", call("POST", "/cinemas", { name: "Bench", address: "1 Load Street" }, staff), 201)
    const hall = await must("hall", call("POST", `/cinemas/${cinema.cinemaId}/halls`, { name: "Big", rows }, staff), 201)
    const movie = await must("movie", call("POST", "/movies", { title: "Rush", genre: "drama", durationMinutes: 100 }, staff), 201)
    const startsAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 86_400_000).toISOString()
    const screeningId = await pollUntil(async () => {
      const r = await call("POST", "/screenings", { movieId: movie.movieId, hallId: hall.hallId, startsAt, price: { amount: 1200, currency: "EUR" } }, staff)
      return r.status === 201 && (r.body.screeningId as string)
    }, { timeoutMs: 30_000, message: "the screening to be scheduled" })

    // The customers, registered and logged in before the crowd arrives: enough accounts that none needs more than
    // booking's MAX_SEATS_PER_USER (10 by default) of one screening; `customers` of them are at it at any time.
    const seatsPerAccount = Math.max(perBooking, Math.floor(10 / perBooking) * perBooking)
    const tokens = await Promise.all(
      // (each lane may leave its last account part-used: one spare per lane)
      Array.from({ length: Math.ceil(seatNumbers.length / seatsPerAccount) + customers }, async (_, i) => {
        const email = `bench-${i}-${crypto.randomUUID().slice(0, 8)}@bench.test`
        const password = "bench customer password"
        await must("register", call("POST", "/users/register", { fullName: `Customer ${i}`, email, password }), 201)
        const token = (await must("login", call("POST", "/users/login", { email, password }), 200)).token as string
        // Booking knows a customer once it has heard of the registration.
        await pollUntil(async () => (await call("GET", "/tickets", undefined, token)).status === 200, {
          timeoutMs: 30_000,
          intervalMs: 50,
          message: `booking to know customer ${i}`
        })
        return token
      })
    )

    // What the booking service publishes: each seat change's event time, the start of its publish → viewer latency.
    conn = await amqp.connect(vhost.amqpUrl)
    conn.on("error", () => {})
    const tap = await conn.createChannel()
    const q = await tap.assertQueue("", { exclusive: true })
    await tap.bindQueue(q.queue, exchangeOf("booking"), "TicketReserved")
    await tap.bindQueue(q.queue, exchangeOf("booking"), "TicketBooked")
    const publishedAt: Record<string, number> = {}
    await tap.consume(
      q.queue,
      (m) => {
        if (m === null) return
        const env = JSON.parse(m.content.toString()) as { type: string; occurredAt: string; data: { screeningId: string; tickets: Array<{ seatNumber: string }> } }
        if (env.data.screeningId !== screeningId) return
        const status = env.type === "TicketReserved" ? "reserved" : "booked"
        for (const t of env.data.tickets) publishedAt[`${t.seatNumber}:${status}`] ??= Date.parse(env.occurredAt)
      },
      { noAck: true }
    )

    const gatewayPid = fleet.pid("gateway")!
    const screeningsPid = fleet.pid("screenings")!
    Bun.gc(true)
    await Bun.sleep(500)
    const rssIdle = { gateway: memory(gatewayPid).rss, screenings: memory(screeningsPid).rss }

    // The crowd.
    const viewersBase = process.env.BENCH_VIEWERS_AT === "screenings" ? fleet.urls.screenings! : base
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
      child.send({ kind: "start", url: `${viewersBase}/screenings/${screeningId}/seats/stream`, clients: n, maxVersion, dir, worker: w } satisfies WorkerStart)
    })
    await Promise.all(connected)
    const connectMs = now() - connectStarted
    const gatewayReady = (await (await fetch(`${base}/ready`)).json()) as { checks: { streams: { open: number } } }
    const screeningsReady = (await (await fetch(`${fleet.urls.screenings}/ready`)).json()) as { checks: { seatStreams: number } }
    await Bun.sleep(500)
    const rssConnected = { gateway: memory(gatewayPid).rss, screenings: memory(screeningsPid).rss }
    const cpuOf = (pids: Array<number>) => pids.reduce((n, p) => n + ((t) => (t ? t.user + t.sys : 0))(cpuTimes(p)), 0)
    const cpuBefore = { gateway: cpuOf([gatewayPid]), screenings: cpuOf([screeningsPid]), fleet: cpuOf(Object.keys(fleet.urls).map((s) => fleet!.pid(s)!)) }
    const workersCpuBefore = cpuOf(children.map((c) => c.pid))

    // The sale: each customer books the next seats, waits for the hold, pays, and goes again.
    const bookMs: Array<number> = []
    const payMs: Array<number> = []
    const failures: Record<string, number> = {}
    const fail = (what: string) => (failures[what] = (failures[what] ?? 0) + 1)
    let next = 0
    let nextAccount = 0
    const expYear = new Date().getUTCFullYear() + 3
    const saleStarted = now()
    await Promise.all(
      Array.from({ length: customers }, async () => {
        let token = tokens[nextAccount++]!
        let left = seatsPerAccount
        while (next < seatNumbers.length) {
          // A customer who has bought all they may is followed by the next one.
          if (left < perBooking) {
            token = tokens[nextAccount++]!
            left = seatsPerAccount
          }
          left -= perBooking
          const mine = seatNumbers.slice(next, next + perBooking)
          next += perBooking
          const book = await call("POST", "/tickets/book", { screeningId, seatNumbers: mine }, token)
          if (book.status !== 202) {
            fail(`book ${book.status} ${book.body?.code ?? ""}`)
            continue
          }
          bookMs.push(book.ms)
          const bookingId = book.body.bookingId as string
          const held = await pollUntil(async () => {
            const b = await call("GET", `/tickets/bookings/${bookingId}`, undefined, token)
            return b.status === 200 && b.body.status !== "pending" && `${b.body.status}${b.body.reason ? ` ${b.body.reason}` : ""}`
          }, { timeoutMs: 60_000, intervalMs: 25, message: `booking ${bookingId} to be decided` })
          if (held !== "reserved") {
            fail(`hold ${held}`)
            continue
          }
          const pay = await pollUntil(async () => {
            const r = await call("POST", "/payments", { bookingId, card: { number: "4242424242424242", expMonth: 12, expYear, cvc: "123" } }, token)
            // Payments may not have heard of the hold yet: ask again.
            return r.status === 404 || r.body?.code === "reservation_not_found_yet" ? false : r
          }, { timeoutMs: 60_000, intervalMs: 25, message: `booking ${bookingId} to be payable` })
          if (pay.status !== 200 || pay.body.status !== "succeeded") fail(`pay ${pay.status} ${pay.body?.status ?? pay.body?.code ?? ""}`)
          else payMs.push(pay.ms)
        }
      })
    )
    const bookedMs = now() - saleStarted
    if (Object.keys(failures).length > 0) console.error(`bench-seats: the sale had failures: ${JSON.stringify(failures)}`)
    const finalVersion = await pollUntil(async () => {
      const res = await fetch(`${base}/screenings/${screeningId}/seats`)
      const map = (await res.json()) as { counts: { booked: number } }
      const version = Number(/-(\d+)"$/.exec(res.headers.get("etag") ?? "")?.[1])
      return map.counts.booked === seatNumbers.length && version
    }, { timeoutMs: Object.keys(failures).length > 0 ? 5_000 : 120_000, intervalMs: 50, message: "every seat to be painted booked" })
    const appliedMs = now() - saleStarted
    for (const child of children) child.send({ kind: "finish", finalVersion, publishedAt } satisfies WorkerFinish)
    const done = await Promise.all(reports)
    const cpuAfter = { gateway: cpuOf([gatewayPid]), screenings: cpuOf([screeningsPid]), fleet: cpuOf(Object.keys(fleet.urls).map((s) => fleet!.pid(s)!)) }
    const workersCpu = cpuOf(children.map((c) => c.pid)) - workersCpuBefore
    const rssAfter = { gateway: memory(gatewayPid), screenings: memory(screeningsPid) }

    // Figures.
    const all = done.flatMap((r) => Array.from(new Float64Array(readFileSync(r.latencyFile).buffer)))
    const sorted = Float64Array.from(all).sort()
    const spread: Array<number> = []
    const toFirst: Array<number> = []
    for (let v = 1; v <= finalVersion; v++) {
      const first = Math.min(...done.map((r) => r.firstReceipt[v] || Infinity))
      const last = Math.max(...done.map((r) => r.lastReceipt[v] || 0))
      if (Number.isFinite(first) && last > 0) spread.push(last - first)
      const keys = done.find((r) => r.keysOfVersion[v] !== undefined)?.keysOfVersion[v] ?? []
      const published = Math.min(...keys.map((k) => publishedAt[k] ?? Infinity))
      if (Number.isFinite(first) && Number.isFinite(published)) toFirst.push(first - published)
    }
    spread.sort((a, b) => a - b)
    toFirst.sort((a, b) => a - b)
    bookMs.sort((a, b) => a - b)
    payMs.sort((a, b) => a - b)
    const sum = (f: (r: WorkerReport) => number) => done.reduce((n, r) => n + f(r), 0)
    const changes = Object.keys(publishedAt).length
    const figures = {
      viewers: clients,
      viewersAt: viewersBase === base ? "gateway" : "screenings",
      workers,
      customers,
      accounts: tokens.length,
      seatsPerBooking: perBooking,
      seats: seatNumbers.length,
      bookings: bookMs.length,
      payments: payMs.length,
      failures,
      changesPublished: changes,
      finalVersion,
      streamsSeenByGateway: gatewayReady.checks.streams.open,
      streamsSeenByService: screeningsReady.checks.seatStreams,
      connectMs: Math.round(connectMs),
      saleMs: Math.round(bookedMs),
      appliedMs: Math.round(appliedMs),
      clientsComplete: sum((r) => r.complete),
      missing: sum((r) => r.missing),
      duplicates: sum((r) => r.duplicates),
      outOfOrder: sum((r) => r.outOfOrder),
      reconnects: sum((r) => r.reconnects),
      snapshotsAfterReconnect: sum((r) => r.snapshotsAfterReconnect),
      deliveries: sorted.length,
      latencyMs: { p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN },
      spreadMs: { p50: pct(spread, 50), p99: pct(spread, 99), max: spread[spread.length - 1] ?? Number.NaN },
      firstReceiptMs: { p50: pct(toFirst, 50), p99: pct(toFirst, 99), max: toFirst[toFirst.length - 1] ?? Number.NaN },
      bookMs: { p50: pct(bookMs, 50), p99: pct(bookMs, 99), max: bookMs[bookMs.length - 1] ?? Number.NaN },
      payMs: { p50: pct(payMs, 50), p99: pct(payMs, 99), max: payMs[payMs.length - 1] ?? Number.NaN },
      workersCpuSecondsDuringSale: workersCpu,
      cpuSecondsDuringSale: {
        gateway: cpuAfter.gateway - cpuBefore.gateway,
        screenings: cpuAfter.screenings - cpuBefore.screenings,
        allServices: cpuAfter.fleet - cpuBefore.fleet
      },
      rss: {
        gateway: { idle: rssIdle.gateway, connected: rssConnected.gateway, afterSale: rssAfter.gateway.rss, peak: rssAfter.gateway.peak },
        screenings: { idle: rssIdle.screenings, connected: rssConnected.screenings, afterSale: rssAfter.screenings.rss, peak: rssAfter.screenings.peak }
      },
      loadAverageAtStart: loadAtStart,
      loadAverage: loadAverage()
    }
    const f1 = (n: number) => n.toFixed(1)
    const trio = (x: { p50: number; p99: number; max: number }) => `p50 ${f1(x.p50)} ms  p99 ${f1(x.p99)} ms  max ${f1(x.max)} ms`
    console.log(
      `live seat map ${viewersBase === base ? "through the front door" : "at the screenings service itself"}: ${clients} SSE viewers in ${workers} worker processes, ${seatNumbers.length} seats, ` +
        `${customers} customers at a time (${tokens.length} accounts) booking ${perBooking} seat(s) at a time and paying`
    )
    console.log(`  load average (/proc/loadavg) at the start: ${loadAtStart}, at the end: ${figures.loadAverage}`)
    console.log(`  connected ${clients} streams in ${figures.connectMs} ms (the front door counted ${figures.streamsSeenByGateway}, screenings ${figures.streamsSeenByService})`)
    console.log(
      `  sale: ${figures.bookings} bookings, ${figures.payments} payments in ${figures.saleMs} ms; every seat painted booked after ${figures.appliedMs} ms; ` +
        `failures ${JSON.stringify(failures)}; ${changes} seat changes published, final version ${finalVersion}`
    )
    console.log(
      `  deliveries: ${figures.deliveries}; viewers with every change once and in order: ${figures.clientsComplete}/${clients}; ` +
        `missing ${figures.missing}, duplicates ${figures.duplicates}, out of order ${figures.outOfOrder}, ` +
        `reconnects ${figures.reconnects} (snapshots after reconnect ${figures.snapshotsAfterReconnect})`
    )
    console.log(`  delivery latency, publish (the event's occurredAt) → viewer: ${trio(figures.latencyMs)}`)
    console.log(`  publish → first viewer to receive it: ${trio(figures.firstReceiptMs)}`)
    console.log(`  spread of one change over all viewers (first → last receipt): ${trio(figures.spreadMs)}`)
    console.log(`  POST /tickets/book (202) meanwhile: ${trio(figures.bookMs)}`)
    console.log(`  POST /payments (200, succeeded) meanwhile: ${trio(figures.payMs)}`)
    console.log(
      `  RSS: gateway ${mb(rssIdle.gateway)} idle, ${mb(rssConnected.gateway)} with ${clients} streams, ${mb(rssAfter.gateway.rss)} after (peak ${mb(rssAfter.gateway.peak)}); ` +
        `screenings ${mb(rssIdle.screenings)}, ${mb(rssConnected.screenings)}, ${mb(rssAfter.screenings.rss)} (peak ${mb(rssAfter.screenings.peak)})`
    )
    console.log(
      `  CPU during the sale: gateway ${f1(figures.cpuSecondsDuringSale.gateway)} s, screenings ${f1(figures.cpuSecondsDuringSale.screenings)} s, ` +
        `all services ${f1(figures.cpuSecondsDuringSale.allServices)} s, the ${workers} viewer workers ${f1(workersCpu)} s`
    )
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures, null, 2))
    const ok = figures.clientsComplete === clients && figures.duplicates === 0 && figures.outOfOrder === 0 && Object.keys(failures).length === 0
    if (!ok) process.exitCode = 1
  } finally {
    await cleanup()
  }
}

if (process.env.BENCH_SEATS_WORKER === "1") runWorker()
else await runMain()
