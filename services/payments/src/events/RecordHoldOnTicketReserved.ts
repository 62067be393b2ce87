// TicketReserved → a pending payment with the reservation's deadline, and its hold timer.
import type { EventData } from "@bat/contracts"
import type { HandlerContext } from "@bat/messaging"
import { Payments } from "../app/Payments.ts"

export const recordHoldOnTicketReserved = (data: EventData<"TicketReserved">, ctx: HandlerContext) =>
  Payments.use((p) => p.recordReservation(data, ctx.envelope.id))
