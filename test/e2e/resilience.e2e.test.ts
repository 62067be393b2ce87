// Integrity invariants I1–I4 and I7 under failure: kill -9 of booking and of payments in the middle of a
// stream of bookings, and the broker link cut and restored, with every accepted booking reaching exactly
// one terminal state and no seat or payment left inconsistent.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { pollUntil, type Fleet, type TcpProxy } from "@bat/testing"
import { Api, registerCustomer, setupCatalog } from "./client.ts"
import { startFleetBehindProxy, type FaultFleet } from "./faultFleet.ts"
import { awaitTerminal, countByStatus, decided, expectSeatsAndMoneyAgree, payOnceKnown } from "./invariants.ts"

const HOLD_TTL_MS = 4_000
const ADMIN = { email: "admin@e2e.test", password: "admin-e2e-password" }

let system: FaultFleet
let proxy: TcpProxy
let fleet: Fleet

beforeAll(async () => {
  system = await startFleetBehindProxy("bat-chaos", {
    HOLD_TTL_MS: String(HOLD_TTL_MS),
    CLOCK_SKEW_GRACE_MS: "0", // one clock in this test: I4 within HOLD_TTL_MS + 5 s
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password
  })
  ;({ fleet, proxy } = system)
}, 90_000)

afterAll(() => system?.stop(), 30_000)


test("kill -9 of booking and payments and a cut broker link lose no accepted booking and break no invariant", async () => {
  const api = new Api(fleet.urls.gateway!)
  const staff = api.as((await api.post("/users/login", ADMIN)).body.token)
  const rows = ["A", "B", "C", "D", "E", "F", "G", "H"]
  const { screeningId } = await setupCatalog(staff, rows, 8) // 64 seats, contended on purpose
  const customers = await Promise.all(Array.from({ length: 12 }, (_, i) => registerCustomer(api, `c${i}`)))

  const accepted: Array<{ bookingId: string; who: Api; seats: Array<string>; pay: boolean }> = []
  const seat = () => `${rows[Math.floor(Math.random() * rows.length)]}${1 + Math.floor(Math.random() * 8)}`
  const attempt = async (i: number) => {
    const who = customers[i % customers.length]!
    const seats = [...new Set([seat(), seat()])]
    const r = await who.post("/tickets/book", { screeningId, seatNumbers: seats })
    if (r.status === 202) accepted.push({ bookingId: r.body.bookingId, who, seats, pay: i % 2 === 0 })
    else if (r.status < 500) throw new Error(`book refused: ${r.status} ${JSON.stringify(r.body)}`)
    // 5xx here is the front door answering for a killed service: that attempt was never accepted.
  }
  // A steady stream of attempts runs until every fault has been injected, so messages are in flight when
  // they hit (at least 80 attempts, however long the restarts take).
  let faultsDone = false
  let total = 0
  const stream = (async () => {
    const inFlight: Array<Promise<void>> = []
    while (total < 80 || !faultsDone) {
      inFlight.push(attempt(total++))
      await Bun.sleep(total < 80 ? 25 : 100)
    }
    await Promise.all(inFlight)
  })()
  const acceptedAtLeast = (n: number) => pollUntil(() => accepted.length >= n, { timeoutMs: 30_000, message: `${n} accepted bookings` })

  await acceptedAtLeast(8)
  await fleet.kill("booking", "SIGKILL") // mid-stream: decisions and outbox rows in flight
  await fleet.restart("booking")
  await acceptedAtLeast(accepted.length + 8)
  await fleet.kill("payments", "SIGKILL") // holds being created from TicketReserved
  await fleet.restart("payments")
  await acceptedAtLeast(accepted.length + 5)
  proxy.cut() // every service loses the broker; booking keeps accepting into its outbox
  await acceptedAtLeast(accepted.length + 5)
  proxy.restore()
  faultsDone = true
  await stream
  expect(accepted.length).toBeGreaterThan(40)

  // Pay for half of the reservations; the rest are left to expire.
  const paid = new Map<string, string>()
  await Promise.all(
    accepted
      .filter((b) => b.pay)
      .map(async (b) => {
        if ((await decided(b, 30_000)) !== "reserved") return
        const paymentId = await payOnceKnown(b, 30_000)
        if (paymentId) paid.set(b.bookingId, paymentId)
      })
  )

  // I2 + I4: every accepted booking reaches exactly one terminal state, unpaid holds are released.
  const finals = await awaitTerminal(accepted, HOLD_TTL_MS + 45_000)
  const byStatus = countByStatus(finals)
  console.log(`resilience: ${accepted.length} accepted of ${total}; final states ${JSON.stringify(byStatus)}; ${paid.size} paid`)
  expect(byStatus.booked ?? 0).toBeGreaterThan(0)
  expect(byStatus.failed ?? 0).toBeGreaterThan(0)
  // I1, I3 and the seat map.
  await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid })
  // I2: the customer is told the outcome.
  const sample = [...finals.values()].slice(0, 10)
  for (const f of sample) {
    const owner = accepted.find((b) => b.bookingId === f.bookingId)!.who
    await pollUntil(
      async () => {
        const n = await owner.get("/notifications?limit=200")
        return n.body.items?.some((x: any) => x.bookingId === f.bookingId && ["booked", "booking_failed", "reservation_failed", "cancelled"].includes(x.kind))
      },
      { timeoutMs: 20_000, message: `a terminal notification for ${f.bookingId}` }
    )
  }
}, 240_000)
