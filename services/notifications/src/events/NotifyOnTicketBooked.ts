// TicketBooked → "your booking is confirmed".
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const notifyOnTicketBooked: Handler<"TicketBooked", Notifications> = (data) =>
  Notifications.use((n) => n.record({ kind: "booked", ...data }))
