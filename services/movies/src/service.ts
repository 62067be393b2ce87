// The movies service as boot options: main.ts runs it, tests boot it in-process.
import type { BootOptions } from "@bat/http"
import { MovieCatalog } from "./app/MovieCatalog.ts"
import { problems } from "./http/problems.ts"
import { routes } from "./http/routes.ts"
import { migrations } from "./store/migrations.ts"

export const moviesService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<MovieCatalog> => ({
  service: "movies",
  defaultPort: 3003,
  prefix: "/movies",
  migrations,
  layer: () => MovieCatalog.layer,
  routes,
  problems,
  ...(env === undefined ? {} : { env })
})
