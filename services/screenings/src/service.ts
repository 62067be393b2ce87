// The screenings service as bootService options: shared by main.ts and the tests.
import { isKnownTimeZone } from "@bat/contracts"
import { intSetting, log, type BootOptions } from "@bat/http"
import { Clock, Layer } from "effect"
import { Screenings } from "./app/Screenings.ts"
import { SeatFeed, SeatHub } from "./app/SeatFeed.ts"
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

type Env = Readonly<Record<string, string | undefined>>

/** The live seat map's settings (README: SEAT_STREAM_*, SEAT_CHANGES_*). */
export const seatSettingsOf = (env: Env) => ({
  heartbeatMs: intSetting(env, "SEAT_STREAM_HEARTBEAT_MS", 15_000, 10),
  maxQueuedBytes: intSetting(env, "SEAT_STREAM_MAX_QUEUED_BYTES", 1_048_576, 1_024),
  coalesceMs: intSetting(env, "SEAT_STREAM_COALESCE_MS", 0),
  keepVersions: intSetting(env, "SEAT_CHANGES_KEEP_VERSIONS", 1_000, 1),
  keepMs: intSetting(env, "SEAT_CHANGES_KEEP_MS", 3_600_000, 1_000),
  pruneEveryMs: intSetting(env, "SEAT_CHANGES_PRUNE_MS", 60_000)
})

export interface ScreeningsServiceOptions {
  /** Replaces the wall clock (tests move time forward to see screenings begin). */
  readonly clock?: Clock.Clock
}

export const screeningsService = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ScreeningsServiceOptions = {}
): BootOptions<Screenings> => {
  const seats = seatSettingsOf(env)
  // One hub per service instance: the live seat map streams of this process.
  const hub = new SeatHub({ heartbeatMs: seats.heartbeatMs })
  return {
    service: "screenings",
    defaultPort: 3004,
    prefix: "/screenings",
    migrations,
    layer: (_store, config) => {
      const settings = Layer.succeed(
        ScreeningsSettings,
        ScreeningsSettings.of({
          cleaningGapMinutes: cleaningGapMinutesFrom(config.env.CLEANING_GAP_MINUTES),
          defaultTimeZone: defaultTimeZoneFrom(config.env.DEFAULT_TIME_ZONE),
          seatChangesKeepVersions: seats.keepVersions,
          seatChangesKeepMs: seats.keepMs,
          seatStreamCoalesceMs: seats.coalesceMs
        })
      )
      const screenings = Screenings.layer.pipe(Layer.provide(Layer.merge(settings, Layer.succeed(SeatFeed, hub))))
      return options.clock ? Layer.merge(screenings, Layer.succeed(Clock.Clock, options.clock)) : screenings
    },
    handlers: () => screeningsHandlers,
    routes: (ctx) => screeningsRoutes(ctx, { hub, heartbeatMs: seats.heartbeatMs, maxQueuedBytes: seats.maxQueuedBytes }),
    problems,
    env,
    ready: () => ({ seatStreams: hub.subscribers, seatStreamScreenings: hub.screenings }),
    background: (ctx) => {
      if (seats.pruneEveryMs === 0) return () => {}
      // The change log is a window, not a history: older changes are only needed by nobody (a snapshot serves).
      const prune = () => {
        try {
          const dropped = ctx.runtime.runSync(Screenings.use((s) => s.pruneSeatChanges()))
          if (dropped > 0) log("screenings", "info", `pruned ${dropped} seat change(s) beyond the kept window`)
        } catch (e) {
          log("screenings", "error", "seat change pruning failed", { error: String(e) })
        }
      }
      const timer = setInterval(prune, seats.pruneEveryMs)
      return () => clearInterval(timer)
    }
  }
}
