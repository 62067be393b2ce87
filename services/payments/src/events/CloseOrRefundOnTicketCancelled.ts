// TicketCancelled → close a pending hold, or have a charging or succeeded payment refunded.
import type { EventData } from "@bat/contracts"
import type { HandlerContext } from "@bat/messaging"
import { Payments } from "../app/Payments.ts"

export const closeOrRefundOnTicketCancelled = (data: EventData<"TicketCancelled">, ctx: HandlerContext) =>
  Payments.use((p) => p.closeForCancelledBooking(data, ctx.envelope.id))
