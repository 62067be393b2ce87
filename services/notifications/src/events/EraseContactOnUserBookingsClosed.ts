// UserBookingsClosed → erase the unregistered user's contact once each listed booking's notice is told.
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const eraseContactOnUserBookingsClosed: Handler<"UserBookingsClosed", Notifications> = (data) =>
  Notifications.use((n) => n.userBookingsClosed(data))
