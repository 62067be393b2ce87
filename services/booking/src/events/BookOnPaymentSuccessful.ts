// A successful payment is recorded for the sales reports and turns a reserved booking into a booked one.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const bookOnPaymentSuccessful: Handler<"PaymentSuccessful", Bookings> = (data, ctx) => Bookings.use((bookings) => bookings.confirmPayment(data, ctx))
