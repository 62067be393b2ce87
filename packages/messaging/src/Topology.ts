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
  /**
   * With least privilege (DESIGN §17), what others own and must already exist, checked passively:
   * exchanges before the own queues are declared and bound, queues (the inboxes this service's
   * events go to) before it publishes.
   */
  readonly requiresExchanges?: ReadonlyArray<string>
  readonly requiresQueues?: ReadonlyArray<string>
}

export interface TopologyOptions {
  readonly retryDelays?: ReadonlyArray<number>
  /** Declares the hold-timer queues (payments only). */
  readonly holdTtlMs?: number
  /** Deliveries after which an inbox dead-letters a message to its DLQ (`x-delivery-limit`, default 50). */
  readonly deliveryLimit?: number
}

export const defaultDeliveryLimit = 50

const quorum = { "x-queue-type": "quorum" }
/** Dead-lettering that survives a crash: at-least-once needs reject-publish overflow. */
const deadLetterTo = (routingKey: string) => ({
  ...quorum,
  "x-dead-letter-exchange": "",
  "x-dead-letter-routing-key": routingKey,
  "x-dead-letter-strategy": "at-least-once",
  "x-overflow": "reject-publish"
})
/**
 * A queue a service consumes: a message delivered `deliveryLimit` times without being settled (it
 * kills its consumer, or cannot be decoded by the client at all) is dead-lettered to the service's DLQ.
 * The limit is set explicitly so RabbitMQ 3.10 (no default) and 4.x (default 20) behave alike.
 */
const consumedQueue = (service: string, deliveryLimit: number) => ({
  ...deadLetterTo(dlqOf(service)),
  "x-delivery-limit": deliveryLimit
})

export const retryDelaysOf = (delays: ReadonlyArray<number>): ReadonlyArray<number> => [...new Set(delays)]

const consumers = services.filter((s) => bindingsOf(s).length > 0)

/**
 * Everything one service declares before it publishes or consumes: every producer's exchange, every
 * consumer's inbox, DLQ and bindings (so an event emitted before its consumer first started is kept),
 * and its own retry queues and, for payments, the hold-timer queues.
 */
export const topologyFor = (service: ServiceName | string, opts: TopologyOptions = {}): TopologySpec => {
  const deliveryLimit = opts.deliveryLimit ?? defaultDeliveryLimit
  const queues: Array<QueueSpec> = []
  for (const c of consumers) {
    queues.push({ name: inboxOf(c), arguments: consumedQueue(c, deliveryLimit) })
    queues.push({ name: dlqOf(c), arguments: quorum })
  }
  const consumes = bindingsOf(service as ServiceName).length > 0 || opts.holdTtlMs !== undefined
  if (consumes) {
    const inbox = inboxOf(service)
    if (!queues.some((q) => q.name === inbox)) {
      queues.push({ name: inbox, arguments: consumedQueue(service, deliveryLimit) })
      queues.push({ name: dlqOf(service), arguments: quorum })
    }
    for (const d of retryDelaysOf(opts.retryDelays ?? defaultRetryDelays)) {
      queues.push({ name: retryQueueOf(service, d), arguments: { ...deadLetterTo(inbox), "x-message-ttl": d } })
    }
  }
  if (opts.holdTtlMs !== undefined) {
    queues.push({ name: holdQueueOf(opts.holdTtlMs), arguments: { ...deadLetterTo(holdExpiredQueue), "x-message-ttl": opts.holdTtlMs } })
    queues.push({ name: holdExpiredQueue, arguments: consumedQueue(service, deliveryLimit) })
  }
  return {
    exchanges: producers.map(exchangeOf).sort(),
    queues,
    bindings: consumers.flatMap((c) =>
      bindingsOf(c).map((b) => ({ source: b.exchange, destination: inboxOf(c), routingKey: b.routingKey }))
    )
  }
}

/**
 * What a service declares when it connects as its own, least-privileged broker user: only its own
 * exchange, queues and its inbox's bindings; the exchanges it binds from and the inboxes its events
 * go to are owned by other services (or declared ahead by the operator) and are checked passively,
 * so a service never publishes into an incomplete layout (DESIGN §3.1, docs/DECISIONS.md).
 */
export const ownTopologyFor = (service: ServiceName | string, opts: TopologyOptions = {}): TopologySpec => {
  const whole = topologyFor(service, opts)
  const own = (name: string) => name.startsWith(`${service}.`)
  const inbox = inboxOf(service)
  const isProducer = (producers as ReadonlyArray<string>).includes(service)
  const bindings = whole.bindings.filter((b) => b.destination === inbox)
  return {
    exchanges: isProducer ? [exchangeOf(service)] : [],
    queues: whole.queues.filter((q) => own(q.name)),
    bindings,
    requiresExchanges: [...new Set(bindings.map((b) => b.source))].filter((e) => e !== exchangeOf(service)).sort(),
    requiresQueues: isProducer
      ? [...new Set(whole.bindings.filter((b) => b.source === exchangeOf(service)).map((b) => b.destination))].filter((q) => !own(q)).sort()
      : []
  }
}

