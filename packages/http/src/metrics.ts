// Prometheus metrics (prom-client): one registry per process for request durations and domain counters,
// and one per booted service for the gauges read from its store and broker. Served at `GET /metrics`.
import client, { type Registry } from "prom-client"

/** Every metric name starts with this (docs/OPERATIONS.md lists them). */
export const METRIC_PREFIX = "bookaticket_"

let processRegistry: Registry | undefined

/** The process's registry: default process metrics (CPU, memory, event loop lag), request durations, domain counters. */
export const metricsRegistry = (): Registry => {
  if (processRegistry === undefined) {
    processRegistry = new client.Registry()
    client.collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX })
  }
  return processRegistry
}

/** A metric created on first use, so a process that never serves metrics never builds them. */
const lazy = <M>(make: (registers: Array<Registry>) => M): (() => M) => {
  let made: M | undefined
  return () => (made ??= make([metricsRegistry()]))
}

// Covers the 500 ms the latency alert is about with buckets either side of it.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export const httpRequestDuration = lazy(
  (registers) =>
    new client.Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: "HTTP request durations by route template, method and status",
      labelNames: ["route", "method", "status"] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
)

export const messagesConsumed = lazy(
  (registers) =>
    new client.Counter({
      name: `${METRIC_PREFIX}messages_consumed_total`,
      help: "Messages consumed, by service, event type and outcome (done, retried, parked)",
      labelNames: ["service", "type", "outcome"] as const,
      registers,
    }),
)

const bookingDecisions = lazy(
  (registers) =>
    new client.Counter({
      name: `${METRIC_PREFIX}booking_decisions_total`,
      help: "Booking attempts decided, by outcome (reserved, rejected) and the rejection's reason",
      labelNames: ["outcome", "reason"] as const,
      registers,
    }),
)

const holdsExpired = lazy(
  (registers) =>
    new client.Counter({
      name: `${METRIC_PREFIX}holds_expired_total`,
      help: "Seat holds that expired unpaid",
      registers,
    }),
)

const payments = lazy(
  (registers) =>
    new client.Counter({
      name: `${METRIC_PREFIX}payments_total`,
      help: "Payments by the status they reached (succeeded, failed, expired, refunded)",
      labelNames: ["status"] as const,
      registers,
    }),
)

const notificationDeliveries = lazy(
  (registers) =>
    new client.Counter({
      name: `${METRIC_PREFIX}notification_deliveries_total`,
      help: "Notification e-mail delivery attempts by result (sent, failed_permanent, retry, given_up, skipped)",
      labelNames: ["result"] as const,
      registers,
    }),
)

const streamClients = lazy(
  (registers) =>
    new client.Gauge({
      name: `${METRIC_PREFIX}stream_clients`,
      help: "Clients connected to a live stream (Server-Sent Events), by stream",
      labelNames: ["stream"] as const,
      registers,
    }),
)

/** The reasons booking's decision rejects a pending booking with (DESIGN §12, docs/OPERATIONS.md). */
export const BOOKING_REJECTION_REASONS = [
  "seat_unavailable",
  "seat_limit",
  "unknown_seat",
  "unknown_screening",
  "screening_started",
  "screening_cancelled",
  "user_unregistered",
] as const
/** The statuses `bookaticket_payments_total` counts. */
export const PAYMENT_STATUSES = ["succeeded", "failed", "expired", "refunded"] as const
/** The results `bookaticket_notification_deliveries_total` counts. */
export const DELIVERY_RESULTS = ["sent", "failed_permanent", "retry", "given_up", "skipped"] as const
/** The outcomes `bookaticket_messages_consumed_total` counts. */
export const CONSUMED_OUTCOMES = ["done", "retried", "parked"] as const

/** Counts one booking decision: `reserved`, or `rejected` with its reason (e.g. `seat_unavailable`). */
export const countBookingDecision = (outcome: "reserved" | "rejected", reason = ""): void =>
  bookingDecisions().inc({ outcome, reason })

/** Counts one hold that expired unpaid. */
export const countHoldExpired = (): void => holdsExpired().inc()

/** Counts one payment reaching `status`. */
export const countPayment = (status: (typeof PAYMENT_STATUSES)[number]): void => payments().inc({ status })

/** Counts one notification delivery attempt's result. */
export const countNotificationDelivery = (result: (typeof DELIVERY_RESULTS)[number]): void =>
  notificationDeliveries().inc({ result })

/**
 * The domain counters and gauges each service owns, with their known label values: made present at 0 when the
 * service boots, so that an alert or `rate()` has a series from the first scrape, before the first event.
 */
