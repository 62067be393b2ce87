// `bun run bench [attempts] [concurrency] [flash-sale attempts]`: booking throughput and latency, what
// each process (every service and the RabbitMQ node) spent in CPU per decision and its memory after the
// run, the broker's work per booking, the raw broker round trip measured in the same run, and a flash
// sale that checks no seat was sold twice. Decisions are observed on the `booking.events` exchange.
//
// By default the benchmark starts its own fleet on free ports, on a throw-away vhost and data directory,
// and stops it at the end. With BOOKATICKET_API set it runs against that running fleet instead (e.g.
// `bun run start`), finds the services' processes by their ports, and reads broker counters of the vhost
// in AMQP_URL (shared with whatever else uses it).
// BAT_CPU_PROF_DIR (own fleet only) writes a CPU profile per service on exit (see packages/testing fleet);
// BENCH_JSON=<file> writes the figures as JSON as well; BENCH_CUSTOMERS=<n> registers more customers.
import { newId } from "@bat/contracts"
import { createTestVhost, discoverServices, rawRoundTrip, startFleet, type Fleet, type TestVhost } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brokerDelta, queueNames, readBroker, type BrokerReading } from "./bench/brokerStats.ts"
import { formatCosts, processCosts } from "./bench/costTable.ts"
import { listeningPids, loadAverage, memory, sampleCpu } from "./bench/procStats.ts"

const ADMIN_EMAIL = process.env.ADMIN_EMAIL ?? "admin@bookaticket.local"
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "bookaticket-dev-admin"
const attempts = Number(process.argv[2] ?? 5_000)
const concurrency = Number(process.argv[3] ?? 64)
const flashAttempts = Number(process.argv[4] ?? 3_000)

const pct = (xs: Array<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN
}
const fmt = (xs: Array<number>) => `p50 ${pct(xs, 50).toFixed(1)} ms  p95 ${pct(xs, 95).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms`

const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
const must = async (p: Promise<{ status: number; body: any }>, what: string, ok = [200, 201, 202]) => {
  const r = await p
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

const external = process.env.BOOKATICKET_API !== undefined && process.env.BOOKATICKET_API !== ""
let fleet: Fleet | undefined
let vhost: TestVhost | undefined
let dataDir: string | undefined
let API: string
let AMQP_URL: string
let vhostName: string
const cleanup = async () => {
  await fleet?.stop()
  await vhost?.cleanup()
  if (dataDir !== undefined && process.env.BENCH_KEEP_DATA !== "1") rmSync(dataDir, { recursive: true, force: true })
}
if (external) {
  API = process.env.BOOKATICKET_API as string
  AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672"
  vhostName = decodeURIComponent(new URL(AMQP_URL).pathname.slice(1)) || "/"
} else {
  vhost = await createTestVhost({ prefix: "bat-bench" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-bench-"))
  console.log(`starting a fleet on vhost ${vhost.vhost}, data in ${dataDir}`)
  try {
    fleet = await startFleet({
      ports: "free",
      // 64 customers booking as fast as they can from 127.0.0.1: rate limits and quotas would measure themselves.
      env: { ...process.env, AMQP_URL: vhost.amqpUrl, DATA_DIR: dataDir, ABUSE_LIMITS: "off" },
      stopGraceMs: process.env.BAT_CPU_PROF_DIR ? 60_000 : 5_000
    })
  } catch (error) {
    await cleanup()
    throw error
  }
  API = fleet.urls.gateway as string
  AMQP_URL = vhost.amqpUrl
  vhostName = vhost.vhost
}
process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)))
// A failure part-way (a refused request, a broken fleet) still stops the fleet and deletes the vhost.
process.on("uncaughtException", (error) => {
  console.error(error)
  void cleanup().finally(() => process.exit(1))
})

const ready = await fetch(`${API}/users/.well-known/jwks.json`).catch(() => undefined)
if (!ready?.ok) {
  console.error(`cannot reach ${API} — start the system first with \`bun run start\``)
  await cleanup()
  process.exit(1)
}

