// The events as an AsyncAPI 3 document (rabbitmq/asyncapi.yaml), derived from the catalog, envelope and topology.
import { JsonSchema, Schema } from "effect"
import { Envelope } from "./envelope.ts"
import { catalog, type EventType } from "./events.ts"
import { dlqOf, exchangeOf, holdExpiredQueue, inboxOf, producers, services, subscriptions } from "./topology.ts"

type Json = { readonly [key: string]: unknown }

const amqpBindingVersion = "0.3.0"
const vhost = "/"

/** Not published on an exchange: payments sends it to its hold-timer queue through the default exchange. */
const holdTimerType = "HoldTimerElapsed" satisfies EventType
const holdQueueAddress = "payments.hold.{holdTtlMs}ms"

const eventTypes = Object.keys(catalog) as Array<EventType>
const publishedBy = (producer: string): Array<EventType> =>
  eventTypes.filter((t) => catalog[t].producer === producer && t !== holdTimerType)
const consumersOf = (type: EventType): Array<string> => services.filter((s) => subscriptions[s]?.includes(type))
const consumingServices = services.filter((s) => (subscriptions[s] ?? []).length > 0)

const ref = (path: string) => ({ $ref: path })
const pointer = (...parts: Array<string>) => `#/${parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`
const code = (s: string) => `\`${s}\``
const list = (items: ReadonlyArray<string>) => items.map(code).join(", ")

/**
 * JSON Schema (draft-07, which AsyncAPI's default schema format extends) of an Effect Schema's encoded
 * JSON form. Named definitions are moved into `components.schemas` and their references rewritten.
 */
const toComponentSchema = (schema: Schema.Top, definitions: Map<string, unknown>): unknown => {
  const doc = JsonSchema.toDocumentDraft07(Schema.toJsonSchemaDocument(schema))
  const relink = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(relink)
    if (node === null || typeof node !== "object") return node
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === "$ref" && typeof v === "string" && v.startsWith("#/definitions/")
          ? pointer("components", "schemas", decodeURIComponent(v.slice("#/definitions/".length)))
          : relink(v)
      ])
    )
  }
  for (const [name, def] of Object.entries(doc.definitions)) {
    const linked = relink(def)
    const seen = definitions.get(name)
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(linked)) {
      throw new Error(`two different schemas are both named ${name}`)
    }
    definitions.set(name, linked)
  }
  return relink(doc.schema)
}

const description = (lines: ReadonlyArray<string>) => lines.join("\n")

const info = {
  title: "Book a Ticket events",
  version: "1.0.0",
  description: description([
    "The events the Book a Ticket services exchange through RabbitMQ. Each producer publishes to its own durable",
    "topic exchange, `<producer>.events`, with the **routing key equal to the event type**; each consuming service",
    "reads one durable quorum queue, `<service>.inbox`, bound to exactly the event types it handles.",
    "",
    "**Envelope.** Every message body is a JSON envelope",
    "`{id, type, version, occurredAt, source, correlationId, causationId, data}` (`content_type: application/json`):",
    "`id` is a UUIDv7 that is also the AMQP `messageId`; `type` is the event type, also the AMQP `type` and the",
    "routing key; `version` is always 1, a breaking change gets a new type name instead; `source` is the",
    "producing service (also the AMQP `appId`); `correlationId` is the booking id for booking-scoped events,",
    "otherwise the id of the HTTP request that caused the event; `causationId` is the id of the consumed",
    "message that caused it, or null; `data` is the event's own payload, described per message below.",
    "",
    "**Delivery guarantees.** At-least-once. A producer writes its state change and its events in one database",
    "transaction (transactional outbox); a relay publishes them in order as persistent messages (delivery mode 2)",
    "with publisher confirms and marks them sent only once confirmed, so a broker outage delays events and never",
    "loses them. Events some service subscribes to are published `mandatory`; an unroutable one is logged as an",
    "error. Consumers ack only after their transaction commits and **deduplicate by envelope `id`** (an",
    "idempotent inbox), so a redelivered or duplicated message has no second effect; every state change is",
    "guarded by the current state, so late or reordered messages cannot undo a later decision. A transient",
    "failure is retried through `<service>.retry.<ms>ms` queues (delays growing to 60 s, an `x-attempts` header",
    "counting attempts, the envelope id kept) before the message is parked in `<service>.dlq`; a message that",
    "fails schema decoding is parked at once. Order is not guaranteed across producers.",
    "",
    "Generated from `packages/contracts` with `bun run asyncapi:export`."
  ])
}

