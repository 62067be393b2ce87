// TicketBookingFailed → free its reserved seats for good (a late TicketReserved cannot hold them again).
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const freeSeatsOnTicketBookingFailed: Handler<"TicketBookingFailed", Screenings> = (data) =>
  Screenings.use((s) => s.applyTickets("failed", data.screeningId, data.tickets))
