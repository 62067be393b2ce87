// The users service as boot options: main.ts runs it, tests boot it in-process.
import { log, makeAuth, TOKEN_AUDIENCE, TOKEN_ISSUER, type BootOptions, type ServiceConfig } from "@bat/http"
import { Effect, Layer } from "effect"
import { Accounts } from "./app/Accounts.ts"
import { localKeySet, TokenIssuer } from "./app/TokenIssuer.ts"
import { UsersSettings } from "./app/UsersSettings.ts"
import { adminAccountFrom, tokenTtlMinutesFrom, type AdminAccount } from "./domain/accounts.ts"
import { UsersConfigInvalid } from "./domain/errors.ts"
import { usersLimits } from "./http/limits.ts"
import { problems } from "./http/problems.ts"
import { routes } from "./http/routes.ts"
import { migrations } from "./store/migrations.ts"

/** The service's settings from its environment; a malformed value stops the start with its message. */
const settingsFrom = (config: ServiceConfig) =>
  Layer.effect(
    UsersSettings,
    Effect.gen(function* () {
      const ttlMinutes = tokenTtlMinutesFrom(config.env.TOKEN_TTL_MINUTES)
      if (typeof ttlMinutes === "string") return yield* Effect.die(new UsersConfigInvalid({ message: ttlMinutes }))
      const admin = adminAccountFrom(config.env, config.production)
      if (typeof admin === "string") return yield* Effect.die(new UsersConfigInvalid({ message: admin }))
      // The limits are built with the routes; a malformed limit (or ABUSE_LIMITS=off in production) stops the start here.
      const limits = Effect.try({ try: () => usersLimits(config.env), catch: (e) => new UsersConfigInvalid({ message: e instanceof Error ? e.message : String(e) }) })
      yield* limits.pipe(Effect.orDie)
      return UsersSettings.of({ ttlMinutes, admin })
    })
  )

const announceAdmin = (service: string, admin: AdminAccount, outcome: string) =>
  admin.isDevDefault
    ? log(service, "warn", `development staff account: log in as ${admin.email} with the development default password (see services/users/README.md); set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own`, { outcome })
    : log(service, "info", `staff account ${admin.email} ensured`, { outcome })

/** Ensures the staff account once the accounts are up. */
const ensureAdmin = (config: ServiceConfig) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const { admin } = yield* UsersSettings
      const outcome = yield* Accounts.use((a) => a.ensureAdmin(admin)).pipe(Effect.orDie)
      announceAdmin(config.service, admin, outcome)
    })
  )

/** Accounts and the token issuer, after the staff account has been ensured. */
export const usersLayer = (config: ServiceConfig) => {
  const services = Accounts.layer.pipe(Layer.provideMerge(TokenIssuer.layer))
  const app = Layer.merge(services, ensureAdmin(config).pipe(Layer.provide(services)))
  return app.pipe(Layer.provide(settingsFrom(config)))
}

export const usersService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<Accounts | TokenIssuer> => ({
  service: "users",
  defaultPort: 3001,
  prefix: "/users",
  migrations,
  layer: (_store, config) => usersLayer(config),
  routes,
  problems,
  // The users service holds the keys: it verifies its own tokens without a round trip over HTTP.
  auth: (store) => makeAuth({ issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, jwks: localKeySet(store) }),
  ...(env === undefined ? {} : { env })
})
