// Turns the contracts' topology into declarations: what a service declares at start, and definitions.json.
import {
  bindingsOf,
  defaultRetryDelays,
  dlqOf,
  exchangeOf,
  holdExpiredQueue,
  holdQueueOf,
  inboxOf,
  producers,
  retryQueueOf,
  services,
  type ServiceName
} from "@bat/contracts"
import type { Channel } from "amqplib"

export interface QueueSpec {
  readonly name: string
  readonly arguments: Record<string, unknown>
}
export interface BindingSpec {
  readonly source: string
  readonly destination: string
  readonly routingKey: string
}
export interface TopologySpec {
  readonly exchanges: ReadonlyArray<string>
  readonly queues: ReadonlyArray<QueueSpec>
  readonly bindings: ReadonlyArray<BindingSpec>
}

export interface TopologyOptions {
  readonly retryDelays?: ReadonlyArray<number>
  /** Declares the hold-timer queues (payments only). */
  readonly holdTtlMs?: number
}

const quorum = { "x-queue-type": "quorum" }
/** Dead-lettering that survives a crash: at-least-once needs reject-publish overflow. */
const deadLetterTo = (routingKey: string) => ({
  ...quorum,
  "x-dead-letter-exchange": "",
  "x-dead-letter-routing-key": routingKey,
  "x-dead-letter-strategy": "at-least-once",
  "x-overflow": "reject-publish"
})

export const retryDelaysOf = (delays: ReadonlyArray<number>): ReadonlyArray<number> => [...new Set(delays)]

/** Everything one service declares: its own exchange, and for a consumer its inbox, retry queues and DLQ. */
export const topologyFor = (service: ServiceName | string, opts: TopologyOptions = {}): TopologySpec => {
  const bindings = bindingsOf(service as ServiceName)
  const exchanges = new Set<string>()
  if ((producers as ReadonlyArray<string>).includes(service)) exchanges.add(exchangeOf(service))
  for (const b of bindings) exchanges.add(b.exchange)
  const queues: Array<QueueSpec> = []
  const consumes = bindings.length > 0 || opts.holdTtlMs !== undefined
  if (consumes) {
    const inbox = inboxOf(service)
    queues.push({ name: inbox, arguments: quorum })
    for (const d of retryDelaysOf(opts.retryDelays ?? defaultRetryDelays)) {
      queues.push({ name: retryQueueOf(service, d), arguments: { ...deadLetterTo(inbox), "x-message-ttl": d } })
    }
    queues.push({ name: dlqOf(service), arguments: quorum })
  }
  if (opts.holdTtlMs !== undefined) {
    queues.push({ name: holdQueueOf(opts.holdTtlMs), arguments: { ...deadLetterTo(holdExpiredQueue), "x-message-ttl": opts.holdTtlMs } })
    queues.push({ name: holdExpiredQueue, arguments: quorum })
  }
  return {
    exchanges: [...exchanges],
    queues,
    bindings: bindings.map((b) => ({ source: b.exchange, destination: inboxOf(service), routingKey: b.routingKey }))
  }
}

/** The whole system's layout, with the default hold TTL. */
export const systemTopology = (holdTtlMs = 900_000): TopologySpec => {
  const parts = services.map((s) => topologyFor(s, s === "payments" ? { holdTtlMs } : {}))
  return {
    exchanges: [...new Set(parts.flatMap((p) => p.exchanges))].sort(),
    queues: parts.flatMap((p) => p.queues),
    bindings: parts.flatMap((p) => p.bindings)
  }
}

export const declareTopology = async (ch: Channel, spec: TopologySpec): Promise<void> => {
  for (const e of spec.exchanges) await ch.assertExchange(e, "topic", { durable: true })
  for (const q of spec.queues) await ch.assertQueue(q.name, { durable: true, arguments: q.arguments })
  for (const b of spec.bindings) await ch.bindQueue(b.destination, b.source, b.routingKey)
}

/** RabbitMQ's definitions format, for operators who load the layout into a broker ahead of time. */
export const toDefinitions = (spec: TopologySpec, vhost = "/") => ({
  rabbit_version: "3.10.8",
  vhosts: [{ name: vhost }],
  exchanges: spec.exchanges.map((name) => ({
    name,
    vhost,
    type: "topic",
    durable: true,
    auto_delete: false,
    internal: false,
    arguments: {}
  })),
  queues: spec.queues.map((q) => ({ name: q.name, vhost, durable: true, auto_delete: false, arguments: q.arguments })),
  bindings: spec.bindings.map((b) => ({
    source: b.source,
    vhost,
    destination: b.destination,
    destination_type: "queue",
    routing_key: b.routingKey,
    arguments: {}
  }))
})

