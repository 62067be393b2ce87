// Starts a service process: config from the environment, its database, one ManagedRuntime, messaging,
// HTTP with health/ready/OpenAPI and the operator's DLQ routes, and a graceful shutdown.
import { DEFAULT_LIMIT, dlqOf, Ids, OpsApi, type IdsShape } from "@bat/contracts"
import { brokerCredentialsFor, jsonLog, startMessaging, subscriptionMismatch, type Handlers, type Messaging } from "@bat/messaging"
import { Store, makeStore, openDatabase, pruneRetention, type Migration, type StoreShape } from "@bat/store"
import { flushTracing, startTracing } from "@bat/telemetry"
import { Elysia } from "elysia"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { makeAuth, type Auth } from "./auth.ts"
import { authorize } from "./authorize.ts"
import type { ProblemTable } from "./HttpProblem.ts"
import { declareServiceMetrics, messagesConsumed, serviceMetricsRegistry } from "./metrics.ts"
import { operation } from "./openapiDoc.ts"
import { refuseRevoked, revokedUsersOf, withRevocationHandler } from "./revocation.ts"
import { makeRunner, type Runner } from "./runner.ts"
import { schema } from "./schema.ts"
import { intSetting, portSetting } from "./settings.ts"
import { makeServiceApp } from "./serviceApp.ts"
import { httpSettings, localUrl, refuseExampleSecrets, type HttpSettings } from "./hardening.ts"

export const TOKEN_ISSUER = "bookaticket/users"
export const TOKEN_AUDIENCE = "bookaticket"

export interface ServiceConfig {
  readonly service: string
  readonly port: number
  readonly dataDir: string
  readonly amqpUrl: string
  readonly holdTtlMs: number
  /** `/ready` is 503 while the oldest unsent outbox row is older than this. */
  readonly readyOutboxMaxAgeMs: number
  /** `x-delivery-limit` of every inbox. */
  readonly inboxDeliveryLimit: number
  readonly jwksUrl: string
  readonly production: boolean
  /** HOST, MAX_BODY_BYTES, METRICS_ALLOW. */
  readonly http: HttpSettings
  readonly env: Readonly<Record<string, string | undefined>>
}

export const loadConfig = (service: string, defaultPort: number, env = process.env): ServiceConfig => {
  const usersPort = portSetting(env, "USERS_PORT", 3001)
  return {
    service,
    port: portSetting(env, env.PORT !== undefined ? "PORT" : `${service.toUpperCase()}_PORT`, defaultPort),
    dataDir: env.DATA_DIR ?? "./data",
    // AMQP_URL names the node(s) and vhost; AMQP_USER/AMQP_PASSWORD the service's own broker user (DESIGN §17).
    amqpUrl: brokerCredentialsFor(service, env).url,
    holdTtlMs: intSetting(env, "HOLD_TTL_MS", 900_000, 1),
    readyOutboxMaxAgeMs: intSetting(env, "READY_OUTBOX_MAX_AGE_MS", 30_000),
    inboxDeliveryLimit: intSetting(env, "INBOX_DELIVERY_LIMIT", 50, 1),
    jwksUrl: env.JWKS_URL ?? `http://127.0.0.1:${usersPort}/users/.well-known/jwks.json`,
    production: env.NODE_ENV === "production",
    http: httpSettings(env),
    env
  }
}

/** A JSON log line of `service` (the one shape every process writes). */
export const log = (service: string, level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) =>
  jsonLog(service, level, msg, fields)

/** What a service's route and handler factories get. */
export interface ServiceContext<R> {
  readonly config: ServiceConfig
  readonly store: StoreShape
  readonly runtime: ManagedRuntime.ManagedRuntime<R | Store, never>
  readonly run: Runner<R | Store>
  readonly auth: Auth
  /** Where new ids come from (the runtime's `Ids`): correlation ids minted where a request enters, too. */
  readonly ids: IdsShape
}

export interface BootOptions<R> {
  readonly service: string
  readonly defaultPort: number
  /** The path prefix the front door routes to this service, e.g. `/tickets`. */
  readonly prefix: string
  readonly migrations: ReadonlyArray<Migration>
  /** The service's own Effect services, built on its store. */
  readonly layer?: (store: StoreShape, config: ServiceConfig) => Layer.Layer<R, never, Store | Ids>
  readonly handlers?: (ctx: ServiceContext<R>) => Handlers<R | Store>
  readonly routes: (ctx: ServiceContext<R>) => Elysia<any, any, any, any, any, any, any>
  readonly problems?: ProblemTable
  /** Declares payments' hold-timer queues and consumes its expiry queue. */
  readonly holdTimer?: boolean
  /** Background work (sweepers); returns a stop function. */
  readonly background?: (ctx: ServiceContext<R> & { readonly messaging: Messaging }) => () => void
  /** Extra checks for /ready. */
  readonly ready?: () => Record<string, unknown>
  /** Auth override (the users service verifies its own tokens without HTTP). */
  readonly auth?: (store: StoreShape, config: ServiceConfig) => Auth
  readonly env?: Readonly<Record<string, string | undefined>>
}

