// TicketReserved → paint its seats reserved, unless a ticket already moved on (booked, failed, cancelled).
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const holdSeatsOnTicketReserved: Handler<"TicketReserved", Screenings> = (data) =>
  Screenings.use((s) => s.applyTickets("reserved", data.screeningId, data.tickets))
