// Tickets at the door, a customer's cancellation and the sales report (DESIGN §10) with the real services:
// two bookings booked and paid through the front door, one ticket admitted, the other booking cancelled by
// its customer; once the queues are drained the card gateway refunded once, the customer was told, the
// report equals the payments to the cent, the seats are free, and I1/I3 hold.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { managementRequest, pollUntil, type Fleet, type TestVhost } from "@bat/testing"
import Database from "better-sqlite3"
import { createRemoteJWKSet, jwtVerify } from "jose"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { startWholeFleet, stopWholeFleet } from "./wholeFleet.ts"
import { Api, CARD_OK, registerCustomer, setupCatalog } from "./client.ts"
import { awaitTerminal, expectSeatsAndMoneyAgree, payOnceKnown, type AcceptedBooking } from "./invariants.ts"

const ADMIN = { email: "admin@e2e.test", password: "admin-e2e-password" }
const PRICE = 1250

let vh: TestVhost
let dataDir: string
let fleet: Fleet
let api: Api
let staff: Api

beforeAll(async () => {
  ;({ vh, dataDir, fleet, api, staff } = await startWholeFleet("bat-e2e-tickets", ADMIN, {
    HOLD_TTL_MS: "60000",
    // The screening starts a day ahead (setupCatalog); the door opens two days before it here.
    CHECKIN_OPENS_MINUTES: "2880"
  }))
}, 120_000)

afterAll(() => stopWholeFleet({ fleet, vh, dataDir }), 30_000)

/**
 * Messages still to be handled in the vhost (ready or unacknowledged in inboxes, retry queues and dead-letter
 * queues), as the management API counts them. The hold timers of paid holds wait out their TTL in
 * `payments.hold.<ttl>ms` and do nothing when they come back, so they are not work left.
 */
const queuedMessages = async (): Promise<number> => {
  const res = await managementRequest(`/api/queues/${encodeURIComponent(vh.vhost)}?columns=name,messages`)
  const queues = (await res.json()) as Array<{ name: string; messages?: number }>
  return queues.filter((q) => !q.name.startsWith("payments.hold.")).reduce((n, q) => n + (q.messages ?? 0), 0)
}

/** The simulated card gateway's own ledger (it plays the outside provider), wherever payments keeps it. */
const gatewayLedger = (): Database.Database => {
  const file = readdirSync(dataDir, { recursive: true })
    .map(String)
    .find((f) => f.endsWith("gateway-sim.db"))
  if (file === undefined) throw new Error("no gateway-sim.db under the fleet's data directory")
  return new Database(join(dataDir, file), { readonly: true })
}

const seatMap = async (screeningId: string): Promise<Record<string, string>> => {
  const map = await api.get(`/screenings/${screeningId}/seats`)
  expect(map.status).toBe(200)
  return Object.fromEntries(map.body.rows.flatMap((r: any) => r.seats).map((s: any) => [s.seatNumber, s.status]))
}

