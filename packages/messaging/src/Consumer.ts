// The consumer runner: decode, inbox dedup + handler + outbox in one transaction, ack after commit,
// delayed retry for failures and parking in the DLQ (DESIGN §3).
import {
  Envelope,
  decodeEventData,
  defaultRetryDelays,
  dlqOf,
  inboxOf,
  isEventType,
  retryQueueOf,
  type EventData,
  type EventType
} from "@bat/contracts"
import type { StoreShape } from "@bat/store"
import type { Channel, ConsumeMessage, Options } from "amqplib"
import { Cause, Effect, Exit, Schema } from "effect"
import type { Broker, OutgoingMessage } from "./Broker.ts"

export interface HandlerContext {
  readonly envelope: Envelope
  /** 1 on first delivery; grows with each delayed retry. */
  readonly attempt: number
  readonly maxAttempts: number
  readonly queue: string
}

export type Handler<T extends EventType, R> = (
  data: EventData<T>,
  ctx: HandlerContext
) => Effect.Effect<unknown, unknown, R>

export type Handlers<R> = { readonly [T in EventType]?: Handler<T, R> }

export interface ConsumerOptions<R> {
  readonly service: string
  readonly store: StoreShape
  readonly broker: Broker
  readonly handlers: Handlers<R>
  /** Runs a handler's Effect synchronously (e.g. `ManagedRuntime.runSyncExit`). */
  readonly runSyncExit: (effect: Effect.Effect<unknown, unknown, R>) => Exit.Exit<unknown, unknown>
  /** Queues to consume besides `<service>.inbox`, e.g. `payments.hold-expired`. */
  readonly extraQueues?: ReadonlyArray<string>
  readonly prefetch?: number
  readonly maxBatch?: number
  readonly retryDelays?: ReadonlyArray<number>
  readonly log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void
  /** Test seam: runs after the transaction committed and before any ack. */
  readonly beforeAck?: (messageIds: ReadonlyArray<string>) => Promise<void> | void
}

interface Delivery {
  readonly msg: ConsumeMessage
  readonly channel: Channel
  readonly queue: string
}

type Outcome =
  | { readonly kind: "done" }
  | { readonly kind: "park"; readonly reason: string; readonly error: string }
  | { readonly kind: "retry"; readonly error: string }

class HandlerFailed {
  constructor(readonly error: string) {}
}

const attemptsOf = (msg: ConsumeMessage): number => {
  const n = Number(msg.properties.headers?.["x-attempts"] ?? 1)
  return Number.isInteger(n) && n >= 1 ? n : 1
}

const decodeEnvelope = Schema.decodeUnknownResult(Envelope)

export class Consumer<R> {
  private readonly buffer: Array<Delivery> = []
  private draining = false
  private readonly delays: ReadonlyArray<number>
  private readonly insertInbox
  handled = 0
  parked = 0
  retried = 0

  constructor(private readonly opts: ConsumerOptions<R>) {
    this.delays = opts.retryDelays ?? defaultRetryDelays
    this.insertInbox = opts.store.db.prepare("INSERT OR IGNORE INTO inbox (id, queue, received_at) VALUES (?, ?, ?)")
    for (const queue of [inboxOf(opts.service), ...(opts.extraQueues ?? [])]) {
      opts.broker.consume({
        queue,
        prefetch: opts.prefetch ?? 200,
        onMessage: (msg, channel) => {
          this.buffer.push({ msg, channel, queue })
          if (!this.draining) void this.drain()
        }
      })
    }
  }

  get maxAttempts(): number {
    return this.delays.length + 1
  }

