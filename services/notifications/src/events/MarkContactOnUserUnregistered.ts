// UserUnregistered → the contact becomes a tombstone; its data stays until UserBookingsClosed's notices are told.
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const markContactOnUserUnregistered: Handler<"UserUnregistered", Notifications> = (data) =>
  Notifications.use((n) => n.unregisterContact(data.userId))
