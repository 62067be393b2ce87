// Entry point of the cinemas service process.
import { runServiceMain } from "@bat/http"
import { cinemasService } from "./service.ts"

await runServiceMain(() => cinemasService())
