// TicketBooked → paint its seats booked.
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const bookSeatsOnTicketBooked: Handler<"TicketBooked", Screenings> = (data) =>
  Screenings.use((s) => s.applyTickets("booked", data.screeningId, data.tickets))
