// The booking process: bookings and tickets, the seat source of truth (DESIGN §6).
import { runServiceMain } from "@bat/http"
import { bookingService } from "./service.ts"

await runServiceMain(() => bookingService())
