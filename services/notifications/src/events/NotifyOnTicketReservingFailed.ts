// TicketReservingFailed → "we could not reserve your seats because …".
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const notifyOnTicketReservingFailed: Handler<"TicketReservingFailed", Notifications> = (data) =>
  Notifications.use((n) => n.record({ kind: "reservation_failed", ...data }))
