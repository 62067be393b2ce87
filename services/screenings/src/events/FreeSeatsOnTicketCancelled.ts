// TicketCancelled → free its seats for good (a late TicketReserved cannot hold them again).
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const freeSeatsOnTicketCancelled: Handler<"TicketCancelled", Screenings> = (data) =>
  Screenings.use((s) => s.applyTickets("cancelled", data.screeningId, data.tickets))
