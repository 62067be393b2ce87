// What every fault test checks once the weather has cleared: each accepted booking in one terminal
// state (I2), no seat booked twice (I1), booked if and only if paid (I3), the seat map agreeing.
import { pollUntil } from "@bat/testing"
import { expect } from "bun:test"
import { CARD_OK, type Api } from "./client.ts"

export interface AcceptedBooking {
  readonly bookingId: string
  readonly who: Api
}

const TERMINAL = new Set(["booked", "failed", "cancelled"])

/** The booking's status once it is no longer `pending`. */
export const decided = (b: AcceptedBooking, timeoutMs: number): Promise<string> =>
  pollUntil(
    async () => {
      const status = (await b.who.get(`/tickets/bookings/${b.bookingId}`)).body?.status
      return status === "pending" || status === undefined ? undefined : (status as string)
    },
    { timeoutMs, message: `booking ${b.bookingId} to be decided` }
  )

/** Pays once the reservation has reached payments; the payment id if it succeeded. */
export const payOnceKnown = async (b: AcceptedBooking, timeoutMs: number): Promise<string | undefined> => {
  const r = await pollUntil(
    async () => {
      const p = await b.who.post("/payments", { bookingId: b.bookingId, card: CARD_OK })
      return p.status === 409 && p.body.code === "reservation_not_found_yet" ? undefined : p
    },
    { timeoutMs, intervalMs: 250, message: `the reservation of ${b.bookingId} to reach payments` }
  )
  return r.status === 200 ? (r.body.paymentId as string) : undefined
}

/** Waits until every accepted booking is booked, failed or cancelled; returns each final view. */
export const awaitTerminal = async (accepted: ReadonlyArray<AcceptedBooking>, timeoutMs: number): Promise<Map<string, any>> => {
  const finals = new Map<string, any>()
  await pollUntil(
    async () => {
      for (const b of accepted) {
        if (finals.has(b.bookingId)) continue
        const r = await b.who.get(`/tickets/bookings/${b.bookingId}`)
        if (TERMINAL.has(r.body?.status)) finals.set(b.bookingId, r.body)
      }
      return finals.size === accepted.length
    },
    { timeoutMs, intervalMs: 500, message: "every accepted booking to reach a terminal state" }
  )
  return finals
}

export const countByStatus = (finals: Map<string, any>): Record<string, number> =>
  [...finals.values()].reduce<Record<string, number>>((m, f) => ({ ...m, [f.status]: (m[f.status] ?? 0) + 1 }), {})

/**
 * I1: no seat is held by two booked bookings. I3: a booking is booked if and only if a succeeded
 * payment exists for it; another paid booking's payment is failed, expired or refunded. Then the
 * seat map is polled until it shows exactly the booked seats.
 */
export const expectSeatsAndMoneyAgree = async (opts: {
  readonly api: Api
  readonly screeningId: string
  readonly accepted: ReadonlyArray<AcceptedBooking>
  readonly finals: Map<string, any>
  readonly paid: Map<string, string>
}): Promise<void> => {
  const holders = new Map<string, string>()
  for (const f of opts.finals.values()) {
    if (f.status !== "booked") continue
    for (const t of f.tickets) {
      expect(holders.get(t.seatNumber)).toBeUndefined()
      holders.set(t.seatNumber, f.bookingId)
    }
  }
  for (const b of opts.accepted) {
    const f = opts.finals.get(b.bookingId)
    const paymentId = opts.paid.get(b.bookingId)
    if (f.status === "booked") {
      expect(paymentId).toBeDefined()
      expect((await b.who.get(`/payments/${paymentId}`)).body.status).toBe("succeeded")
    } else if (paymentId) {
      expect(["failed", "expired", "refunded"]).toContain((await b.who.get(`/payments/${paymentId}`)).body.status)
    }
  }
  await pollUntil(
    async () => {
      const map = await opts.api.get(`/screenings/${opts.screeningId}/seats`)
      const booked = map.body.rows.flatMap((r: any) => r.seats).filter((s: any) => s.status === "booked").map((s: any) => s.seatNumber)
      return booked.length === holders.size && booked.every((s: string) => holders.has(s))
    },
    { timeoutMs: 20_000, message: "the seat map to match booking" }
  )
}
