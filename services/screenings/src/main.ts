// Starts the screenings service: catalog projections, scheduling and seat maps.
import { runServiceMain } from "@bat/http"
import { screeningsService } from "./service.ts"

await runServiceMain(() => screeningsService())
