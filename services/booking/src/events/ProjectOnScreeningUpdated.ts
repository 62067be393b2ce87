// Projects a screening's new times, price and names, only if its revision is newer than the one held.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const projectOnScreeningUpdated: Handler<"ScreeningUpdated", Bookings> = (data) =>
  Bookings.use((bookings) => bookings.projectUpdated(data))
