// Everything the notifications use cases, handlers and routes run with, provided once in service.ts.
import type { NotificationFeed } from "./NotificationFeed.ts"
import type { Notifications } from "./Notifications.ts"
import type { NotificationRepo } from "../store/NotificationRepo.ts"

export type AppServices = Notifications | NotificationRepo | NotificationFeed
