// An unregistered user's reserved bookings are cancelled and their later attempts fail.
import type { Handler } from "@bat/messaging"
import { Bookings } from "../app/Bookings.ts"

export const cancelOnUserUnregistered: Handler<"UserUnregistered", Bookings> = (data, ctx) => Bookings.use((bookings) => bookings.unregisterUser(data, ctx))