const servers = {
  broker: {
    host: "127.0.0.1:5672",
    protocol: "amqp",
    protocolVersion: "0-9-1",
    title: "RabbitMQ",
    description: description([
      "The RabbitMQ broker every service connects to (a local node by default). Services read `AMQP_URL`",
      "(default `amqp://guest:guest@127.0.0.1:5672`; the vhost is part of it, e.g. `amqp://…:5672/myvhost`).",
      "The exchanges and queues below are declared idempotently by every service at start and exported for",
      "operators to `rabbitmq/definitions.json`."
    ]),
    security: [ref(pointer("components", "securitySchemes", "amqpUserPassword"))]
  }
}

const exchangeBinding = (exchange: string) => ({
  amqp: {
    is: "routingKey",
    exchange: { name: exchange, type: "topic", durable: true, autoDelete: false, vhost },
    bindingVersion: amqpBindingVersion
  }
})
const queueBinding = (name: string | undefined) => ({
  amqp: {
    is: "queue",
    queue: { ...(name === undefined ? {} : { name }), durable: true, exclusive: false, autoDelete: false, vhost },
    bindingVersion: amqpBindingVersion
  }
})
const messageRefs = (types: ReadonlyArray<EventType>) =>
  Object.fromEntries(types.map((t) => [t, ref(pointer("components", "messages", t))]))
const channelMessageRefs = (channel: string, types: ReadonlyArray<EventType>) =>
  types.map((t) => ref(pointer("channels", channel, "messages", t)))

