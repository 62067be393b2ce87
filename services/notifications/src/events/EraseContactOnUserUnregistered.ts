// UserUnregistered → mark the contact for erasure once the grace period for its cancellation notices is over.
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const eraseContactOnUserUnregistered: Handler<"UserUnregistered", Notifications> = (data) =>
  Notifications.use((n) => n.unregisterContact(data.userId))
