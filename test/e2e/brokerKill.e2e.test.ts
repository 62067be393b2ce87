// The broker itself killed with -9 in the middle of a stream of bookings (a private node of this test,
// never the shared one): the services keep serving HTTP and accepting bookings into their outboxes,
// say they are not ready, and once the node is back every accepted booking reaches one terminal state
// with I1 and I3 intact (DESIGN §3.1, §7 I7).
import { afterAll, beforeAll, expect, test } from "bun:test"
import { pollUntil, startFleet, startPrivateBroker, type Fleet, type PrivateBroker } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api, registerCustomer, setupCatalog } from "./client.ts"
import { awaitTerminal, countByStatus, decided, expectSeatsAndMoneyAgree, payOnceKnown } from "./invariants.ts"

const HOLD_TTL_MS = 20_000
const ADMIN = { email: "admin@brokerkill.test", password: "admin-brokerkill-password" }

let broker: PrivateBroker
let dataDir: string
let fleet: Fleet

beforeAll(async () => {
  broker = await startPrivateBroker({ name: "bat-kill" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-kill-"))
  fleet = await startFleet({
    ports: "free",
    env: {
      ...process.env,
      AMQP_URL: broker.amqpUrl,
      DATA_DIR: dataDir,
      // A fault test: a few customers book and pay as fast as they can from 127.0.0.1, past what the abuse limits
      // allow one address and account (those are tested in the services' limits tests).
      ABUSE_LIMITS: "off",
      HOLD_TTL_MS: String(HOLD_TTL_MS),
      CLOCK_SKEW_GRACE_MS: "0",
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password
    }
  })
}, 120_000)

afterAll(async () => {
  await fleet?.stop()
  await broker?.destroy()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

const status = async (url: string) => {
  const res = await fetch(url).catch(() => undefined)
  await res?.body?.cancel()
  return res?.status
}

test("kill -9 of the broker mid-stream: HTTP keeps serving, /ready says so, and no accepted booking is lost", async () => {
  const api = new Api(fleet.urls.gateway!)
  const staff = api.as((await api.post("/users/login", ADMIN)).body.token)
  const rows = ["A", "B", "C", "D"]
  const { screeningId } = await setupCatalog(staff, rows, 8) // 32 seats, contended
  const customers = await Promise.all(Array.from({ length: 8 }, (_, i) => registerCustomer(api, `k${i}`)))
  const seat = () => `${rows[Math.floor(Math.random() * rows.length)]}${1 + Math.floor(Math.random() * 8)}`
  const accepted: Array<{ bookingId: string; who: Api; pay: boolean }> = []
  const book = async (i: number) => {
    const who = customers[i % customers.length]!
    const r = await who.post("/tickets/book", { screeningId, seatNumbers: [...new Set([seat(), seat()])] })
    expect(r.status).toBe(202)
    accepted.push({ bookingId: r.body.bookingId, who, pay: i % 2 === 0 })
  }
  // The stream: 30 attempts 50 ms apart, with the broker killed after the tenth.
  const pids = Object.fromEntries(fleet.services.map((s) => [s.name, fleet.pid(s.name)]))
  for (let i = 0; i < 10; i++) {
    await book(i)
    await Bun.sleep(50)
  }
  const killedAt = performance.now()
  await broker.kill9()
  for (let i = 10; i < 30; i++) {
    await book(i) // accepted into booking's own database and outbox while the broker is dead
    await Bun.sleep(50)
  }
  // While it is down: every service answers HTTP, and the ones that use the broker are not ready.
  for (const s of fleet.services) expect(await status(`${fleet.urls[s.name]}/health`)).toBe(200)
  await pollUntil(async () => (await status(`${fleet.urls.booking}/ready`)) === 503, { timeoutMs: 5_000, message: "booking to report not ready" })
  const downMs = performance.now() - killedAt

  await broker.start()
  const restartedAt = performance.now()
  for (const s of fleet.services) {
    await pollUntil(async () => (await status(`${fleet.urls[s.name]}/ready`)) === 200, {
      timeoutMs: 15_000,
      message: `${s.name} to be ready after the broker's return`
    })
  }
  const readyMs = performance.now() - restartedAt

  // Pay for half of what was reserved; the rest expire.
  const paid = new Map<string, string>()
  await Promise.all(
    accepted.map(async (b) => {
      if ((await decided(b, 60_000)) !== "reserved" || !b.pay) return
      const paymentId = await payOnceKnown(b, 30_000)
      if (paymentId) paid.set(b.bookingId, paymentId)
    })
  )
  const finals = await awaitTerminal(accepted, HOLD_TTL_MS + 40_000)
  const byStatus = countByStatus(finals)
  console.log(
    `broker kill: ${accepted.length} accepted (20 while the broker was dead, ${downMs.toFixed(0)} ms down before restart); ` +
      `every service ready ${readyMs.toFixed(0)} ms after the node was back; final ${JSON.stringify(byStatus)}; ${paid.size} paid`
  )
  expect(byStatus.booked ?? 0).toBeGreaterThan(0)
  await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid })
  // No service process died or was restarted.
  for (const s of fleet.services) expect(fleet.pid(s.name)).toBe(pids[s.name])
}, 240_000)