/** Every service process and the broker node, by name. */
const processes = (): Array<{ name: string; pid: number }> => {
  const services = discoverServices()
  const byPort = new Map<number, string>()
  if (fleet === undefined) {
    for (const s of services) byPort.set(Number(process.env[s.portEnv] || s.defaultPort), s.name)
    const apiPort = Number(new URL(API).port || 80)
    byPort.set(apiPort, "gateway")
  }
  const brokerPort = Number(new URL(AMQP_URL).port || 5672)
  const pids = listeningPids([...byPort.keys(), brokerPort])
  const found: Array<{ name: string; pid: number }> = []
  for (const s of services) {
    const pid = fleet !== undefined ? fleet.pid(s.name) : [...byPort].flatMap(([port, name]) => (name === s.name ? [pids.get(port)] : []))[0]
    if (pid !== undefined) found.push({ name: s.name === "gateway" ? "gateway (front door)" : s.name, pid })
  }
  const broker = pids.get(brokerPort)
  if (broker !== undefined) found.push({ name: "rabbitmq (whole node)", pid: broker })
  found.push({ name: "bench client", pid: process.pid })
  return found
}

const staff = (await must(call("POST", "/users/login", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }), "staff login")).token
const schedule = async (rows: number, seats: number) => {
  const labels = Array.from({ length: rows }, (_, i) => (i < 26 ? String.fromCharCode(65 + i) : `A${String.fromCharCode(65 + i - 26)}`))
  const cinema = await must(call("POST", "/cinemas", { name: `Bench ${newId().slice(-6)}`, address: "Bench Road" }, staff), "cinema")
  const hall = await must(
    call("POST", `/cinemas/${cinema.cinemaId}/halls`, { name: "Bench hall", rows: labels.map((label) => ({ label, seats })) }, staff),
    "hall"
  )
  const movie = await must(call("POST", "/movies", { title: `Bench ${newId().slice(-6)}`, genre: "test", durationMinutes: 90 }, staff), "movie")
  const startsAt = new Date(Date.now() + 7 * 86_400_000 + Math.floor(Math.random() * 86_400_000)).toISOString()
  for (let i = 0; i < 200; i++) {
    const r = await call("POST", "/screenings", { movieId: movie.movieId, hallId: hall.hallId, startsAt, price: { amount: 900, currency: "EUR" } }, staff)
    if (r.status === 201) return { screeningId: r.body.screeningId as string, seats: labels.flatMap((l) => Array.from({ length: seats }, (_, k) => `${l}${k + 1}`)) }
    await Bun.sleep(50)
  }
  throw new Error("could not schedule the bench screening")
}

const customers: Array<string> = []
// Booking allows MAX_SEATS_PER_USER (default 10) live seats per user and screening, so with few customers
// most attempts are refused as seat_limit; BENCH_CUSTOMERS=300 makes most of the big hall's attempts win.
const wantCustomers = Math.max(concurrency, 50, Number(process.env.BENCH_CUSTOMERS ?? 0))
for (let i = 0; i < wantCustomers; i += 10) {
  await Promise.all(
    Array.from({ length: Math.min(10, wantCustomers - i) }, async () => {
      const email = `bench-${newId()}@bench.test`
      await must(call("POST", "/users/register", { fullName: "Bench Customer", email, password: "bench-password-1" }), "register")
      customers.push((await must(call("POST", "/users/login", { email, password: "bench-password-1" }), "login")).token)
    })
  )
}

