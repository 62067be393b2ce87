// UserRegistered → remember the user's name and e-mail address to write to.
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const recordContactOnUserRegistered: Handler<"UserRegistered", Notifications> = (data) =>
  Notifications.use((n) => n.registerContact(data))
