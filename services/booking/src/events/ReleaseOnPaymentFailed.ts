// A failed or expired payment fails a reserved booking and frees its seats.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const releaseOnPaymentFailed: Handler<"PaymentFailed", Bookings> = (data, ctx) =>
  Bookings.use((b) => b.handle(data.bookingId, { kind: "PaymentFailed", reason: data.reason }, { causationId: ctx.envelope.id }))