// Decisions as booking publishes them.
const conn = await amqp.connect(AMQP_URL)
const ch = await conn.createChannel()
const q = await ch.assertQueue("", { exclusive: true })
for (const key of ["TicketReserved", "TicketReservingFailed"]) await ch.bindQueue(q.queue, "booking.events", key)
const decided = new Map<string, { at: number; type: string; seats: Array<string>; reason?: string }>()
await ch.consume(
  q.queue,
  (m) => {
    if (!m) return
    const env = JSON.parse(m.content.toString())
    const seats = env.type === "TicketReserved" ? env.data.tickets.map((t: any) => t.seatNumber) : []
    decided.set(env.data.bookingId, { at: performance.now(), type: env.type, seats, reason: env.data.reason })
  },
  { noAck: true }
)

const run = async (screeningId: string, seats: Array<string>, n: number, conc: number, perSecond?: number) => {
  const sent = new Map<string, number>()
  let accepted = 0
  let refused = 0
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: conc }, async (_, w) => {
      for (;;) {
        const i = next++
        if (i >= n) return
        if (perSecond) {
          const wait = t0 + (i / perSecond) * 1000 - performance.now()
          if (wait > 0) await Bun.sleep(wait)
        }
        const pick = [seats[Math.floor(Math.random() * seats.length)]!]
        const start = performance.now()
        const r = await call("POST", "/tickets/book", { screeningId, seatNumbers: pick }, customers[(w + i) % customers.length])
        if (r.status === 202) {
          accepted++
          sent.set(r.body.bookingId, start)
        } else refused++
      }
    })
  )
  const acceptMs = performance.now() - t0
  const deadline = performance.now() + 60_000
  while ([...sent.keys()].some((id) => !decided.has(id)) && performance.now() < deadline) await Bun.sleep(20)
  const lat = [...sent].flatMap(([id, s]) => (decided.has(id) ? [decided.get(id)!.at - s] : []))
  const lastDecision = Math.max(...[...sent.keys()].map((id) => decided.get(id)?.at ?? 0))
  return { accepted, refused, acceptMs, decisions: lat.length, decideMs: lastDecision - t0, lat, sent }
}

/** `.eml` files written so far under the fleet's mail folder (own fleet only), at any depth. */
const mailsWritten = (): number | undefined => {
  if (dataDir === undefined) return undefined
  try {
    return readdirSync(join(dataDir, "mail"), { recursive: true }).filter((f) => String(f).endsWith(".eml")).length
  } catch {
    return 0
  }
}

/** E-mails notifications has yet to send, from its `/ready` body (undefined when it does not say). */
const pendingMails = async (): Promise<number | undefined> => {
  const base = fleet?.urls.notifications ?? `http://127.0.0.1:${process.env.NOTIFICATIONS_PORT || 3007}`
  try {
    const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2_000) })
    const body = (await res.json()) as { checks?: { deliveries?: { pending?: unknown } }; deliveries?: { pending?: unknown } }
    const pending = body.checks?.deliveries?.pending ?? body.deliveries?.pending
    return typeof pending === "number" ? pending : undefined
  } catch {
    return undefined
  }
}

/**
 * Waits until the work of a phase is done: every `<service>.inbox` queue empty, no e-mail pending in
 * notifications (it writes its mail after its inbox is drained) and the services' CPU back to idle.
 * Gives up after `maxMs`.
 */
const settle = async (maxMs = 120_000): Promise<void> => {
  const inboxes = (await queueNames(vhostName)).filter((name) => name.endsWith(".inbox"))
  const probe = await conn.createChannel()
  probe.on("error", () => {})
  const deadline = performance.now() + maxMs
  const services = processes().filter((p) => !p.name.startsWith("rabbitmq") && p.name !== "bench client")
  let quiet = 0
  while (performance.now() < deadline && quiet < 3) {
    let waiting = (await pendingMails()) ?? 0
    for (const name of inboxes) waiting += (await probe.checkQueue(name).catch(() => ({ messageCount: 0 }))).messageCount
    const before = sampleCpu(services).reduce((s, p) => s + p.cpu, 0)
    await Bun.sleep(250)
    const busy = sampleCpu(services).reduce((s, p) => s + p.cpu, 0) - before
    quiet = waiting === 0 && busy < 0.05 ? quiet + 1 : 0
  }
  await probe.close().catch(() => {})
}

