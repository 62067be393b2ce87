// TicketCancelled → "your booking was cancelled because …".
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const notifyOnTicketCancelled: Handler<"TicketCancelled", Notifications> = (data) =>
  Notifications.use((n) => n.record({ kind: "cancelled", ...data }))
