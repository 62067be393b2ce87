// A minute of link flapping (every broker link cut 5–150 ms after it opens) while bookings and payments
// flow through the front door: no process dies, every accepted booking reaches one terminal state and
// the invariants hold once the link is steady again (DESIGN §3.1, §7 I1–I6).
import { afterAll, beforeAll, expect, test } from "bun:test"
import { pollUntil, type Fleet, type TcpProxy } from "@bat/testing"
import { Api, registerCustomer, setupCatalog } from "./client.ts"
import { startFleetBehindProxy, type FaultFleet } from "./faultFleet.ts"
import { awaitTerminal, countByStatus, decided, expectSeatsAndMoneyAgree, payOnceKnown, type AcceptedBooking } from "./invariants.ts"

const HOLD_TTL_MS = 20_000
const FLAP_MS = Number(process.env.FLAP_MS ?? 60_000)
const ADMIN = { email: "admin@flap.test", password: "admin-flap-password" }

let system: FaultFleet
let proxy: TcpProxy
let fleet: Fleet

beforeAll(async () => {
  system = await startFleetBehindProxy("bat-flap", {
    HOLD_TTL_MS: String(HOLD_TTL_MS),
    CLOCK_SKEW_GRACE_MS: "1000",
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password
  })
  ;({ fleet, proxy } = system)
}, 90_000)

afterAll(() => system?.stop(), 30_000)

interface Attempt extends AcceptedBooking {
  readonly pay: boolean
}

/** On failure: what each service says about itself, and its last warnings. */
const diagnose = async () => {
  for (const s of fleet.services) {
    const ready = await fetch(`${fleet.urls[s.name]}/ready`).then((r) => r.text(), String)
    console.error(`${s.name} /ready: ${ready}`)
    console.error(fleet.logs(s.name).filter((l) => !l.includes('"level":"info"')).slice(-12).join("\n"))
  }
}

test("a minute of broker links cut 5–150 ms after opening kills no process and loses no booking", async () => {
  try {
    await scenario()
  } catch (error) {
    await diagnose()
    throw error
  }
}, 300_000)

const scenario = async () => {
  const api = new Api(fleet.urls.gateway!)
  const staff = api.as((await api.post("/users/login", ADMIN)).body.token)
  const rows = ["A", "B", "C", "D", "E", "F"]
  const { screeningId } = await setupCatalog(staff, rows, 8) // 48 seats, contended
  const customers = await Promise.all(Array.from({ length: 10 }, (_, i) => registerCustomer(api, `f${i}`)))
  const seat = () => `${rows[Math.floor(Math.random() * rows.length)]}${1 + Math.floor(Math.random() * 8)}`
  const accepted: Array<Attempt> = []
  const book = async (i: number) => {
    const who = customers[i % customers.length]!
    const r = await who.post("/tickets/book", { screeningId, seatNumbers: [...new Set([seat(), seat()])] })
    expect(r.status).toBe(202) // booking only writes its own database and outbox: the broker is not needed
    accepted.push({ bookingId: r.body.bookingId, who, pay: i % 2 === 0 })
  }
  const statusOf = async (b: Attempt) => (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body?.status as string
  const paid = new Map<string, string>()
  /** Pays once the reservation reached payments; gives up quietly if it was refused or expired meanwhile. */
  const pay = async (b: Attempt, timeoutMs: number) => {
    const paymentId = await payOnceKnown(b, timeoutMs).catch(() => undefined)
    if (paymentId) paid.set(b.bookingId, paymentId)
  }

  // Before the weather turns: 16 attempts, decided and known to payments.
  for (let i = 0; i < 16; i++) await book(i)
  await pollUntil(async () => (await Promise.all(accepted.map(statusOf))).every((s) => s !== "pending"), {
    timeoutMs: 20_000,
    message: "the first attempts to be decided"
  })
  const firstWave = [...accepted]

  const pids = Object.fromEntries(fleet.services.map((s) => [s.name, fleet.pid(s.name)]))
  proxy.flap({ minMs: 5, maxMs: 150 })
  const flapStarted = performance.now()
  // During the flapping: customers pay for half of the first wave, and 24 more attempts arrive.
  const during = (async () => {
    await Promise.all(firstWave.filter((b) => b.pay).map((b) => pay(b, 15_000)))
    for (let i = 16; i < 40; i++) {
      await book(i)
      await Bun.sleep(1_000)
    }
  })()
  await during
  const left = FLAP_MS - (performance.now() - flapStarted)
  if (left > 0) await Bun.sleep(left)
  const cutLinks = proxy.flapped
  proxy.restore()

  // No process died under the flapping (the same process ids as before it).
  for (const s of fleet.services) expect(fleet.pid(s.name)).toBe(pids[s.name])

  // After: the second wave is decided; half of its reservations are paid, the rest expire.
  const secondWave = accepted.slice(firstWave.length)
  await Promise.all(
    secondWave.map(async (b) => {
      if ((await decided(b, 60_000)) === "reserved" && b.pay) await pay(b, 30_000)
    })
  )

  const finals = await awaitTerminal(accepted, HOLD_TTL_MS + 60_000)
  const byStatus = countByStatus(finals)
  console.log(
    `flapping: ${cutLinks} links cut in ${FLAP_MS / 1000} s; ${accepted.length} accepted; final states ${JSON.stringify(byStatus)}; ${paid.size} paid`
  )
  expect(cutLinks).toBeGreaterThan(50)
  expect(byStatus.booked ?? 0).toBeGreaterThan(0)
  await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid })
  // Every service is ready again, and no process died at any point.
  for (const s of fleet.services) {
    expect(fleet.isRunning(s.name)).toBe(true)
    await pollUntil(async () => (await fetch(`${fleet.urls[s.name]}/ready`)).status === 200, {
      timeoutMs: 10_000,
      message: `${s.name} to be ready`
    })
  }
}
