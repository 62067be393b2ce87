// The payments service's wiring: database, layers, subscriptions, routes, error table and sweeper.
import type { BootOptions, ServiceConfig } from "@bat/http"
import { intSetting, log } from "@bat/http"
import { Clock, Effect, Layer, Logger } from "effect"
import { join } from "node:path"
import { CardGateway, type CardGatewayShape } from "./app/CardGateway.ts"
import { FingerprintKey, fingerprintKeyFrom } from "./app/FingerprintKey.ts"
import { Payments, PaymentsSettings } from "./app/Payments.ts"
import { RefundSignal } from "./app/RefundSignal.ts"
import { startSweeper } from "./app/Sweeper.ts"
import { handlers } from "./events/handlers.ts"
import { makeSimulatedCardGateway } from "./gateway/SimulatedCardGateway.ts"
import { problems } from "./http/problems.ts"
import { paymentRoutes, payRate } from "./http/routes.ts"
import type { PaymentsServices } from "./app/PaymentsServices.ts"
import { openGatewayLedger } from "./store/gatewayLedger.ts"
import { migrations } from "./store/migrations.ts"
import { PaymentsRepo } from "./store/PaymentsRepo.ts"

export type { PaymentsServices } from "./app/PaymentsServices.ts"

export interface PaymentsServiceOptions {
  /** The card provider; the simulated one (ledger in DATA_DIR/gateway-sim.db) by default. */
  readonly gateway?: (config: ServiceConfig) => Layer.Layer<CardGateway>
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Replaces the wall clock the use cases read (tests run payments' clock ahead of booking's). */
  readonly clock?: Clock.Clock
}

export const gatewayLedgerFile = (dataDir: string) => join(dataDir, "gateway-sim.db")

export const simulatedGateway = (config: ServiceConfig): Layer.Layer<CardGateway> =>
  Layer.effect(
    CardGateway,
    Effect.acquireRelease(
      Effect.sync(() => openGatewayLedger(gatewayLedgerFile(config.dataDir))),
      (ledger) => Effect.sync(() => ledger.close())
    ).pipe(Effect.map((ledger): CardGatewayShape => makeSimulatedCardGateway(ledger)))
  )

/** The service's settings from its environment; a malformed value stops the start with its name. */
export const paymentsSettingsFrom = (config: ServiceConfig) =>
  PaymentsSettings.of({
    holdTtlMs: config.holdTtlMs,
    clockSkewGraceMs: intSetting(config.env, "CLOCK_SKEW_GRACE_MS", 30_000),
    chargingSettleMs: intSetting(config.env, "CHARGING_SETTLE_MS", 60_000)
  })

const appLayer = (
  config: ServiceConfig,
  gateway: (c: ServiceConfig) => Layer.Layer<CardGateway>,
  clock: Clock.Clock | undefined
) => {
  const settings = paymentsSettingsFrom(config)
  // Read (or, in development, generated) before anything else starts: a missing key stops the process.
  const fingerprintKey = fingerprintKeyFrom(config)
  const deps = Layer.mergeAll(
    Layer.succeed(FingerprintKey, FingerprintKey.of({ key: fingerprintKey })),
    PaymentsRepo.layer,
    gateway(config),
    Layer.succeed(PaymentsSettings, settings),
    RefundSignal.layer,
    // One JSON line per log entry, like the rest of the process's logs.
    Logger.layer([Logger.consoleJson])
  )
  const app = Payments.layer.pipe(Layer.provideMerge(deps))
  return clock ? Layer.merge(app, Layer.succeed(Clock.Clock, clock)) : app
}

export const paymentsService = (opts: PaymentsServiceOptions = {}): BootOptions<PaymentsServices> => ({
  service: "payments",
  defaultPort: 3006,
  prefix: "/payments",
  migrations,
  holdTimer: true,
  layer: (_store, config) => {
    payRate(config.env) // a malformed PAY_RATE_PER_ACCOUNT (or ABUSE_LIMITS=off in production) stops the start here
    return appLayer(config, opts.gateway ?? simulatedGateway, opts.clock)
  },
  handlers: () => handlers,
  routes: paymentRoutes,
  problems,
  background: ({ runtime, config }) =>
    startSweeper(runtime, {
      intervalMs: intSetting(config.env, "SWEEP_INTERVAL_MS", 1_000),
      log: (level, msg, fields) => log("payments", level, msg, fields)
    }),
  ...(opts.env ? { env: opts.env } : {})
})
