// Starts the payments service process.
import { runServiceMain } from "@bat/http"
import { paymentsService } from "./service.ts"

await runServiceMain(() => paymentsService())
