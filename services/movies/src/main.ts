// Entry point of the movies service process.
import { runServiceMain } from "@bat/http"
import { moviesService } from "./service.ts"

await runServiceMain(() => moviesService())
