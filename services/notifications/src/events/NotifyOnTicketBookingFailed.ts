// TicketBookingFailed → "your booking did not go through because …" (PaymentFailed itself is never notified).
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const notifyOnTicketBookingFailed: Handler<"TicketBookingFailed", Notifications> = (data) =>
  Notifications.use((n) => n.record({ kind: "booking_failed", ...data }))
