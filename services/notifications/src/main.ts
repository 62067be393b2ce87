// Starts the notifications service (port 3007 by default).
import { runServiceMain } from "@bat/http"
import { notificationsService } from "./service.ts"

await runServiceMain(() => notificationsService())
