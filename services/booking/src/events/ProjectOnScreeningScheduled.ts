// Projects a scheduled screening (times, price, the hall's seats, and the movie, cinema and hall names with the cinema's time zone) for deciding attempts and naming the screening in views and events.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const projectOnScreeningScheduled: Handler<"ScreeningScheduled", Bookings> = (data) =>
  Bookings.use((bookings) => bookings.projectScheduled(data))
