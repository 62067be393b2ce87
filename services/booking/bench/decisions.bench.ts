// How fast the consumer decides booking attempts: a burst of accepted bookings (their rows and
// TicketBookingAttempted events committed at once, as a busy front door would) relayed through the
// broker and decided against a large hall, a fifth of them clashing on seats.
// Run: bun services/booking/bench/decisions.bench.ts [count]
import { newId, type EventData } from "@bat/contracts"
import { eventMessage } from "@bat/messaging"
import { pollUntil } from "@bat/testing"
import { makeBookingRepo } from "../src/store/BookingRepo.ts"
import { rows, schedule, scheduled, startHarness } from "../test/harness.ts"

const count = Number(process.argv[2] ?? 5_000)
const labels = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i))
const seats = labels.flatMap((l) => Array.from({ length: 200 }, (_, i) => `${l}${i + 1}`)) // 5,200 seats

const h = await startHarness()
try {
  const sc = await schedule(h, scheduled({ seats }))
  const repo = makeBookingRepo(h.svc.store.db)
  const now = Date.now()
  h.svc.store.transactSync(() => {
    for (let i = 0; i < count; i++) {
      const bookingId = newId()
      const userId = newId()
      // Every fifth attempt wants a seat someone else asked for just before.
      const seatNumbers = [seats[(i % 5 === 4 ? i - 1 : i) % seats.length]!]
      repo.insertBooking({ bookingId, userId, screeningId: sc.screeningId, seatNumbers, now })
      h.svc.store.appendOutbox([
        eventMessage("booking", "TicketBookingAttempted", { bookingId, userId, screeningId: sc.screeningId, seatNumbers } as EventData<"TicketBookingAttempted">, {
          correlationId: bookingId,
          causationId: null
        })
      ])
    }
  })
  const started = performance.now()
  await pollUntil(
    () => rows<{ n: number }>(h, "SELECT count(*) AS n FROM bookings WHERE status = 'pending'")[0]!.n === 0,
    { timeoutMs: 120_000, intervalMs: 20, message: "every attempt to be decided" }
  )
  const seconds = (performance.now() - started) / 1000
  const byStatus = rows(h, "SELECT status, count(*) AS n FROM bookings GROUP BY status")
  console.log(JSON.stringify({ decisions: count, seconds: Number(seconds.toFixed(2)), perSecond: Math.round(count / seconds), byStatus }))
} finally {
  await h.stop()
}
