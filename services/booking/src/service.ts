// The booking service as the HTTP bootstrap runs it: migrations, layer, handlers, routes, problems.
import { log, type BootOptions } from "@bat/http"
import { Layer } from "effect"
import { Bookings } from "./app/Bookings.ts"
import { BookingSettings, Ids, settingsFrom } from "./app/BookingSettings.ts"
import { TicketCodes } from "./app/TicketCodes.ts"
import { handlers } from "./events/handlers.ts"
import { problems } from "./http/problems.ts"
import { bookingRoutes } from "./http/routes.ts"
import { BookingRepo } from "./store/BookingRepo.ts"
import { migrations } from "./store/migrations.ts"

const PRUNE_EVERY_MS = 3_600_000

export const bookingService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<Bookings> => ({
  service: "booking",
  defaultPort: 3005,
  prefix: "/tickets",
  migrations,
  layer: (_store, config) =>
    Bookings.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(
          BookingRepo.layer,
          Layer.succeed(BookingSettings, settingsFrom(config)),
          Ids.layer,
          TicketCodes.layer
        ))
    ),
  handlers: () => handlers,
  routes: bookingRoutes,
  problems,
  background: (ctx) => {
    const prune = () =>
      ctx.run(Bookings.use((b) => b.pruneIdempotencyKeys())).catch((e: unknown) =>
        log("booking", "warn", "pruning idempotency keys failed", { error: String(e) })
      )
    void prune()
    const timer = setInterval(prune, PRUNE_EVERY_MS)
    return () => clearInterval(timer)
  },
  ...(env ? { env } : {})
})
