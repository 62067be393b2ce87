// The cinemas service as boot options: main.ts runs it, tests boot it in-process.
import type { BootOptions } from "@bat/http"
import { CinemaCatalog, CinemaCatalogLive } from "./app/CinemaCatalog.ts"
import { problems } from "./http/problems.ts"
import { routes } from "./http/routes.ts"
import { migrations } from "./store/migrations.ts"

export const cinemasService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<CinemaCatalog> => ({
  service: "cinemas",
  defaultPort: 3002,
  prefix: "/cinemas",
  migrations,
  layer: (store) => CinemaCatalogLive(store),
  routes,
  problems,
  ...(env === undefined ? {} : { env })
})
