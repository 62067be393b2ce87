// Past one machine (DESIGN §12): the fleet on a 3-node RabbitMQ cluster of this test's own, with
// AMQP_URL naming all three nodes. Every quorum queue has a member on each node. In the middle of a
// stream of 500 bookings, with customers paying for what they reserved, the node leading
// booking.inbox is killed with -9: the services move to another node, keep answering HTTP, and every
// accepted booking reaches exactly one terminal state with I1–I6 intact and nothing parked: each
// customer told of each end once (I2), every unpaid hold released in time (I4, measured against the
// outage from the kill until every /ready is 200 again), no double effect in notifications, payments
// or the card gateway's ledger (I5), and every state change visible downstream (I6).
import { afterAll, beforeAll, expect, test } from "bun:test"
import { pollUntil, startCluster, startFleet, uncheckedFetch, type BrokerCluster, type Fleet } from "@bat/testing"
import Database from "better-sqlite3"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api, registerCustomer, setupCatalog, type Reply } from "./client.ts"
import {
  allNotifications,
  awaitTerminal,
  countByStatus,
  expectSeatsAndMoneyAgree,
  holdReleaseProblems,
  moneyProblems,
  notificationProblems,
  payOnceKnown,
  seatMapProblems,
  settleProblems,
  type AcceptedBooking,
  type HoldRelease,
  type NoticeSeen,
  type PaymentSeen
} from "./invariants.ts"

const BOOKINGS = 500
// The kill falls 12 s into the 20 s stream, as the first holds (HOLD_TTL_MS after the first bookings)
// come due: those not paid expire during the outage and are judged against the recovery (I4).
const KILL_AFTER = 300
const STEP_MS = 40
const HOLD_TTL_MS = 12_000
const CLOCK_SKEW_GRACE_MS = 0
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
      // A fault test: a few customers book and pay as fast as they can from 127.0.0.1, past what the abuse limits
      // allow one address and account (those are tested in the services' limits tests).
      ABUSE_LIMITS: "off",
      HOLD_TTL_MS: String(HOLD_TTL_MS),
      CLOCK_SKEW_GRACE_MS: String(CLOCK_SKEW_GRACE_MS),
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

/** The simulated card gateway's ledger (it plays the outside provider), read where payments keeps it. */
const gatewayLedger = () => {
  const file = readdirSync(dataDir!, { recursive: true })
    .map(String)
    .find((f) => f.endsWith("gateway-sim.db"))
  if (file === undefined) throw new Error("no gateway-sim.db under the fleet's data directory")
  const db = new Database(join(dataDir!, file), { readonly: true })
  try {
    return {
      charges: db.prepare("SELECT key, amount, status FROM charges").all() as Array<{ key: string; amount: number; status: string }>,
      refunds: db.prepare("SELECT charge_key AS chargeKey, amount FROM refunds").all() as Array<{ chargeKey: string; amount: number }>
    }
  } finally {
    db.close()
  }
}

