// Past one machine (DESIGN §12): the fleet on a 3-node RabbitMQ cluster of this test's own, with
// AMQP_URL naming all three nodes. Every quorum queue has a member on each node. In the middle of a
// stream of 500 bookings, with customers paying for what they reserved, the node leading
// booking.inbox is killed with -9: the services move to another node, keep answering HTTP, and every
// accepted booking reaches exactly one terminal state with I1–I3 intact and nothing parked.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { pollUntil, startCluster, startFleet, uncheckedFetch, type BrokerCluster, type Fleet } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api, registerCustomer, setupCatalog, type Reply } from "./client.ts"
import { awaitTerminal, countByStatus, expectSeatsAndMoneyAgree, payOnceKnown, type AcceptedBooking } from "./invariants.ts"

const BOOKINGS = 500
const KILL_AFTER = 200
const STEP_MS = 40
const HOLD_TTL_MS = 30_000
const ADMIN = { email: "admin@cluster.test", password: "admin-cluster-password" }

let cluster: BrokerCluster | undefined
let dataDir: string | undefined
let fleet: Fleet | undefined

beforeAll(async () => {
  const started = performance.now()
  cluster = await startCluster({ name: "bat-cl" })
  const clusterMs = performance.now() - started
  dataDir = mkdtempSync(join(tmpdir(), "bat-cluster-fleet-"))
  fleet = await startFleet({
    ports: "free",
    env: {
      ...process.env,
      AMQP_URL: cluster.amqpUrl,
      DATA_DIR: dataDir,
      HOLD_TTL_MS: String(HOLD_TTL_MS),
      CLOCK_SKEW_GRACE_MS: "0",
      MAX_SEATS_PER_USER: "1000",
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password
    }
  })
  console.log(`cluster: 3 nodes up in ${(clusterMs / 1000).toFixed(1)} s, fleet ready ${((performance.now() - started - clusterMs) / 1000).toFixed(1)} s later`)
}, 180_000)