/** Builds the whole document; `bun run asyncapi:export` writes it as YAML. */
export const asyncApiDocument = (): Json => {
  const definitions = new Map<string, unknown>()
  const envelopeSchema = toComponentSchema(Envelope, definitions)
  const dataSchemas = Object.fromEntries(
    eventTypes.map((t) => [`${t}Data`, toComponentSchema(catalog[t].schema, definitions)])
  )

  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}

  for (const producer of producers) {
    const exchange = exchangeOf(producer)
    const types = publishedBy(producer)
    channels[exchange] = {
      address: exchange,
      title: `${producer} events`,
      description: description([
        `The durable topic exchange ${code(exchange)}: every event ${code(producer)} publishes, each with the`,
        `routing key equal to its event type (${list(types)}).`
      ]),
      messages: messageRefs(types),
      bindings: exchangeBinding(exchange)
    }
    operations[`${producer}.publish`] = {
      action: "send",
      channel: ref(pointer("channels", exchange)),
      title: `${producer} publishes its events`,
      summary: `${producer} publishes to ${exchange} with routing key = event type.`,
      description: description([
        `The ${code(producer)} service publishes each event to ${code(exchange)} with the routing key set to the`,
        "event type, from its transactional outbox: persistent, confirmed by the broker before it counts as sent,",
        `AMQP \`messageId\` = envelope \`id\`, \`type\` = event type, \`appId\` = ${code(producer)}.`
      ]),
      messages: channelMessageRefs(exchange, types),
      bindings: { amqp: { deliveryMode: 2, timestamp: true, bindingVersion: amqpBindingVersion } }
    }
  }

  for (const service of consumingServices) {
    const inbox = inboxOf(service)
    const types = subscriptions[service] ?? []
    channels[inbox] = {
      address: inbox,
      title: `${service} inbox`,
      description: description([
        `The durable quorum queue ${code(inbox)}, bound to exactly the event types ${code(service)} handles:`,
        "",
        ...types.map((t) => `- ${code(exchangeOf(catalog[t].producer))} with routing key ${code(t)}`),
        "",
        `A message that fails transiently is retried through the ${code(`${service}.retry.<ms>ms`)} queues;`,
        `parked ones wait in ${code(dlqOf(service))}.`
      ]),
      messages: messageRefs(types),
      bindings: queueBinding(inbox)
    }
    operations[`${service}.consume`] = {
      action: "receive",
      channel: ref(pointer("channels", inbox)),
      title: `${service} consumes its subscriptions`,
      summary: `${service} receives ${list(types)} (routing key = event type) from ${inbox}.`,
      description: description([
        `The ${code(service)} service consumes ${code(inbox)}, applying messages one transaction at a time in`,
        "delivery order and acking only after the transaction commits; a message whose envelope `id` it has",
        "already applied is acked with no second effect."
      ]),
      messages: channelMessageRefs(inbox, types),
      bindings: { amqp: { ack: true, bindingVersion: amqpBindingVersion } }
    }
  }

  channels["payments.hold"] = {
    address: holdQueueAddress,
    title: "payments hold timer",
    description: description([
      "A durable quorum queue with no consumers and a queue-level TTL of `HOLD_TTL_MS`, which its name carries",
      "so a changed setting never collides with an existing queue. payments publishes to it through the default",
      "exchange (routing key = the queue name) when it opens a hold; expired messages are dead-lettered",
      `(at-least-once) to ${code(holdExpiredQueue)}.`
    ]),
    parameters: {
      holdTtlMs: { description: "`HOLD_TTL_MS`: how long a reservation is held for payment, in ms.", default: "900000", examples: ["900000"] }
    },
    messages: messageRefs([holdTimerType]),
    bindings: queueBinding(undefined)
  }
  channels[holdExpiredQueue] = {
    address: holdExpiredQueue,
    title: "payments expired holds",
    description: `The durable quorum queue the hold-timer queue dead-letters to; payments consumes it.`,
    messages: messageRefs([holdTimerType]),
    bindings: queueBinding(holdExpiredQueue)
  }
  operations["payments.startHoldTimer"] = {
    action: "send",
    channel: ref(pointer("channels", "payments.hold")),
    title: "payments starts a hold timer",
    summary: `payments sends ${holdTimerType} to the hold-timer queue through the default exchange.`,
    description: "From the outbox, persistent, confirmed and mandatory, like every event.",
    messages: channelMessageRefs("payments.hold", [holdTimerType]),
    bindings: { amqp: { deliveryMode: 2, mandatory: true, timestamp: true, bindingVersion: amqpBindingVersion } }
  }
  operations["payments.expireHolds"] = {
    action: "receive",
    channel: ref(pointer("channels", holdExpiredQueue)),
    title: "payments expires holds",
    summary: `payments receives ${holdTimerType} from ${holdExpiredQueue} once the hold TTL has elapsed.`,
    description: "A hint, not the truth: the handler only expires the hold if it is due, and a sweeper catches late or lost timers.",
    messages: channelMessageRefs(holdExpiredQueue, [holdTimerType]),
    bindings: { amqp: { ack: true, bindingVersion: amqpBindingVersion } }
  }

  const messages = Object.fromEntries(
    eventTypes.map((t) => {
      const producer = catalog[t].producer
      const consumers = t === holdTimerType ? ["payments"] : consumersOf(t)
      const route =
        t === holdTimerType
          ? `Sent by ${code(producer)} to the hold-timer queue ${code(holdQueueAddress)} (default exchange), received from ${code(holdExpiredQueue)}.`
          : `Published by ${code(producer)} to ${code(exchangeOf(producer))} with routing key ${code(t)}.`
      return [
        t,
        {
          name: t,
          title: t,
          summary: route,
          description:
            consumers.length > 0
              ? `Consumed by ${list(consumers)}.`
              : "No service subscribes to it yet; it is published (not mandatory) for operators and later consumers.",
          contentType: "application/json",
          correlationId: ref(pointer("components", "correlationIds", "envelope")),
          tags: [{ name: producer }],
          payload: {
            allOf: [
              ref(pointer("components", "schemas", "Envelope")),
              {
                type: "object",
                properties: {
                  type: { const: t },
                  source: { const: producer },
                  data: ref(pointer("components", "schemas", `${t}Data`))
                }
              }
            ]
          },
          bindings: { amqp: { messageType: t, bindingVersion: amqpBindingVersion } }
        }
      ]
    })
  )

  for (const name of ["Envelope", ...Object.keys(dataSchemas)]) {
    if (definitions.has(name)) throw new Error(`schema name ${name} is taken by a named definition`)
  }

  return {
    asyncapi: "3.0.0",
    id: "urn:book-a-ticket:events",
    info,
    defaultContentType: "application/json",
    servers,
    channels,
    operations,
    components: {
      schemas: {
        Envelope: {
          ...(envelopeSchema as Json),
          description: "The envelope every event travels in; `data` is described by each message."
        },
        ...dataSchemas,
        ...Object.fromEntries(definitions)
      },
      messages,
      correlationIds: {
        envelope: {
          description:
            "The booking id for every booking-scoped event, otherwise the id of the HTTP request that caused it.",
          location: "$message.payload#/correlationId"
        }
      },
      securitySchemes: {
        amqpUserPassword: {
          type: "userPassword",
          description: "The user and password in `AMQP_URL` (guest / guest on a local development broker)."
        }
      }
    }
  }
}
