// The payments service's subscriptions: its inbox and the hold-expiry queue.
import type { Handlers } from "@bat/messaging"
import type { Payments } from "../app/Payments.ts"
import { closeOrRefundOnTicketCancelled } from "./CloseOrRefundOnTicketCancelled.ts"
import { expireHoldOnHoldTimerElapsed } from "./ExpireHoldOnHoldTimerElapsed.ts"
import { recordHoldOnTicketReserved } from "./RecordHoldOnTicketReserved.ts"

export const handlers: Handlers<Payments> = {
  TicketReserved: recordHoldOnTicketReserved,
  TicketCancelled: closeOrRefundOnTicketCancelled,
  HoldTimerElapsed: expireHoldOnHoldTimerElapsed
}
