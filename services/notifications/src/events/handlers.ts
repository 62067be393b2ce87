// The notifications service's subscriptions: one handler per event type its inbox is bound to.
import type { Handlers } from "@bat/messaging"
import type { Store } from "@bat/store"
import type { AppServices } from "../app/AppServices.ts"
import { eraseContactOnUserBookingsClosed } from "./EraseContactOnUserBookingsClosed.ts"
import { markContactOnUserUnregistered } from "./MarkContactOnUserUnregistered.ts"
import { notifyOnPaymentRefunded } from "./NotifyOnPaymentRefunded.ts"
import { notifyOnTicketBooked } from "./NotifyOnTicketBooked.ts"
import { notifyOnTicketBookingFailed } from "./NotifyOnTicketBookingFailed.ts"
import { notifyOnTicketCancelled } from "./NotifyOnTicketCancelled.ts"
import { notifyOnTicketReserved } from "./NotifyOnTicketReserved.ts"
import { notifyOnTicketReservingFailed } from "./NotifyOnTicketReservingFailed.ts"
import { recordContactOnUserRegistered } from "./RecordContactOnUserRegistered.ts"

export const handlers: Handlers<AppServices | Store> = {
  UserRegistered: recordContactOnUserRegistered,
  UserUnregistered: markContactOnUserUnregistered,
  UserBookingsClosed: eraseContactOnUserBookingsClosed,
  TicketReserved: notifyOnTicketReserved,
  TicketReservingFailed: notifyOnTicketReservingFailed,
  TicketBooked: notifyOnTicketBooked,
  TicketBookingFailed: notifyOnTicketBookingFailed,
  TicketCancelled: notifyOnTicketCancelled,
  PaymentRefunded: notifyOnPaymentRefunded
}