/** The broker's counters once they include everything so far (the management plugin refreshes every 5 s). */
const brokerNow = async (): Promise<BrokerReading | undefined> => {
  await Bun.sleep(Number(process.env.BENCH_STATS_WAIT_MS ?? 5_500))
  return readBroker(vhostName).catch((e) => {
    console.log(`broker counters unavailable: ${String(e)}`)
    return undefined
  })
}

const loadBefore = loadAverage()
console.log(`booking benchmark against ${API}: ${attempts} attempts, concurrency ${concurrency}`)
console.log(`load average before: ${loadBefore} (${navigator.hardwareConcurrency} cores)`)
const big = await schedule(26, 100) // 2,600 seats: most attempts can win a seat
await run(big.screeningId, big.seats, 300, 16) // warm-up
await settle()
const brokerBefore = await brokerNow()
const procs = processes()
const mailsBefore = mailsWritten()
const cpuBefore = sampleCpu(procs)
const phaseStart = performance.now()
const full = await run(big.screeningId, big.seats, attempts, concurrency)
await settle()
const cpuAfter = sampleCpu(procs)
const phaseMs = performance.now() - phaseStart
const mails = mailsBefore === undefined ? undefined : (mailsWritten() ?? 0) - mailsBefore
const costs = processCosts(cpuBefore, cpuAfter, full.decisions, phaseMs, memory)
const brokerAfter = brokerBefore === undefined ? undefined : await brokerNow()
const broker = brokerBefore !== undefined && brokerAfter !== undefined ? brokerDelta(brokerBefore, brokerAfter) : undefined
const acceptedRate = (full.accepted / full.acceptMs) * 1000
const decisionRate = (full.decisions / full.decideMs) * 1000
console.log(`accepted       ${acceptedRate.toFixed(0)}/s (${full.accepted} accepted, ${full.refused} refused)`)
console.log(`decisions      ${decisionRate.toFixed(0)}/s (${full.decisions} of ${full.accepted} decided)`)
console.log(`book → decision at saturation: ${fmt(full.lat)}`)
const mix = new Map<string, number>()
for (const id of full.sent.keys()) {
  const d = decided.get(id)
  const key = d === undefined ? "undecided" : d.type === "TicketReserved" ? "reserved" : `refused (${d.reason ?? "?"})`
  mix.set(key, (mix.get(key) ?? 0) + 1)
}
console.log(`outcomes       ${[...mix].map(([k, n]) => `${k} ${n}`).join(", ")}`)
const odd = [...mix].filter(([k]) => !/^(reserved|refused \((seat_limit|seat_unavailable)\))$/.test(k)).reduce((s, [, n]) => s + n, 0)
if (odd > full.sent.size / 10) {
  console.log(`WARNING: ${odd} of ${full.sent.size} outcomes are neither a reservation nor a seat refusal: these figures do not measure the normal path`)
}
console.log(
  `\nCPU per decision over the measured phase (${full.decisions} decisions` +
    (mails === undefined ? "" : `, ${mails} e-mails written`) +
    `; ${(phaseMs / 1000).toFixed(1)} s from the first request until every inbox was empty and the services idle;` +
    ` load average after: ${loadAverage()}):`
)
console.log(formatCosts(costs, "decision"))
console.log("(RSS: now, after the measured phase; peak: the process's high-water mark since it started)")
if (external) console.log("(the RabbitMQ node is shared: its CPU includes every vhost's traffic, not only this run's)")
else console.log("(the RabbitMQ node is shared with anything else using it: its CPU includes other vhosts' traffic)")
if (broker !== undefined) {
  const per = (n: number) => (n / Math.max(1, full.decisions)).toFixed(2)
  const v = broker.vhost
  console.log(
    `\nbroker work per decision on vhost ${vhostName}: published ${per(v.publish)}, confirmed ${per(v.confirm)}, ` +
      `delivered ${per(v.deliver + v.deliver_no_ack)} (${per(v.deliver_no_ack)} without ack, to this benchmark), acked ${per(v.ack)}, ` +
      `redelivered ${per(v.redeliver)}, returned unroutable ${per(v.return_unroutable)}`
  )
  const touched = Object.entries(broker.queues).filter(([, q]) => q.publish + q.deliver + q.ack > 0)
  const rows = [
    ["queue", "in/decision", "delivered/decision", "acked/decision"],
    ...touched.map(([name, q]) => [name.startsWith("amq.gen-") ? "(benchmark's decision tap)" : name, per(q.publish), per(q.deliver), per(q.ack)])
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  console.log(rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n"))
  console.log(
    "exchanges (published in/decision): " +
      Object.entries(broker.exchanges)
        .filter(([, n]) => n > 0)
        .map(([name, n]) => `${name} ${per(n)}`)
        .join(", ")
  )
}
const r = await rawRoundTrip(AMQP_URL, 5_000) // the raw broker round trip, in the same run
console.log(`raw broker round trip: ${r.rate.toFixed(0)} msg/s, ${fmt(r.lat)}`)
console.log(`ratio decisions/raw: ${(decisionRate / r.rate).toFixed(2)}`)
const half = Math.max(1, Math.round(decisionRate / 2))
const big2 = await schedule(26, 100)
const paced = await run(big2.screeningId, big2.seats, Math.min(attempts, half * 8), concurrency, half)
console.log(`book → decision at ${half}/s offered (half the measured rate): ${fmt(paced.lat)}`)

// Flash sale: thousands of attempts on one small hall; no seat may be reserved by two bookings.
const flash = await schedule(10, 20) // 200 seats
const fs = await run(flash.screeningId, flash.seats, flashAttempts, concurrency)
const owners = new Map<string, string>()
let doubles = 0
for (const id of fs.sent.keys()) {
  const d = decided.get(id)
  if (d?.type !== "TicketReserved") continue
  for (const s of d.seats) {
    if (owners.has(s)) doubles++
    owners.set(s, id)
  }
}
await settle() // the seat map is a projection: read it once screenings has applied every decision
const map = await must(call("GET", `/screenings/${flash.screeningId}/seats`), "seat map")
console.log(
  `flash sale: ${flashAttempts} attempts on ${flash.seats.length} seats → ${owners.size} seats reserved, ` +
    `${fs.decisions - owners.size} refused, seats held twice: ${doubles}; seat map counts ${JSON.stringify(map.counts)}`
)
const rssAtEnd = processes().map((p) => ({ ...p, ...memory(p.pid) }))
console.log(
  "RSS after the whole run: " +
    rssAtEnd.map((p) => `${p.name} ${p.rss === undefined ? "-" : (p.rss / 1024 / 1024).toFixed(0)} MB`).join(", ")
)
if (process.env.BENCH_JSON) {
  writeFileSync(
    process.env.BENCH_JSON,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        command: { attempts, concurrency, flashAttempts, external },
        loadBefore,
        loadAfter: loadAverage(),
        acceptedRate,
        decisionRate,
        decisions: full.decisions,
        outcomes: Object.fromEntries(mix),
        saturation: { p50: pct(full.lat, 50), p95: pct(full.lat, 95), p99: pct(full.lat, 99) },
        half: { rate: half, p50: pct(paced.lat, 50), p95: pct(paced.lat, 95), p99: pct(paced.lat, 99) },
        raw: { rate: r.rate, p99: pct(r.lat, 99) },
        phaseMs,
        mails,
        costs,
        broker,
        rssAtEnd,
        flash: { attempts: flashAttempts, reserved: owners.size, doubles, counts: map.counts }
      },
      null,
      2
    )
  )
}
await conn.close()
await cleanup()
if (doubles > 0) process.exit(1)
