// The hold timer is a hint: it only expires the hold if it is still pending and past its deadline plus the
// clock-skew grace; a timer that fires sooner leaves the hold to the sweeper.
import type { EventData } from "@bat/contracts"
import type { HandlerContext } from "@bat/messaging"
import { Payments } from "../app/Payments.ts"

export const expireHoldOnHoldTimerElapsed = (data: EventData<"HoldTimerElapsed">, ctx: HandlerContext) =>
  Payments.use((p) => p.expireIfDue(data.bookingId, ctx.envelope.id))
