// Projects a scheduled screening (times, price, the hall's seats) for deciding attempts.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const projectOnScreeningScheduled: Handler<"ScreeningScheduled", Bookings> = (data) =>
  Bookings.use((bookings) => bookings.projectScheduled(data))
