// A cancelled screening is tombstoned and its reserved and booked bookings are cancelled.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const cancelOnScreeningCancelled: Handler<"ScreeningCancelled", Bookings> = (data, ctx) => Bookings.use((bookings) => bookings.cancelScreening(data, ctx))