afterAll(async () => {
  await fleet?.stop()
  await cluster?.destroy()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

interface Booking extends AcceptedBooking {
  readonly pay: boolean
  readonly after: boolean
}

test("every quorum queue has a member on each of the three nodes", async () => {
  const quorum = (await cluster!.queues()).filter((q) => q.type === "quorum")
  expect(quorum.map((q) => q.name)).toContain("booking.inbox")
  for (const q of quorum) expect([q.name, [...(q.members ?? [])].sort()]).toEqual([q.name, cluster!.nodes.map((n) => n.name).sort()])
})

test("kill -9 of the node leading booking.inbox mid-stream: no accepted booking is lost, I1–I3 hold, HTTP never fails", async () => {
  const f = fleet!
  const c = cluster!
  const api = new Api(f.urls.gateway!)
  const staff = api.as((await api.post("/users/login", ADMIN)).body.token)
  const rows = "ABCDEFGHIJKLMNOPQRST".split("")
  const { screeningId } = await setupCatalog(staff, rows, 30) // 600 seats for 500 attempts: some contention
  const customers = await Promise.all(Array.from({ length: 20 }, (_, i) => registerCustomer(api, `cl${i}`)))
  const pids = Object.fromEntries(f.services.map((s) => [s.name, f.pid(s.name)]))

  // Every service and the front door are asked for /health all along; not one answer may fail.
  const health = { checks: 0, failures: [] as Array<string> }
  let watching = true
  const watcher = (async () => {
    while (watching) {
      await Promise.all(
        Object.entries(f.urls).map(async ([name, url]) => {
          health.checks++
          const res = await uncheckedFetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e)
          if (res instanceof Error) health.failures.push(`${name}: ${res.message}`)
          else {
            await res.body?.cancel()
            if (res.status !== 200) health.failures.push(`${name}: ${res.status}`)
          }
        })
      )
      await Bun.sleep(250)
    }
  })()

  // Customers pay for what they reserved (3 of 4 bookings; the rest expire), as soon as booking decides.
  const accepted: Array<Booking> = []
  const paid = new Map<string, string>()
  const refused: Array<Reply> = []
  let next = 0
  let streaming = true
  const payer = async () => {
    for (;;) {
      const b = accepted[next++]
      if (!b) {
        if (!streaming && next > accepted.length) return
        next--
        await Bun.sleep(100)
        continue
      }
      const status = await pollUntil(
        async () => {
          const s = (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body?.status
          return s === "pending" || s === undefined ? undefined : (s as string)
        },
        { timeoutMs: 120_000, intervalMs: 250, message: `booking ${b.bookingId} to be decided` }
      )
      if (status !== "reserved" || !b.pay) continue
      const paymentId = await payOnceKnown(b, 60_000)
      if (paymentId) paid.set(b.bookingId, paymentId)
    }
  }
  const payers = Array.from({ length: 8 }, payer)

  const seat = () => `${rows[Math.floor(Math.random() * rows.length)]}${1 + Math.floor(Math.random() * 30)}`
  // The stream is paced (one attempt every STEP_MS) so that it runs on well past the kill.
  const leader = await c.leaderOf("booking.inbox")
  let killed: { node: string; at: number } | undefined
  let killing: Promise<void> | undefined
  let attempt = 0
  const streamStarted = performance.now()
  const booker = async () => {
    for (;;) {
      const i = attempt++
      if (i >= BOOKINGS) return
      const wait = streamStarted + i * STEP_MS - performance.now()
      if (wait > 0) await Bun.sleep(wait)
      if (i === KILL_AFTER) {
        killed = { node: leader, at: performance.now() }
        killing = c.kill9(leader)
      }
      const who = customers[i % customers.length]!
      const seats = [...new Set(i % 3 === 0 ? [seat(), seat()] : [seat()])]
      const r = await who.post("/tickets/book", { screeningId, seatNumbers: seats })
      if (r.status === 202) accepted.push({ bookingId: r.body.bookingId, who, pay: i % 4 !== 0, after: killed !== undefined })
      else refused.push(r)
    }
  }
  await Promise.all(Array.from({ length: 6 }, booker))
  await killing
  const streamMs = performance.now() - streamStarted
  streaming = false
  expect(refused.map((r) => `${r.status} ${r.body?.code}`)).toEqual([])
  expect(accepted.length).toBe(BOOKINGS)
  expect(killed).toBeDefined()

  await Promise.all(payers)
  const finals = await awaitTerminal(accepted, HOLD_TTL_MS + 90_000)
  const settledMs = performance.now() - killed!.at
  watching = false
  await watcher

  // Exactly one terminal state: a second look a moment later finds every booking where it was.
  await Bun.sleep(2_000)
  for (const b of accepted) expect((await b.who.get(`/tickets/bookings/${b.bookingId}`)).body.status).toBe(finals.get(b.bookingId).status)
  await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid })

  const byStatus = countByStatus(finals)
  const surviving = c.nodes.filter((n) => n.name !== killed!.node)
  const queues = await c.queues()
  console.log(
    `cluster kill: ${accepted.length} accepted in ${(streamMs / 1000).toFixed(1)} s, ${accepted.filter((b) => b.after).length} after ${killed!.node} was killed; ` +
      `all terminal ${(settledMs / 1000).toFixed(1)} s after the kill; final ${JSON.stringify(byStatus)}; ${paid.size} paid; ` +
      `${health.checks} health checks, ${health.failures.length} failed; booking.inbox now led by ${queues.find((q) => q.name === "booking.inbox")?.leader}`
  )
  expect(health.failures).toEqual([])
  expect(byStatus.booked ?? 0).toBeGreaterThan(0)
  expect(Object.keys(byStatus).every((s) => ["booked", "failed", "cancelled"].includes(s))).toBe(true)
  // booking.inbox has a new leader among the surviving nodes; nothing was parked in any DLQ.
  expect(surviving.map((n) => n.name)).toContain(queues.find((q) => q.name === "booking.inbox")?.leader ?? "no leader")
  const parked = await c.ctl(["list_queues", "-p", "/", "name", "messages", "--formatter", "json", "--quiet"])
  const dlqs = (JSON.parse(parked) as Array<{ name: string; messages: number }>).filter((q) => q.name.endsWith(".dlq"))
  expect(dlqs.filter((q) => q.messages > 0)).toEqual([])
  // No service process died or was restarted: the fail-over happened inside each process, and each
  // one that was on the killed node says it lost that link and connected again.
  for (const s of f.services) expect(f.pid(s.name)).toBe(pids[s.name])
  const killedPort = String(c.nodes.find((n) => n.name === killed!.node)!.amqpPort)
  for (const s of f.services.filter((x) => x.name !== "gateway")) {
    const lines = f.logs(s.name).join("\n")
    if (!lines.includes(`"node":"127.0.0.1:${killedPort}"`)) continue
    const lost = lines.lastIndexOf("broker link lost")
    expect([s.name, lost >= 0]).toEqual([s.name, true])
    expect([s.name, lines.indexOf("broker connected", lost) > lost]).toEqual([s.name, true])
  }
}, 240_000)
