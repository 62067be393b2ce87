// The users service as boot options: main.ts runs it, tests boot it in-process.
import { log, makeAuth, TOKEN_AUDIENCE, TOKEN_ISSUER, type BootOptions, type ServiceConfig } from "@bat/http"
import type { StoreShape } from "@bat/store"
import { Effect, Layer } from "effect"
import { Accounts, AccountsLive } from "./app/Accounts.ts"
import { localKeySet, TokenIssuer, TokenIssuerLive } from "./app/TokenIssuer.ts"
import { adminAccountFrom, tokenTtlMinutesFrom, type AdminAccount } from "./domain/accounts.ts"
import { UsersConfigInvalid } from "./domain/errors.ts"
import { problems } from "./http/problems.ts"
import { routes } from "./http/routes.ts"
import { migrations } from "./store/migrations.ts"

const settingsFrom = Effect.fnUntraced(function* (config: ServiceConfig) {
  const ttlMinutes = tokenTtlMinutesFrom(config.env.TOKEN_TTL_MINUTES)
  if (typeof ttlMinutes === "string") return yield* Effect.die(new UsersConfigInvalid({ message: ttlMinutes }))
  const admin = adminAccountFrom(config.env, config.production)
  if (typeof admin === "string") return yield* Effect.die(new UsersConfigInvalid({ message: admin }))
  return { ttlMinutes, admin }
})

const announceAdmin = (service: string, admin: AdminAccount, outcome: string) =>
  admin.isDevDefault
    ? log(service, "warn", `development staff account: log in as ${admin.email} with the development default password (see services/users/README.md); set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own`, { outcome })
    : log(service, "info", `staff account ${admin.email} ensured`, { outcome })

/** Accounts and the token issuer, after the staff account has been ensured. */
export const usersLayer = (store: StoreShape, config: ServiceConfig) =>
  Layer.unwrap(
    Effect.map(settingsFrom(config), ({ ttlMinutes, admin }) => {
      const services = AccountsLive(store).pipe(Layer.provideMerge(TokenIssuerLive(store, ttlMinutes)))
      const ensureAdmin = Layer.effectDiscard(
        Effect.gen(function* () {
          const outcome = yield* Accounts.use((a) => a.ensureAdmin(admin)).pipe(Effect.orDie)
          announceAdmin(config.service, admin, outcome)
        })
      )
      return Layer.merge(services, ensureAdmin.pipe(Layer.provide(services)))
    })
  )

export const usersService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<Accounts | TokenIssuer> => ({
  service: "users",
  defaultPort: 3001,
  prefix: "/users",
  migrations,
  layer: usersLayer,
  routes,
  problems,
  // The users service holds the keys: it verifies its own tokens without a round trip over HTTP.
  auth: (store) => makeAuth({ issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, jwks: localKeySet(store) }),
  ...(env === undefined ? {} : { env })
})