  private log(level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) {
    if (this.opts.log) return this.opts.log(level, message, fields)
    const line = JSON.stringify({ level, time: new Date().toISOString(), service: this.opts.service, msg: message, ...fields })
    if (level === "error") console.error(line)
    else console.log(line)
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.opts.maxBatch ?? 100)
        await this.processBatch(batch)
      }
    } finally {
      this.draining = false
    }
  }

  private async processBatch(batch: ReadonlyArray<Delivery>): Promise<void> {
    const decoded = batch.map((d) => this.decode(d))
    const outcomes: Array<Outcome> = new Array(batch.length)
    const now = Date.now()
    try {
      this.opts.store.transactSync(() => {
        decoded.forEach((dec, i) => {
          if ("park" in dec) {
            outcomes[i] = dec.park
            return
          }
          outcomes[i] = this.applyOne(batch[i]!, dec.envelope, dec.handler, now)
        })
      })
    } catch (e) {
      // The batch transaction itself failed (e.g. disk): nothing committed, everything comes again.
      this.log("error", "consumer transaction failed; messages will be redelivered", { error: String(e) })
      this.nackAll(batch)
      return
    }
    try {
      const republish: Array<OutgoingMessage> = []
      batch.forEach((d, i) => {
        const o = outcomes[i]!
        if (o.kind === "park") republish.push(this.parkMessage(d, o.reason, o.error))
        else if (o.kind === "retry") {
          const m = this.retryMessage(d, o.error)
          if (m) republish.push(m)
          else republish.push(this.parkMessage(d, "attempts_exhausted", o.error))
        }
      })
      if (republish.length > 0) await this.opts.broker.publish(republish)
      await this.opts.beforeAck?.(batch.map((d) => String(d.msg.properties.messageId)))
      this.ackAll(batch)
      this.handled += batch.length
    } catch (e) {
      this.log("warn", "could not settle a batch; it will be redelivered", { error: String(e) })
    }
  }

  private decode(d: Delivery):
    | { envelope: Envelope; handler: Handler<EventType, R> }
    | { park: Outcome } {
    let json: unknown
    try {
      json = JSON.parse(d.msg.content.toString("utf8"))
    } catch (e) {
      return { park: { kind: "park", reason: "undecodable", error: `body is not JSON: ${(e as Error).message}` } }
    }
    const env = decodeEnvelope(json, { errors: "all" })
    if (env._tag === "Failure") {
      return { park: { kind: "park", reason: "undecodable", error: `envelope: ${env.failure.message}` } }
    }
    const type = env.success.type
    const handler = isEventType(type) ? (this.opts.handlers[type] as Handler<EventType, R> | undefined) : undefined
    if (!isEventType(type) || !handler) {
      return { park: { kind: "park", reason: "no_handler", error: `no handler for message type ${type}` } }
    }
    const data = decodeEventData(type, env.success.data)
    if (data._tag === "Failure") {
      return { park: { kind: "park", reason: "undecodable", error: `${type}: ${data.failure.message}` } }
    }
    return { envelope: { ...env.success, data: data.success }, handler }
  }

  /** One message in its own savepoint: inbox record, handler state changes and outbox rows, or none of them. */
  private applyOne(d: Delivery, envelope: Envelope, handler: Handler<EventType, R>, now: number): Outcome {
    const attempt = attemptsOf(d.msg)
    try {
      return this.opts.store.transactSync(() => {
        if (this.insertInbox.run(envelope.id, d.queue, now).changes === 0) return { kind: "done" } as const
        const ctx: HandlerContext = { envelope, attempt, maxAttempts: this.maxAttempts, queue: d.queue }
        const exit = this.opts.runSyncExit(handler(envelope.data as never, ctx))
        if (Exit.isFailure(exit)) throw new HandlerFailed(Cause.pretty(exit.cause))
        return { kind: "done" } as const
      })
    } catch (e) {
      const error = e instanceof HandlerFailed ? e.error : e instanceof Error ? `${e.name}: ${e.message}` : String(e)
      this.log("warn", "handler failed", {
        messageId: envelope.id,
        type: envelope.type,
        correlationId: envelope.correlationId,
        attempt,
        error: error.slice(0, 2_000)
      })
      return { kind: "retry", error }
    }
  }

  private properties(d: Delivery, headers: Record<string, unknown>): Options.Publish {
    const p = d.msg.properties
    return {
      persistent: true,
      contentType: p.contentType ?? "application/json",
      messageId: p.messageId,
      type: p.type,
      appId: p.appId,
      timestamp: p.timestamp,
      headers: { ...(p.headers ?? {}), ...headers }
    }
  }

  private retryMessage(d: Delivery, error: string): OutgoingMessage | undefined {
    const attempt = attemptsOf(d.msg)
    const delay = this.delays[attempt - 1]
    if (delay === undefined) return undefined
    this.retried++
    return {
      exchange: "",
      routingKey: retryQueueOf(this.opts.service, delay),
      body: d.msg.content,
      options: this.properties(d, { "x-attempts": attempt + 1, "x-last-error": error.slice(0, 1_000) })
    }
  }

  private parkMessage(d: Delivery, reason: string, error: string): OutgoingMessage {
    this.parked++
    this.log("error", "message parked in the dead-letter queue", {
      messageId: d.msg.properties.messageId,
      type: d.msg.properties.type,
      reason,
      error: error.slice(0, 2_000)
    })
    return {
      exchange: "",
      routingKey: dlqOf(this.opts.service),
      body: d.msg.content,
      options: this.properties(d, {
        "x-attempts": attemptsOf(d.msg),
        "x-park-reason": reason,
        "x-error": error.slice(0, 4_000),
        "x-original-queue": d.queue,
        "x-parked-at": new Date().toISOString()
      })
    }
  }

  private ackAll(batch: ReadonlyArray<Delivery>) {
    // Deliveries on a channel are processed in order, so acking the last one covers the rest.
    const last = new Map<Channel, ConsumeMessage>()
    for (const d of batch) last.set(d.channel, d.msg)
    for (const [ch, msg] of last) {
      try {
        ch.ack(msg, true)
      } catch {
        // The channel died with the link: the broker redelivers, the inbox makes that harmless.
      }
    }
  }

  private nackAll(batch: ReadonlyArray<Delivery>) {
    const last = new Map<Channel, ConsumeMessage>()
    for (const d of batch) last.set(d.channel, d.msg)
    for (const [ch, msg] of last) {
      try {
        ch.nack(msg, true, true)
      } catch {
        // as above
      }
    }
  }
}
