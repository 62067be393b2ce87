// The cinemas service as boot options: main.ts runs it, tests boot it in-process.
import { isKnownTimeZone } from "@bat/contracts"
import type { BootOptions } from "@bat/http"
import { Layer } from "effect"
import { CinemaCatalog } from "./app/CinemaCatalog.ts"
import { CinemasSettings } from "./app/CinemasSettings.ts"
import { problems } from "./http/problems.ts"
import { routes } from "./http/routes.ts"
import { migrationsFor } from "./store/migrations.ts"

/** The zone of cinemas created without one (and of those created before cinemas had zones). */
export const defaultTimeZoneOf = (env: Readonly<Record<string, string | undefined>>): string => {
  const zone = env.DEFAULT_TIME_ZONE?.trim() || "UTC"
  if (!isKnownTimeZone(zone)) throw new Error(`DEFAULT_TIME_ZONE=${zone} is not an IANA time zone this runtime knows`)
  return zone
}

export const cinemasService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<CinemaCatalog> => {
  const defaultTimeZone = defaultTimeZoneOf(env ?? process.env)
  return {
    service: "cinemas",
    defaultPort: 3002,
    prefix: "/cinemas",
    migrations: migrationsFor(defaultTimeZone),
    layer: () => CinemaCatalog.layer.pipe(Layer.provide(Layer.succeed(CinemasSettings, CinemasSettings.of({ defaultTimeZone })))),
    routes,
    problems,
    ...(env === undefined ? {} : { env })
  }
}
