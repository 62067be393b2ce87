// Entry point of the users service process.
import { runServiceMain } from "@bat/http"
import { usersService } from "./service.ts"

await runServiceMain(() => usersService())
