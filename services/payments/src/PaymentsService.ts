// The payments service's wiring: database, layers, subscriptions, routes, error table and sweeper.
import { Store, type StoreShape } from "@bat/store"
import type { BootOptions, ProblemTable, ServiceConfig } from "@bat/http"
import { intSetting, log } from "@bat/http"
import { Clock, Effect, Layer, Logger } from "effect"
import { join } from "node:path"
import { CardGateway, type CardGatewayShape } from "./app/CardGateway.ts"
import { Payments, PaymentsSettings } from "./app/Payments.ts"
import { RefundSignal } from "./app/RefundSignal.ts"
import { startSweeper } from "./app/Sweeper.ts"
import { handlers } from "./events/handlers.ts"
import { makeSimulatedCardGateway } from "./gateway/SimulatedCardGateway.ts"
import { paymentRoutes } from "./http/routes.ts"
import { openGatewayLedger } from "./store/gatewayLedger.ts"
import { migrations } from "./store/migrations.ts"
import { PaymentsRepo } from "./store/PaymentsRepo.ts"

export type PaymentsServices = Payments | PaymentsRepo | CardGateway | PaymentsSettings | RefundSignal | Store

export const problems: ProblemTable = {
  ReservationNotFoundYet: {
    status: 409,
    code: "reservation_not_found_yet",
    detail: () => "The reservation has not reached payments yet; try again in a moment."
  },
  BookingNotFound: { status: 404, code: "booking_not_found", detail: () => "No such booking." },
  PaymentNotFound: { status: 404, code: "payment_not_found", detail: () => "No such payment." },
  ReservationExpired: { status: 409, code: "reservation_expired", detail: () => "The reservation's hold has expired." },
  PaymentInProgress: {
    status: 409,
    code: "payment_in_progress",
    detail: () => "A payment for this booking is being processed."
  },
  BookingAlreadyPaid: { status: 409, code: "already_paid", detail: () => "This booking is paid already." },
  ReservationClosed: {
    status: 409,
    code: "reservation_closed",
    detail: () => "This reservation can no longer be paid (cancelled, refunded or its payment failed)."
  },
  IdempotencyKeyReused: {
    status: 422,
    code: "idempotency_key_reused",
    detail: () => "This Idempotency-Key was used with a different request body."
  },
  GatewayUnavailable: {
    status: 503,
    code: "payment_gateway_unavailable",
    detail: () => "The card gateway cannot be reached; the payment is settled automatically."
  }
}


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
  store: StoreShape,
  config: ServiceConfig,
  gateway: (c: ServiceConfig) => Layer.Layer<CardGateway>,
  clock: Clock.Clock | undefined
) => {
  const settings = paymentsSettingsFrom(config)
  const deps = Layer.mergeAll(
    Layer.succeed(Store, store),
    PaymentsRepo.layer(store.db),
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
  layer: (store, config) => appLayer(store, config, opts.gateway ?? simulatedGateway, opts.clock),
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
