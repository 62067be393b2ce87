// TicketReserved → "your seats are held until …" (dropped if the booking already ended).
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const notifyOnTicketReserved: Handler<"TicketReserved", Notifications> = (data) =>
  Notifications.use((n) => n.record({ kind: "reserved", ...data }))
