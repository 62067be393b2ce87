// A refund is recorded against its booking's payment, so the sales reports count the money as payments has it.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const recordOnPaymentRefunded: Handler<"PaymentRefunded", Bookings> = (data) =>
  Bookings.use((bookings) => bookings.recordRefund(data))