test("kill -9 of the node leading booking.inbox mid-stream: no accepted booking is lost, I1–I6 hold, HTTP never fails", async () => {
  const f = fleet!
  const c = cluster!
  const api = new Api(f.urls.gateway!)
  const staff = api.as((await api.post("/users/login", ADMIN)).body.token)
  const rows = "ABCDEFGHIJKLMNOPQRST".split("")
  const { screeningId } = await setupCatalog(staff, rows, 30) // 600 seats for 500 attempts: some contention
  const customers = await Promise.all(Array.from({ length: 20 }, (_, i) => registerCustomer(api, `cl${i}`)))
  const pids = Object.fromEntries(f.services.map((s) => [s.name, f.pid(s.name)]))

  /** When a booking is stuck: where its events are (each outbox, each inbox), the queues, and what the services logged of it. */
  const diagnose = async (b: Booking) => {
    const view = (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body
    console.log(`stuck: ${JSON.stringify({ ...view, screening: undefined })}; kill at ${killed && new Date(killed.wall).toISOString()}`)
    const dbs = readdirSync(dataDir!, { recursive: true }).map(String).filter((x) => x.endsWith(".db") && !x.includes("gateway-sim"))
    const events: Array<{ id: string; type: string; createdAt: number; sentAt: number | null; in: string }> = []
    for (const file of dbs) {
      const db = new Database(join(dataDir!, file), { readonly: true })
      try {
        const out = db
          .prepare("SELECT id, type, created_at AS createdAt, sent_at AS sentAt FROM outbox WHERE body LIKE ?")
          .all(`%${b.bookingId}%`) as Array<{ id: string; type: string; createdAt: number; sentAt: number | null }>
        events.push(...out.map((o) => ({ ...o, in: file })))
      } catch {
        // no outbox
      } finally {
        db.close()
      }
    }
    for (const ev of events) {
      const seenBy: Array<string> = []
      for (const file of dbs) {
        const db = new Database(join(dataDir!, file), { readonly: true })
        try {
          const row = db.prepare("SELECT queue, received_at AS at FROM inbox WHERE id = ?").get(ev.id) as { queue: string; at: number } | undefined
          if (row) seenBy.push(`${row.queue}@${new Date(row.at).toISOString()}`)
        } catch {
          // no inbox
        } finally {
          db.close()
        }
      }
      console.log(
        `  ${ev.in}: ${ev.type} ${ev.id} made ${new Date(ev.createdAt).toISOString()} sent ${ev.sentAt ? new Date(ev.sentAt).toISOString() : "NOT YET"}; applied by ${seenBy.join(", ") || "nobody"}`
      )
    }
    for (const s of f.services) for (const line of f.logs(s.name)) if (line.includes(b.bookingId)) console.log(`  ${s.name}: ${line.slice(0, 400)}`)
    await diagnoseBroker()
  }
  let brokerShown = false
  /** Once: the queues' depths and leaders, booking's and payments' messaging metrics, and the services' warnings. */
  const diagnoseBroker = async () => {
    if (brokerShown) return
    brokerShown = true
    const queues = await c
      .ctl(["list_queues", "-p", "/", "name", "messages_ready", "messages_unacknowledged", "consumers", "--formatter", "json", "--quiet"])
      .catch((e: Error) => e.message.slice(0, 300))
    console.log(`  queues: ${queues.replace(/\s+/g, " ")}`)
    const placed = await c.queues().catch(() => [])
    console.log(`  quorum leaders: ${placed.filter((q) => q.name.endsWith(".inbox")).map((q) => `${q.name}@${q.leader} [${q.members?.join(" ")}]`).join(", ")}`)
    for (const name of ["booking", "payments"]) {
      const metrics = await uncheckedFetch(`${f.urls[name]}/metrics`).then((r) => r.text(), (e: Error) => e.message)
      const lines = metrics.split("\n").filter((l) => !l.startsWith("#") && /outbox|publish|return|confirm|consumed/i.test(l))
      console.log(`  ${name} metrics: ${lines.slice(0, 25).join(" | ")}`)
    }
    for (const s of f.services) {
      const worries = f.logs(s.name).filter((l) => /"level":"(warn|error|fatal)/i.test(l) || /broker|relay|confirm/i.test(l))
      for (const line of worries.slice(-15)) console.log(`  ${s.name}: ${line.slice(0, 400)}`)
    }
  }

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
  // Every service's /ready all along: the outage is from the kill until all answer 200 again (I4's clock).
  const readiness: Array<{ at: number; ready: boolean }> = []
  const readyWatcher = (async () => {
    while (watching) {
      const at = Date.now()
      const answers = await Promise.all(
        f.services.map(async (s) => {
          const res = await uncheckedFetch(`${f.urls[s.name]}/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined)
          await res?.body?.cancel()
          return res?.status === 200
        })
      )
      readiness.push({ at, ready: answers.every(Boolean) })
      await Bun.sleep(200)
    }
  })()

  // Customers pay for what they reserved (3 of 4 bookings; the rest expire), as soon as booking decides.
  const accepted: Array<Booking> = []
  const paid = new Map<string, string>()
  // I4: each hold's deadline as booking told it, and for each hold not paid the first look that found it released.
  const deadlines = new Map<string, number>()
  const releasedSeen = new Map<string, number>()
  const releaseWatches: Array<Promise<void>> = []
  const watchRelease = (b: Booking, deadline: number) =>
    releaseWatches.push(
      (async () => {
        const wait = deadline + CLOCK_SKEW_GRACE_MS - Date.now()
        if (wait > 0) await Bun.sleep(wait)
        for (const until = Date.now() + 150_000; Date.now() < until; await Bun.sleep(250)) {
          const s = await b.who.get(`/tickets/bookings/${b.bookingId}`).then((r) => r.body?.status as string | undefined, () => undefined)
          if (s !== undefined && s !== "reserved") return void releasedSeen.set(b.bookingId, Date.now())
        }
      })()
    )
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
      const view = await pollUntil(
        async () => {
          const v = (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body
          return v?.status === "pending" || v?.status === undefined ? undefined : v
        },
        { timeoutMs: 120_000, intervalMs: 250, message: `booking ${b.bookingId} to be decided` }
      )
      if (view.status !== "reserved") continue
      const deadline = Date.parse(view.expiresAt)
      deadlines.set(b.bookingId, deadline)
      if (!b.pay) {
        watchRelease(b, deadline)
        continue
      }
      const paymentId = await payOnceKnown(b, 60_000).catch(async (e: Error) => {
        await diagnose(b)
        throw e
      })
      if (paymentId) paid.set(b.bookingId, paymentId)
      else watchRelease(b, deadline)
    }
  }
  const payers = Array.from({ length: 8 }, payer)

  const seat = () => `${rows[Math.floor(Math.random() * rows.length)]}${1 + Math.floor(Math.random() * 30)}`
  // The stream is paced (one attempt every STEP_MS) so that it runs on well past the kill.
  const leader = await c.leaderOf("booking.inbox")
  let killed: { node: string; at: number; wall: number } | undefined
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
        killed = { node: leader, at: performance.now(), wall: Date.now() }
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
  const finals = await awaitTerminal(accepted, HOLD_TTL_MS + 90_000).catch(async (e: Error) => {
    for (const b of accepted) {
      const status = (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body?.status
      if (!["booked", "failed", "cancelled"].includes(status)) await diagnose(b)
    }
    throw e
  })
  const settledMs = performance.now() - killed!.at
  await Promise.all(releaseWatches)
  watching = false
  await watcher
  await readyWatcher

  // Exactly one terminal state: a second look a moment later finds every booking where it was.
  await Bun.sleep(2_000)
  for (const b of accepted) expect((await b.who.get(`/tickets/bookings/${b.bookingId}`)).body.status).toBe(finals.get(b.bookingId).status)
  // I6 and I1 on seats: every seat of the screenings projection shows booking's truth.
  const seatProblems = await settleProblems(async () => seatMapProblems((await api.get(`/screenings/${screeningId}/seats`)).body, finals), 20_000)
  if (seatProblems.length > 0) {
    console.log(`seat map: ${seatProblems.slice(0, 20).join("; ")}`)
    const seat = /seat (\S+) shows/.exec(seatProblems[0]!)?.[1]
    const withSeat = accepted.filter((b) => (finals.get(b.bookingId).seatNumbers as Array<string>).includes(seat ?? ""))
    const holder = withSeat.find((b) => finals.get(b.bookingId).status === "booked") ?? withSeat.at(-1)
    if (holder) await diagnose(holder)
    else await diagnoseBroker()
  }
  expect(seatProblems).toEqual([])
  await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid })

  // I2 (notified), I5, I6: each customer's notifications, until every ended booking's notice has arrived.
  let notices: Array<NoticeSeen> = []
  const noticeProblems = await settleProblems(async () => {
    notices = (await Promise.all(customers.map(allNotifications))).flat()
    return notificationProblems(finals, notices)
  }, 30_000)
  expect(noticeProblems).toEqual([])

  // I4: every hold that ended payment_expired was released by its deadline + grace + 5 s, or within 5 s
  // of the recovery when the outage could have held it up.
  const lastDown = readiness.filter((r) => r.at >= killed!.wall && !r.ready).at(-1)
  const recovered = lastDown === undefined ? killed!.wall : (readiness.find((r) => r.at > lastDown.at && r.ready)?.at ?? Date.now())
  const outage = { from: killed!.wall, to: recovered }
  const noticeOf = (bookingId: string, kind: string) => notices.find((n) => n.bookingId === bookingId && n.kind === kind)
  const holds: Array<HoldRelease> = []
  const unmeasured: Array<string> = []
  for (const f of finals.values()) {
    if (f.status !== "failed" || f.reason !== "payment_expired") continue
    const told = noticeOf(f.bookingId, "booking_failed")
    const seen = [releasedSeen.get(f.bookingId), told && Date.parse(told.createdAt)].filter((t): t is number => typeof t === "number")
    const reservedNotice = noticeOf(f.bookingId, "reserved")
    const deadline = deadlines.get(f.bookingId) ?? (reservedNotice && Date.parse(reservedNotice.createdAt) + HOLD_TTL_MS)
    if (seen.length === 0 || deadline === undefined) unmeasured.push(f.bookingId)
    else holds.push({ bookingId: f.bookingId, deadline, releasedBy: Math.min(...seen), deadlineExact: deadlines.has(f.bookingId) })
  }
  expect(unmeasured).toEqual([])
  expect(holds.length).toBeGreaterThan(0)
  expect(holdReleaseProblems(holds, { graceMs: CLOCK_SKEW_GRACE_MS, outage })).toEqual([])
  const lag = holds.map((h) => h.releasedBy - h.deadline - CLOCK_SKEW_GRACE_MS).sort((a, b) => a - b)

  // I5 and I3 on money: one succeeded payment at most per booking, one unrefunded charge at the card
  // gateway for each booked booking and none for any other, every charge one of these payments'.
  const payments = new Map<string, PaymentSeen>()
  for (const b of accepted) {
    const paymentId = paid.get(b.bookingId)
    if (paymentId) payments.set(paymentId, (await b.who.get(`/payments/${paymentId}`)).body)
  }
  const ledger = gatewayLedger()
  expect(moneyProblems(finals, payments, ledger)).toEqual([])


  const byStatus = countByStatus(finals)
  const surviving = c.nodes.filter((n) => n.name !== killed!.node)
  const queues = await c.queues()
  console.log(
    `cluster kill: ${accepted.length} accepted in ${(streamMs / 1000).toFixed(1)} s, ${accepted.filter((b) => b.after).length} after ${killed!.node} was killed; ` +
      `all terminal ${(settledMs / 1000).toFixed(1)} s after the kill; final ${JSON.stringify(byStatus)}; ${paid.size} paid; ` +
      `${health.checks} health checks, ${health.failures.length} failed; booking.inbox now led by ${queues.find((q) => q.name === "booking.inbox")?.leader}`
  )
  const pct = (q: number) => ((lag[Math.min(lag.length - 1, Math.floor(q * lag.length))] ?? 0) / 1000).toFixed(1)
  console.log(
    `cluster invariants: ${notices.length} notifications checked (I2, I5, I6); outage (kill → every /ready 200) ${((outage.to - outage.from) / 1000).toFixed(1)} s; ` +
      `${holds.length} expired holds released after deadline + grace by p50 ${pct(0.5)} s, max ${pct(1)} s ` +
      `(${holds.filter((h) => h.deadline + CLOCK_SKEW_GRACE_MS < outage.to && h.deadline + CLOCK_SKEW_GRACE_MS + 5_000 >= outage.from).length} due within the outage, judged against the recovery) (I4); ` +
      `${payments.size} payments, ${ledger.charges.length} gateway charges, ${ledger.refunds.length} refunds (I5)`
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