describe("tickets at the door, a customer cancellation and the sales report, through the front door", () => {
  test("book and pay two bookings, admit one ticket, cancel the other booking: refunded once, told, reported to the cent", async () => {
    const { screeningId } = await setupCatalog(staff, ["A"], 6, PRICE)
    const me = await registerCustomer(api, "door")

    // Two bookings, each paid with the card through the front door.
    const accepted: Array<AcceptedBooking> = []
    for (const seats of [["A1", "A2"], ["A3"]]) {
      const r = await me.post("/tickets/book", { screeningId, seatNumbers: seats })
      expect(r.status).toBe(202)
      accepted.push({ bookingId: r.body.bookingId, who: me })
    }
    const [kept, cancelled] = accepted as [AcceptedBooking, AcceptedBooking]
    const paid = new Map<string, string>()
    for (const b of accepted) {
      const paymentId = await payOnceKnown(b, 30_000)
      expect(paymentId).toBeDefined()
      paid.set(b.bookingId, paymentId!)
    }
    const booked = await pollUntil(
      async () => {
        const views = await Promise.all(accepted.map(async (b) => (await me.get(`/tickets/bookings/${b.bookingId}`)).body))
        return views.every((v) => v.status === "booked" && v.tickets.every((t: any) => typeof t.code === "string")) ? views : undefined
      },
      { timeoutMs: 20_000, message: "both bookings booked, with their codes" }
    )
    const [keptView, cancelledView] = booked

    // A door verifies a code with a plain JWS library and the published key set alone (through the front door).
    const code = keptView.tickets[0].code as string
    const keys = createRemoteJWKSet(new URL(`${fleet.urls.gateway}/tickets/.well-known/jwks.json`))
    const { payload } = await jwtVerify(code, keys, { algorithms: ["EdDSA"] })
    expect(payload).toMatchObject({ ticketId: keptView.tickets[0].ticketId, bookingId: kept.bookingId, screeningId, seatNumber: "A1" })

    // Its QR code, for its owner, through the front door.
    const qr = await fetch(`${fleet.urls.gateway}/tickets/bookings/${kept.bookingId}/tickets/${keptView.tickets[0].ticketId}/qr.svg`, {
      headers: { authorization: `Bearer ${me.token}` }
    })
    expect(qr.status).toBe(200)
    expect(qr.headers.get("content-type")).toStartWith("image/svg+xml")
    expect(await qr.text()).toContain("<svg")

    // One ticket admitted at the door; a second scan is refused with the first time; a customer may not scan.
    const admitted = await staff.post("/tickets/checkin", { code, screeningId })
    expect(admitted.status).toBe(200)
    expect(admitted.body).toMatchObject({ ticketId: keptView.tickets[0].ticketId, bookingId: kept.bookingId, seatNumber: "A1" })
    const again = await staff.post("/tickets/checkin", { code, screeningId })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ code: "already_admitted", admittedAt: admitted.body.admittedAt })
    expect((await me.post("/tickets/checkin", { code, screeningId })).status).toBe(403)

    // The customer cancels the other booking; its ticket no longer admits anyone.
    const cancel = await me.post(`/tickets/bookings/${cancelled.bookingId}/cancel`)
    expect(cancel.status).toBe(200)
    expect(cancel.body).toMatchObject({ status: "cancelled", reason: "customer_cancelled" })
    const refused = await staff.post("/tickets/checkin", { code: cancelledView.tickets[0].code, screeningId })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe("ticket_not_valid")
    // A booking with an admitted ticket cannot be cancelled.
    const keep = await me.post(`/tickets/bookings/${kept.bookingId}/cancel`)
    expect(keep.status).toBe(409)
    expect(keep.body.code).toBe("already_admitted")

    // Drained: the refund went through payments and reached booking and notifications, and no queue holds a message.
    const cancelledPayment = paid.get(cancelled.bookingId)!
    let last: unknown
    await pollUntil(
      async () => {
        const payment = await me.get(`/payments/${cancelledPayment}`)
        const notices = (await me.get("/notifications?limit=200")).body.items ?? []
        const report = await staff.get(`/tickets/reports/screenings/${screeningId}`)
        const state = {
          payment: payment.body.status,
          refundNotice: notices.some((n: any) => n.bookingId === cancelled.bookingId && n.kind === "refunded"),
          reportedRefund: report.body.revenue?.refunded,
          queued: await queuedMessages()
        }
        last = state
        return state.payment === "refunded" && state.refundNotice && state.reportedRefund === PRICE && state.queued === 0
      },
      { timeoutMs: 45_000, intervalMs: 500, message: "the refund to be done, told and reported, and the queues drained" }
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; last seen ${JSON.stringify(last)}`)
    })
    // The management API's counts lag a little: drained means empty for a while, not once.
    await Bun.sleep(6_000)
    expect(await queuedMessages()).toBe(0)

    // The card gateway refunded exactly once, the whole amount of the cancelled booking's charge.
    const ledger = gatewayLedger()
    try {
      const refunds = ledger.prepare("SELECT charge_key AS chargeKey, amount FROM refunds").all()
      expect(refunds).toEqual([{ chargeKey: cancelledPayment, amount: PRICE }])
      const charges = ledger.prepare("SELECT key, amount, status FROM charges ORDER BY amount").all()
      expect(charges).toEqual([
        { key: cancelledPayment, amount: PRICE, status: "succeeded" },
        { key: paid.get(kept.bookingId)!, amount: 2 * PRICE, status: "succeeded" }
      ])
    } finally {
      ledger.close()
    }
    const payments = await Promise.all(accepted.map(async (b) => (await me.get(`/payments/${paid.get(b.bookingId)}`)).body))
    expect(payments.map((p) => [p.status, p.amount])).toEqual([
      ["succeeded", 2 * PRICE],
      ["refunded", PRICE]
    ])

    // The customer was told both the cancellation and the refund, once each.
    const notices = ((await me.get("/notifications?limit=200")).body.items as Array<any>).filter((n) => n.bookingId === cancelled.bookingId)
    const kinds = notices.map((n) => n.kind).sort()
    expect(kinds).toEqual(["booked", "cancelled", "refunded", "reserved"])
    const told = (kind: string) => notices.find((n) => n.kind === kind)!.message as string
    expect(told("cancelled")).toContain("You cancelled your booking of seat A3")
    expect(told("refunded")).toContain("EUR 12.50")

    // The screening report equals the payments to the cent, and the seats.
    const report = await staff.get(`/tickets/reports/screenings/${screeningId}`)
    expect(report.status).toBe(200)
    const gross = payments.reduce((n, p) => n + p.amount, 0)
    const refundedSum = payments.filter((p) => p.status === "refunded").reduce((n, p) => n + p.amount, 0)
    expect(report.body).toMatchObject({
      screeningId,
      capacity: 6,
      seats: { available: 4, reserved: 0, booked: 2, admitted: 1 },
      bookings: { pending: 0, reserved: 0, booked: 1, cancelled: 1, failed: 0 },
      revenue: { gross, refunded: refundedSum, net: gross - refundedSum, currency: "EUR" }
    })
    expect(report.body.revenue).toEqual({ gross: 3 * PRICE, refunded: PRICE, net: 2 * PRICE, currency: "EUR" })

    // The cancelled seat is free again on the seat map; the kept ones are booked.
    expect(await seatMap(screeningId)).toEqual({ A1: "booked", A2: "booked", A3: "available", A4: "available", A5: "available", A6: "available" })

    // I1 and I3 over both bookings, the seat map agreeing.
    const finals = await awaitTerminal(accepted, 10_000)
    expect([...finals.values()].map((f) => f.status)).toEqual(["booked", "cancelled"])
    await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid })

    // No service logged a ticket code (nor its signature) or the card number.
    const secrets = [CARD_OK.number, ...booked.flatMap((v: any) => v.tickets.flatMap((t: any) => [t.code, t.code.split(".")[2]]))]
    expect(fleet.logs("booking").length).toBeGreaterThan(0)
    for (const service of fleet.services) {
      const lines = fleet.logs(service.name)
      for (const secret of secrets) expect({ service: service.name, leaked: lines.filter((l) => l.includes(secret)) }).toEqual({ service: service.name, leaked: [] })
    }
  }, 180_000)

  test("a held booking cancelled while its payment is being made is charged and refunded once, or never charged", async () => {
    const { screeningId } = await setupCatalog(staff, ["B"], 6, PRICE)
    const me = await registerCustomer(api, "racer")
    const accepted: Array<AcceptedBooking> = []
    for (const seat of ["B1", "B2", "B3", "B4", "B5", "B6"]) {
      const r = await me.post("/tickets/book", { screeningId, seatNumbers: [seat] })
      expect(r.status).toBe(202)
      accepted.push({ bookingId: r.body.bookingId, who: me })
    }
    // Each hold reaches payments, then the customer pays and cancels at once, in both orders, or cancels and
    // pays a moment later (by then payments has usually closed the hold).
    const paymentIds = new Map<string, string>()
    for (const b of accepted) {
      await pollUntil(async () => (await me.get(`/tickets/bookings/${b.bookingId}`)).body.status === "reserved", {
        timeoutMs: 20_000,
        message: `booking ${b.bookingId} held`
      })
    }
    // Payments records each hold from TicketReserved a moment after booking decides.
    await Bun.sleep(1_500)
    await Promise.all(
      accepted.map(async (b, i) => {
        const pay = () => me.post("/payments", { bookingId: b.bookingId, card: CARD_OK })
        const cancel = () => me.post(`/tickets/bookings/${b.bookingId}/cancel`)
        const [p, c] =
          i % 3 === 0
            ? await Promise.all([pay(), cancel()])
            : i % 3 === 1
              ? (await Promise.all([cancel(), pay()])).reverse()
              : await cancel().then(async (c) => [await Bun.sleep(1_500).then(pay), c])
        expect(c!.status).toBe(200)
        expect(c!.body.status).toBe("cancelled")
        // The payment was either taken before payments heard of the cancellation, or refused.
        if (p!.status === 200) {
          expect(p!.body.status).toBe("succeeded")
          paymentIds.set(b.bookingId, p!.body.paymentId)
        } else {
          expect(p!.status).toBe(409)
          expect(["reservation_closed", "reservation_not_found_yet", "payment_in_progress"]).toContain(p!.body.code)
        }
      })
    )
    const charged = [...paymentIds.values()]
    console.log(`cancel while paying: ${charged.length} of ${accepted.length} holds were charged before the cancellation reached payments`)

    // Drained: each charged payment refunded and told, the queues empty.
    await pollUntil(
      async () => {
        for (const id of charged) if ((await me.get(`/payments/${id}`)).body.status !== "refunded") return false
        const notices = (await me.get("/notifications?limit=200")).body.items ?? []
        const told = (bookingId: string, kind: string) => notices.some((n: any) => n.bookingId === bookingId && n.kind === kind)
        if (!accepted.every((b) => told(b.bookingId, "cancelled"))) return false
        if (![...paymentIds.keys()].every((bookingId) => told(bookingId, "refunded"))) return false
        return (await queuedMessages()) === 0
      },
      { timeoutMs: 45_000, intervalMs: 500, message: "every charged hold refunded and told, and the queues drained" }
    )
    await Bun.sleep(6_000)
    expect(await queuedMessages()).toBe(0)

    // Nobody was told of a refund that did not happen, nor of a booking.
    const notices = ((await me.get("/notifications?limit=200")).body.items as Array<any>).filter((n) =>
      accepted.some((b) => b.bookingId === n.bookingId)
    )
    expect(notices.filter((n) => n.kind === "refunded").map((n) => n.bookingId).sort()).toEqual([...paymentIds.keys()].sort())
    expect(notices.filter((n) => n.kind === "booked")).toEqual([])

    // At the card gateway: every charge of these holds was refunded exactly once, in full.
    const ledger = gatewayLedger()
    try {
      for (const b of accepted) {
        const hold = paymentIds.get(b.bookingId)
        if (hold === undefined) continue
        expect(ledger.prepare("SELECT status, amount FROM charges WHERE key = ?").all(hold)).toEqual([{ status: "succeeded", amount: PRICE }])
        expect(ledger.prepare("SELECT amount FROM refunds WHERE charge_key = ?").all(hold)).toEqual([{ amount: PRICE }])
      }
    } finally {
      ledger.close()
    }

    // The report counts what was charged and what was refunded, to the cent: nothing kept.
    const report = await staff.get(`/tickets/reports/screenings/${screeningId}`)
    expect(report.status).toBe(200)
    expect(report.body).toMatchObject({
      seats: { available: 6, reserved: 0, booked: 0, admitted: 0 },
      bookings: { pending: 0, reserved: 0, booked: 0, cancelled: 6, failed: 0 },
      revenue: { gross: charged.length * PRICE, refunded: charged.length * PRICE, net: 0, currency: "EUR" }
    })
    expect(Object.values(await seatMap(screeningId)).every((s) => s === "available")).toBe(true)

    // I1 and I3: no booking holds money.
    const finals = await awaitTerminal(accepted, 10_000)
    expect([...finals.values()].every((f) => f.status === "cancelled")).toBe(true)
    await expectSeatsAndMoneyAgree({ api, screeningId, accepted, finals, paid: paymentIds })
  }, 180_000)
})
