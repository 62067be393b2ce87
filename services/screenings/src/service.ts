// The screenings service as bootService options: shared by main.ts and the tests.
import { isKnownTimeZone } from "@bat/contracts"
import type { BootOptions } from "@bat/http"
import { Clock, Layer } from "effect"
import { Screenings } from "./app/Screenings.ts"
import { ScreeningsSettings } from "./app/ScreeningsSettings.ts"
import { cleaningGapMinutesFrom } from "./domain/schedule.ts"
import { screeningsHandlers } from "./events/handlers.ts"
import { problems } from "./http/problems.ts"
import { screeningsRoutes } from "./http/routes.ts"
import { migrations } from "./store/migrations.ts"

/** The zone shown for a cinema not yet heard of: `DEFAULT_TIME_ZONE`, as the cinemas service uses it, else UTC. */
const defaultTimeZoneFrom = (value: string | undefined): string => {
  const zone = value?.trim() || "UTC"
  if (!isKnownTimeZone(zone)) throw new Error(`DEFAULT_TIME_ZONE=${zone} is not an IANA time zone this runtime knows`)
  return zone
}

export interface ScreeningsServiceOptions {
  /** Replaces the wall clock (tests move time forward to see screenings begin). */
  readonly clock?: Clock.Clock
}

export const screeningsService = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ScreeningsServiceOptions = {}
): BootOptions<Screenings> => ({
  service: "screenings",
  defaultPort: 3004,
  prefix: "/screenings",
  migrations,
  layer: (_store, config) => {
    const settings = Layer.succeed(
      ScreeningsSettings,
      ScreeningsSettings.of({
        cleaningGapMinutes: cleaningGapMinutesFrom(config.env.CLEANING_GAP_MINUTES),
        defaultTimeZone: defaultTimeZoneFrom(config.env.DEFAULT_TIME_ZONE)
      })
    )
    const screenings = Screenings.layer.pipe(Layer.provide(settings))
    return options.clock ? Layer.merge(screenings, Layer.succeed(Clock.Clock, options.clock)) : screenings
  },
  handlers: () => screeningsHandlers,
  routes: screeningsRoutes,
  problems,
  env
})
