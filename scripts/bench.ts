// `bun run bench [attempts] [concurrency]`: booking throughput and latency against a running fleet
// (`bun run start`), the raw broker round trip measured in the same run, and a flash sale that checks
// no seat was sold twice. Decisions are observed on the `booking.events` exchange.
import { newId } from "@bat/contracts"
import { rawRoundTrip } from "@bat/testing"
import * as amqp from "amqplib"

const API = process.env.BOOKATICKET_API ?? "http://localhost:3000"
const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672"
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

const ready = await fetch(`${API}/users/.well-known/jwks.json`).catch(() => undefined)
if (!ready?.ok) {
  console.error(`cannot reach ${API} — start the system first with \`bun run start\``)
  process.exit(1)
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
const wantCustomers = Math.max(concurrency, 50)
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
const decided = new Map<string, { at: number; type: string; seats: Array<string> }>()
await ch.consume(
  q.queue,
  (m) => {
    if (!m) return
    const env = JSON.parse(m.content.toString())
    const seats = env.type === "TicketReserved" ? env.data.tickets.map((t: any) => t.seatNumber) : []
    decided.set(env.data.bookingId, { at: performance.now(), type: env.type, seats })
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

console.log(`booking benchmark against ${API}: ${attempts} attempts, concurrency ${concurrency}`)
const big = await schedule(26, 100) // 2,600 seats: most attempts can win a seat
await run(big.screeningId, big.seats, 300, 16) // warm-up
const full = await run(big.screeningId, big.seats, attempts, concurrency)
const acceptedRate = (full.accepted / full.acceptMs) * 1000
const decisionRate = (full.decisions / full.decideMs) * 1000
console.log(`accepted       ${acceptedRate.toFixed(0)}/s (${full.accepted} accepted, ${full.refused} refused)`)
console.log(`decisions      ${decisionRate.toFixed(0)}/s (${full.decisions} of ${full.accepted} decided)`)
console.log(`book → decision at saturation: ${fmt(full.lat)}`)
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
const map = await must(call("GET", `/screenings/${flash.screeningId}/seats`), "seat map")
console.log(
  `flash sale: ${flashAttempts} attempts on ${flash.seats.length} seats → ${owners.size} seats reserved, ` +
    `${fs.decisions - owners.size} refused, seats held twice: ${doubles}; seat map counts ${JSON.stringify(map.counts)}`
)
await conn.close()
if (doubles > 0) process.exit(1)
