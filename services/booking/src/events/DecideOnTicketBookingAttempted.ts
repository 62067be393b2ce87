// Decides a pending booking: the service consumes its own attempt event through its inbox.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const decideOnTicketBookingAttempted: Handler<"TicketBookingAttempted", Bookings> = (data, ctx) =>
  Bookings.use((b) =>
    b.handle(data.bookingId, { kind: "Attempt", attempt: ctx.attempt, maxAttempts: ctx.maxAttempts }, { causationId: ctx.envelope.id })
  )