export interface RunningService {
  readonly url: string
  readonly port: number
  readonly messaging: Messaging
  readonly store: StoreShape
  readonly stop: () => Promise<void>
}

const { ParkedList, ParkedQuery, ReplayBody, Replayed } = OpsApi

export const bootService = async <R>(opts: BootOptions<R>): Promise<RunningService> => {
  const config = loadConfig(opts.service, opts.defaultPort, opts.env ?? process.env)
  // Before anything is opened: production never runs on a published example secret (the broker's default included).
  refuseExampleSecrets(config.env, { AMQP_URL: config.amqpUrl })
  // Spans are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise tracing costs nothing.
  await startTracing(opts.service, config.env)
  const store = makeStore(openDatabase({ service: opts.service, dataDir: config.dataDir, migrations: opts.migrations }))
  // Every service's use cases find the store and where new ids come from (a service's layer may provide other ids).
  const storeLayer = Layer.merge(Layer.succeed(Store, store), Ids.layer)
  const appLayer = opts.layer ? Layer.provideMerge(opts.layer(store, config), storeLayer) : storeLayer
  const runtime = ManagedRuntime.make(appLayer as Layer.Layer<R | Store>)
  try {
    await runtime.context()
  } catch (e) {
    await runtime.dispose().catch(() => {})
    store.db.close()
    throw e
  }
  // A token of an unregistered user is refused by every route (DESIGN §17; packages/http/src/revocation.ts).
  const revoked = revokedUsersOf(store)
  const auth = refuseRevoked(
    opts.auth?.(store, config) ?? makeAuth({ jwksUrl: config.jwksUrl, issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }),
    revoked
  )
  const ids = (runtime as unknown as ManagedRuntime.ManagedRuntime<Ids, never>).runSync(Ids.use(Effect.succeed))
  const ctx: ServiceContext<R> = { config, store, runtime, run: makeRunner(runtime, opts.problems), auth, ids }

  const handlers = withRevocationHandler(opts.service, opts.handlers?.(ctx), revoked)
  const mismatch = handlers && subscriptionMismatch(opts.service, Object.keys(handlers), opts.holdTimer ? ["HoldTimerElapsed"] : [])
  if (mismatch) {
    await runtime.dispose().catch(() => {})
    store.db.close()
    throw new Error(`subscriptions and handlers disagree: ${mismatch}`)
  }
  // Every counter and gauge the service owns, at 0 from the first scrape (DESIGN §12).
  declareServiceMetrics(opts.service, Object.keys(handlers ?? {}))
  const messaging = await startMessaging<R | Store>({
    service: opts.service,
    url: config.amqpUrl,
    store,
    ...(handlers ? { handlers } : {}),
    runSyncExit: runtime.runSyncExit,
    ...(opts.holdTimer ? { holdTtlMs: config.holdTtlMs, extraQueues: ["payments.hold-expired"] } : {}),
    deliveryLimit: config.inboxDeliveryLimit,
    metrics: { consumed: (type, outcome) => messagesConsumed().inc({ service: opts.service, type, outcome }) },
    // HTTP is served while the broker is away; readiness says so.
    waitForBroker: false,
    log: (level, msg, fields) => log(opts.service, level, msg, fields)
  })
  const consumes = handlers !== undefined
  let parked = 0
  const refreshParked = async () => {
    if (!consumes || !messaging.broker.connected) return
    try {
      const n = await messaging.parkedCount()
      if (n > 0 && n !== parked) log(opts.service, "error", `${n} message(s) parked in ${dlqOf(opts.service)}`)
      parked = n
    } catch {
      // next round
    }
  }
  await refreshParked()
  const parkedTimer = setInterval(refreshParked, 5_000)
  const pruneTimer = setInterval(() => pruneRetention(store.db), 3_600_000)
  const stopBackground = opts.background?.({ ...ctx, messaging })

  const ops = new Elysia({ prefix: `${opts.prefix}/_ops` })
    .use(authorize(auth))
    .get(
      "/dlq",
      async ({ query }) => {
        if (!consumes) return { items: [], count: 0 }
        const items = await messaging.listParked(query.limit ?? DEFAULT_LIMIT)
        return { items, count: await messaging.parkedCount() }
      },
      {
        query: schema(ParkedQuery),
        ...operation({
          summary: "Messages parked in the service's dead-letter queue",
          description: "For operators: the oldest parked messages first (up to `limit`), and how many are parked in all.",
          tags: ["operations"],
          auth: "staff",
          ok: { status: 200, schema: ParkedList }
        })
      }
    )
    .post(
      "/dlq/replay",
      async ({ body }) => {
        const replayed = consumes ? await messaging.replayParked(body.messageIds) : 0
        await refreshParked()
        return { replayed }
      },
      {
        body: schema(ReplayBody),
        ...operation({
          summary: "Send parked messages back to the service's inbox",
          description: "For operators: replays the parked messages with these ids, or all of them when `messageIds` is left out.",
          tags: ["operations"],
          auth: "staff",
          ok: { status: 200, schema: Replayed }
        })
      }
    )

  // Read at scrape time: two indexed SQLite reads, and the DLQ depth as last refreshed above (never the broker).
  const gauges = serviceMetricsRegistry({
    service: opts.service,
    outboxBacklog: () => (store.db.open ? messaging.relay.backlog() : undefined),
    outboxOldestUnsentAgeMs: () => (store.db.open ? messaging.relay.oldestUnsentAgeMs() : undefined),
    ...(consumes ? { dlqDepth: () => parked } : {})
  })

  const app = makeServiceApp({
    service: opts.service,
    prefix: opts.prefix,
    metrics: [gauges],
    remoteAuth: opts.auth === undefined,
    maxBodyBytes: config.http.maxBodyBytes,
    metricsAllow: config.http.metricsAllow,
    ...(opts.problems ? { problems: opts.problems } : {}),
    readiness: async () => {
      const broker = messaging.broker.health()
      const outboxAge = store.db.open ? messaging.relay.oldestUnsentAgeMs() : 0
      const consumersDown = broker.consumers.filter((c) => !c.up).map((c) => c.queue)
      const checks: Record<string, unknown> = {
        database: store.db.open ? "open" : "closed",
        broker: broker.connected ? "connected" : "disconnected",
        publisher: broker.publisher ? "open" : "closed",
        consumers: !consumes ? "none" : consumersDown.length === 0 ? "running" : `down: ${consumersDown.join(", ")}`,
        outboxBacklog: store.db.open ? messaging.relay.backlog() : null,
        oldestUnsentMs: outboxAge,
        returned: broker.returned,
        parked,
        ...opts.ready?.()
      }
      const ok =
        store.db.open &&
        broker.connected &&
        broker.publisher &&
        consumersDown.length === 0 &&
        outboxAge <= config.readyOutboxMaxAgeMs
      if (!ok) return { ok: false, status: "not_ready", checks }
      if (parked > 0) return { ok: false, status: "degraded", checks }
      return { ok: true, checks }
    }
  })
    .use(ops)
    .use(opts.routes(ctx))
    .listen({ port: config.port, hostname: config.http.host })

  const port = app.server?.port ?? config.port
  const url = localUrl(config.http.host, port)
  log(opts.service, "info", `listening on ${url}`)
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(parkedTimer)
      clearInterval(pruneTimer)
      stopBackground?.()
      await app.stop()
      await messaging.stop()
      await runtime.dispose()
      store.db.close()
      await flushTracing()
    })())
  return { url, port, messaging, store, stop }
}

/**
 * Runs `bootService` as the process's main: exits non-zero if start-up fails, stops cleanly on signals. Pass the
 * options as a function (`runServiceMain(() => fooService())`) when making them reads settings, so that a bad
 * setting is reported like every other start-up failure: one line, no stack trace.
 */
export const runServiceMain = async <R>(options: BootOptions<R> | (() => BootOptions<R>)): Promise<void> => {
  let service = "service"
  try {
    const opts = typeof options === "function" ? options() : options
    service = opts.service
    const svc = await bootService(opts)
    const shutdown = (signal: string) => {
      log(service, "info", `${signal} received, stopping`)
      svc.stop().then(
        () => process.exit(0),
        () => process.exit(1)
      )
    }
    process.once("SIGTERM", () => shutdown("SIGTERM"))
    process.once("SIGINT", () => shutdown("SIGINT"))
  } catch (e) {
    log(service, "error", `failed to start: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
}
