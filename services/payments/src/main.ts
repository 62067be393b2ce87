// Starts the payments service process.
import { runServiceMain } from "@bat/http"
import { paymentsService } from "./PaymentsService.ts"

await runServiceMain(paymentsService())
