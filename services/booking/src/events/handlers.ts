// The booking service's subscriptions (DESIGN §2), one handler per event type.
import type { Handlers } from "@bat/messaging"
import type { Bookings } from "../app/Bookings.ts"
import { bookOnPaymentSuccessful } from "./BookOnPaymentSuccessful.ts"
import { cancelOnScreeningCancelled } from "./CancelOnScreeningCancelled.ts"
import { cancelOnUserUnregistered } from "./CancelOnUserUnregistered.ts"
import { decideOnTicketBookingAttempted } from "./DecideOnTicketBookingAttempted.ts"
import { projectOnScreeningScheduled } from "./ProjectOnScreeningScheduled.ts"
import { projectOnScreeningUpdated } from "./ProjectOnScreeningUpdated.ts"
import { recordOnPaymentRefunded } from "./RecordOnPaymentRefunded.ts"
import { releaseOnPaymentFailed } from "./ReleaseOnPaymentFailed.ts"

export const handlers: Handlers<Bookings> = {
  TicketBookingAttempted: decideOnTicketBookingAttempted,
  ScreeningScheduled: projectOnScreeningScheduled,
  ScreeningUpdated: projectOnScreeningUpdated,
  ScreeningCancelled: cancelOnScreeningCancelled,
  PaymentSuccessful: bookOnPaymentSuccessful,
  PaymentFailed: releaseOnPaymentFailed,
  PaymentRefunded: recordOnPaymentRefunded,
  UserUnregistered: cancelOnUserUnregistered
}