const domainMetricsOf: Readonly<Record<string, () => void>> = {
  booking: () => {
    bookingDecisions().inc({ outcome: "reserved", reason: "" }, 0)
    for (const reason of BOOKING_REJECTION_REASONS) bookingDecisions().inc({ outcome: "rejected", reason }, 0)
  },
  payments: () => {
    holdsExpired().inc(0)
    for (const status of PAYMENT_STATUSES) payments().inc({ status }, 0)
  },
  notifications: () => {
    for (const result of DELIVERY_RESULTS) notificationDeliveries().inc({ result }, 0)
    streamClients().inc({ stream: "notifications" }, 0)
  },
  screenings: () => streamClients().inc({ stream: "seats" }, 0),
}

/**
 * Makes `service`'s metrics present at 0 from the first scrape: its domain counters and gauges, and the messages
 * it consumes (`types`) by every outcome.
 */
export const declareServiceMetrics = (service: string, consumedTypes: ReadonlyArray<string>): void => {
  domainMetricsOf[service]?.()
  for (const type of consumedTypes) for (const outcome of CONSUMED_OUTCOMES) messagesConsumed().inc({ service, type, outcome }, 0)
}

/**
 * One client joined the live stream `stream` (e.g. `notifications`, `seats`); call the returned function
 * once when it leaves (a `finally` of the stream's generator). Calling it again does nothing.
 */
export const streamClientConnected = (stream: string): (() => void) => {
  const gauge = streamClients()
  gauge.inc({ stream })
  let left = false
  return () => {
    if (left) return
    left = true
    gauge.dec({ stream })
  }
}

/** What a booted service's own gauges read: its outbox and its dead-letter queue. */
export interface ServiceGaugeSources {
  readonly service: string
  /** Rows not yet confirmed by the broker; undefined while the database is closed. */
  readonly outboxBacklog: () => number | undefined
  /** Age of the oldest unsent outbox row in ms; undefined while the database is closed. */
  readonly outboxOldestUnsentAgeMs: () => number | undefined
  /** The last known depth of `<service>.dlq` (refreshed in the background, never on scrape); none when it has no queue. */
  readonly dlqDepth?: () => number
}

/** A registry of one service's gauges, read at scrape time from cheap, local sources. */
export const serviceMetricsRegistry = (sources: ServiceGaugeSources): Registry => {
  const registry = new client.Registry()
  const labels = { service: sources.service }
  new client.Gauge({
    name: `${METRIC_PREFIX}outbox_backlog`,
    help: "Outbox rows the broker has not confirmed yet",
    labelNames: ["service"] as const,
    registers: [registry],
    collect() {
      const n = sources.outboxBacklog()
      if (n !== undefined) this.set(labels, n)
    },
  })
  new client.Gauge({
    name: `${METRIC_PREFIX}outbox_oldest_unsent_age_seconds`,
    help: "Age of the oldest outbox row the broker has not confirmed (0 when none)",
    labelNames: ["service"] as const,
    registers: [registry],
    collect() {
      const ms = sources.outboxOldestUnsentAgeMs()
      if (ms !== undefined) this.set(labels, ms / 1000)
    },
  })
  const dlqDepth = sources.dlqDepth
  if (dlqDepth !== undefined) {
    new client.Gauge({
      name: `${METRIC_PREFIX}dlq_depth`,
      help: "Messages parked in the service's dead-letter queue (as last read from the broker, every few seconds)",
      labelNames: ["service", "queue"] as const,
      registers: [registry],
      collect() {
        this.set({ ...labels, queue: `${sources.service}.dlq` }, dlqDepth())
      },
    })
  }
  return registry
}

/** The text exposition of the process's registry followed by `extra` registries (their names never overlap). */
export const metricsText = async (extra: ReadonlyArray<Registry> = []): Promise<string> => {
  const parts = await Promise.all([metricsRegistry(), ...extra].map((r) => r.metrics()))
  return parts.join("\n")
}

export const METRICS_CONTENT_TYPE: string = client.register.contentType

/** The route label of a request no route matched: one value, so unknown paths cannot grow the series. */
export const UNMATCHED_ROUTE = "unmatched"

// Methods a route can be registered for; anything else is one label value, so odd methods cannot grow the series.
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

/** Records one request's duration; `route` is the route template (`/tickets/bookings/:bookingId`), never the raw path. */
export const observeRequest = (route: string | undefined, method: string, status: number, seconds: number): void => {
  httpRequestDuration().observe(
    {
      route: route === undefined || route === "" ? UNMATCHED_ROUTE : route,
      method: METHODS.has(method) ? method : "OTHER",
      status: String(status),
    },
    seconds,
  )
}