/**
 * The layout the operator declares ahead of the services (`rabbitmq/ensure-broker.sh`, the test
 * harnesses): every exchange, every consumer's inbox, DLQ and bindings. Retry and hold queues are
 * each used by one service only and declared by it.
 */
export const operatorTopology = (opts: { readonly deliveryLimit?: number } = {}): TopologySpec => {
  const deliveryLimit = opts.deliveryLimit ?? defaultDeliveryLimit
  return {
    exchanges: producers.map(exchangeOf).sort(),
    queues: consumers.flatMap((c) => [
      { name: inboxOf(c), arguments: consumedQueue(c, deliveryLimit) },
      { name: dlqOf(c), arguments: quorum }
    ]),
    bindings: consumers.flatMap((c) =>
      bindingsOf(c).map((b) => ({ source: b.exchange, destination: inboxOf(c), routingKey: b.routingKey }))
    )
  }
}

const isNotFound = (e: unknown): boolean =>
  typeof e === "object" && e !== null && ((e as { code?: unknown }).code === 404 || /NOT_FOUND/.test(String(e)))

/** Raised when what others own is missing: the link is retried, and the service does not publish meanwhile. */
export class IncompleteLayout extends Error {}

/**
 * Subscriptions are written once, in packages/contracts; a service's handler map must cover exactly
 * them (plus the types that reach it through `extraTypes`, e.g. payments' hold timer). Returns what
 * differs, or undefined.
 */
export const subscriptionMismatch = (
  service: string,
  handled: ReadonlyArray<string>,
  extraTypes: ReadonlyArray<string> = []
): string | undefined => {
  const bound = new Set<string>(bindingsOf(service as ServiceName).map((b) => b.routingKey))
  const handledSet = new Set(handled)
  const unhandled = [...bound].filter((t) => !handledSet.has(t))
  const unbound = handled.filter((t) => !bound.has(t) && !extraTypes.includes(t))
  if (unhandled.length === 0 && unbound.length === 0) return undefined
  return [
    unhandled.length > 0 ? `${inboxOf(service)} is bound to ${unhandled.join(", ")} but ${service} has no handler for them` : "",
    unbound.length > 0 ? `${service} handles ${unbound.join(", ")} but its inbox is not bound to them (packages/contracts subscriptions)` : ""
  ]
    .filter(Boolean)
    .join("; ")
}

/** The whole system's layout, with the default hold TTL and delivery limit. */
export const systemTopology = (holdTtlMs = 900_000): TopologySpec => {
  const parts = services.map((s) => topologyFor(s, s === "payments" ? { holdTtlMs } : {}))
  const queues = new Map<string, QueueSpec>()
  for (const q of parts.flatMap((p) => p.queues)) if (!queues.has(q.name)) queues.set(q.name, q)
  const bindings = new Map<string, BindingSpec>()
  for (const b of parts.flatMap((p) => p.bindings)) bindings.set(`${b.source} ${b.destination} ${b.routingKey}`, b)
  return {
    exchanges: [...new Set(parts.flatMap((p) => p.exchanges))].sort(),
    queues: [...queues.values()],
    bindings: [...bindings.values()]
  }
}

const isPreconditionFailed = (e: unknown): boolean =>
  typeof e === "object" && e !== null && ((e as { code?: unknown }).code === 406 || /PRECONDITION_FAILED/.test(String(e)))

/**
 * Declares `spec` idempotently. A queue that already exists with other arguments (declared by an
 * earlier version) is used as it is and reported through `mismatch`: the service keeps working and
 * the operator migrates the queue (docs/DECISIONS.md). Returns the channel still open at the end.
 */
export const declareTopology = async (
  openChannel: () => Promise<Channel>,
  first: Channel,
  spec: TopologySpec,
  mismatch: (message: string) => void
): Promise<Channel> => {
  let ch = first
  for (const e of spec.exchanges) await ch.assertExchange(e, "topic", { durable: true })
  const requireAll = async (kind: "exchange" | "queue", names: ReadonlyArray<string> | undefined) => {
    for (const name of names ?? []) {
      try {
        if (kind === "exchange") await ch.checkExchange(name)
        else await ch.checkQueue(name)
      } catch (e) {
        if (!isNotFound(e)) throw e
        throw new IncompleteLayout(
          `the broker layout is incomplete: ${kind} ${name} does not exist and this service may not declare it; ` +
            "the operator declares the layout (bash rabbitmq/ensure-broker.sh, or import rabbitmq/definitions.json), " +
            "or its owning service declares it when it starts"
        )
      }
    }
  }
  await requireAll("exchange", spec.requiresExchanges)
  for (const q of spec.queues) {
    try {
      await ch.assertQueue(q.name, { durable: true, arguments: q.arguments })
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e
      ch = await openChannel() // the failed declaration closed the channel
      await ch.checkQueue(q.name)
      mismatch(
        `queue ${q.name} exists with other arguments than this version declares (${String((e as Error).message).slice(0, 300)}); ` +
          "it is used as it is — see docs/DECISIONS.md to migrate it"
      )
    }
  }
  for (const b of spec.bindings) await ch.bindQueue(b.destination, b.source, b.routingKey)
  await requireAll("queue", spec.requiresQueues)
  return ch
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

