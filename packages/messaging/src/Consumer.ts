// The consumer runner: decode, inbox dedup + handler + outbox in one transaction, ack after commit,
// delayed retry for failures and parking in the DLQ (DESIGN §3).
import {
  Envelope,
  catalog,
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
import { startSpan, withTraceparent } from "@bat/telemetry"
import type { Channel, ConsumeMessage, Options } from "amqplib"
import { Cause, Effect, Exit, Schema } from "effect"
import type { Broker, OutgoingMessage } from "./Broker.ts"
import { checkUserId, PRODUCER_USER_HEADER } from "./Access.ts"
import { jsonLog } from "./log.ts"
import type { ConsumerMetrics } from "./metrics.ts"
import { withTraceparentEffect } from "./tracing.ts"

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
  /**
   * A redelivered message whose processing was begun this many times by a process that then died is
   * parked without running its handler again (default 2; with the first delivery's death, which looks
   * like any other redelivery, that is three deaths), well before a supervisor gives up (5 in 60 s).
   */
  readonly crashLimit?: number
  /** Told how each settled delivery ended (metrics). */
  readonly metrics?: ConsumerMetrics
  /**
   * The broker user this consumer runs as, and whether it is the service's own (least privilege):
   * decides which validated user-ids are accepted (`checkUserId`). Default: the broker's user, own
   * when it is `bookaticket-<service>`.
   */
  readonly identity?: { readonly user: string; readonly ownUser: boolean }
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

/** The type label of a delivery: a known event type, else `unknown` (so garbage cannot grow the label set). */
const typeOf = (msg: ConsumeMessage): string => {
  const t = msg.properties.type
  return typeof t === "string" && isEventType(t) ? t : "unknown"
}

/** Headers carried over to a retry or a park: only what the runner and a trace need, each size-bounded. */
const carriedHeaders = (msg: ConsumeMessage): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const k of ["traceparent", "tracestate", "x-replayed-at"]) {
    const v = msg.properties.headers?.[k]
    if (typeof v === "string" && v.length <= 512) out[k] = v
  }
  return out
}

/**
 * The validated user-id a delivery first arrived with: its own user-id, or, on a message this consumer
 * republished itself (retry, parking, replay), the one it recorded then.
 */
const firstUserOf = (msg: ConsumeMessage, self: string): string | undefined => {
  const userId = msg.properties.userId as unknown
  if (userId === self) {
    const recorded = msg.properties.headers?.[PRODUCER_USER_HEADER]
    return typeof recorded === "string" ? recorded.slice(0, 256) : self
  }
  return typeof userId === "string" ? userId.slice(0, 256) : undefined
}

export class Consumer<R> {
  private readonly buffer: Array<Delivery> = []
  /** Delivery tags received and not yet settled, per channel (a closed channel's set goes with it). */
  private readonly unsettled = new WeakMap<Channel, Set<number>>()
  private draining = false
  private readonly delays: ReadonlyArray<number>
  private readonly insertInbox
  private readonly beginAttempt
  private readonly endAttempt
  handled = 0
  parked = 0
  retried = 0
  private readonly identity: { readonly user: string; readonly ownUser: boolean }

  constructor(private readonly opts: ConsumerOptions<R>) {
    this.delays = opts.retryDelays ?? defaultRetryDelays
    this.identity = opts.identity ?? { user: opts.broker.user, ownUser: opts.broker.user === `bookaticket-${opts.service}` }
    const db = opts.store.db
    this.insertInbox = db.prepare("INSERT OR IGNORE INTO inbox (id, queue, received_at) VALUES (?, ?, ?)")
    this.beginAttempt = db.prepare(
      `INSERT INTO inbox_attempts (id, queue, crashes, last_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (id) DO UPDATE SET crashes = crashes + 1, last_at = excluded.last_at RETURNING crashes`
    )
    this.endAttempt = db.prepare("DELETE FROM inbox_attempts WHERE id = ?")
    for (const queue of [inboxOf(opts.service), ...(opts.extraQueues ?? [])]) {
      opts.broker.consume({
        queue,
        prefetch: opts.prefetch ?? 200,
        onMessage: (msg, channel) => {
          let pending = this.unsettled.get(channel)
          if (pending === undefined) this.unsettled.set(channel, (pending = new Set()))
          pending.add(msg.fields.deliveryTag)
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
    ;(this.opts.log ?? ((l, m, f) => jsonLog(this.opts.service, l, m, f)))(level, message, fields)
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.buffer.length > 0) {
        // A redelivered message is applied alone, so a message that kills the process is told apart from its neighbours.
        const max = this.opts.maxBatch ?? 100
        let n = 1
        if (!this.buffer[0]!.msg.fields.redelivered) {
          while (n < max && n < this.buffer.length && !this.buffer[n]!.msg.fields.redelivered) n++
        }
        await this.processBatch(this.buffer.splice(0, n))
      }
    } finally {
      this.draining = false
    }
  }

  /**
   * Records that processing of a redelivered message begins; the row is deleted in the batch's
   * transaction, so it outlives only a process that died while applying the message.
   * Returns how many earlier attempts died that way.
   */
  private crashesBefore(d: Delivery, now: number): number {
    const id = d.msg.properties.messageId
    if (!d.msg.fields.redelivered || typeof id !== "string") return 0
    try {
      return (this.beginAttempt.get(id, d.queue, now) as { crashes: number }).crashes
    } catch {
      return 0
    }
  }

  private async processBatch(batch: ReadonlyArray<Delivery>): Promise<void> {
    const now = Date.now()
    const crashLimit = this.opts.crashLimit ?? 2
    const decoded = batch.map((d) => {
      const crashes = this.crashesBefore(d, now)
      if (crashes >= crashLimit) {
        return {
          park: {
            kind: "park",
            reason: "consumer_crashed",
            error: `the consumer process died ${crashes + 1} times while applying this message`
          } as Outcome
        }
      }
      return this.decode(d)
    })
    const outcomes: Array<Outcome> = new Array(batch.length)
    try {
      this.opts.store.transactSync(() => {
        decoded.forEach((dec, i) => {
          const d = batch[i]!
          if (d.msg.fields.redelivered && typeof d.msg.properties.messageId === "string") {
            this.endAttempt.run(d.msg.properties.messageId)
          }
          if ("park" in dec) {
            outcomes[i] = dec.park
            return
          }
          outcomes[i] = this.applyOne(d, dec.envelope, dec.handler, now)
        })
      })
    } catch (e) {
      // The batch transaction itself failed (e.g. disk): nothing committed, everything goes back to the queue.
      this.log("error", "consumer transaction failed; returning the batch to the queue", { error: String(e) })
      for (const d of batch) this.settle(d, "requeue")
      return
    }
    const republish: Array<{ readonly index: number; readonly message: OutgoingMessage; readonly park?: { reason: string; error: string } }> = []
    batch.forEach((d, index) => {
      const o = outcomes[index]!
      if (o.kind === "park") republish.push({ index, message: this.parkMessage(d, o.reason, o.error), park: o })
      else if (o.kind === "retry") {
        const m = this.retryMessage(d, o.error)
        if (m) republish.push({ index, message: m })
        else {
          const park = { reason: "attempts_exhausted", error: o.error }
          republish.push({ index, message: this.parkMessage(d, park.reason, park.error), park })
        }
      }
    })
    let requeue = new Set<number>()
    if (republish.length > 0) {
      try {
        await this.opts.broker.publish(republish.map((r) => r.message))
        for (const r of republish) {
          const d = batch[r.index]!
          this.opts.metrics?.consumed(typeOf(d.msg), r.park ? "parked" : "retried")
          if (!r.park) {
            this.retried++
            continue
          }
          this.parked++
          this.log("error", "message parked in the dead-letter queue", {
            messageId: d.msg.properties.messageId,
            type: d.msg.properties.type,
            reason: r.park.reason,
            error: r.park.error.slice(0, 2_000)
          })
        }
      } catch (e) {
        // Neither the retry nor the park is known to be in place: those deliveries go back to the queue now
        // (their inbox rows were rolled back with their savepoints, so they are applied again).
        requeue = new Set(republish.map((r) => r.index))
        this.log("warn", "could not publish a batch's retries or parkings; returning those messages to the queue", {
          messages: requeue.size,
          error: String(e)
        })
      }
    }
    try {
      await this.opts.beforeAck?.(batch.map((d) => String(d.msg.properties.messageId)))
    } catch (e) {
      this.log("warn", "before-ack hook failed", { error: String(e) })
    }
    this.settleBatch(batch, requeue)
    this.handled += batch.length - requeue.size
    const metrics = this.opts.metrics
    if (metrics) {
      outcomes.forEach((o, i) => {
        if (o.kind === "done" && !requeue.has(i)) metrics.consumed(typeOf(batch[i]!.msg), "done")
      })
    }
    // A consumer that began cautiously widens its prefetch once a fresh (not redelivered) message went through.
    const fresh = new Set<Channel>()
    batch.forEach((d, i) => {
      if (!d.msg.fields.redelivered && !requeue.has(i)) fresh.add(d.channel)
    })
    for (const ch of fresh) void this.opts.broker.widen(ch)
  }

  /**
   * Requeues the deliveries in `requeue`, then acks the rest. One `ack(multiple)` per channel only when
   * every delivery it would cover is acked by this batch; otherwise each delivery on its own, so an
   * unsettled delivery is never covered by accident.
   */
  private settleBatch(batch: ReadonlyArray<Delivery>, requeue: ReadonlySet<number>) {
    const acks = new Map<Channel, Array<Delivery>>()
    batch.forEach((d, i) => {
      if (requeue.has(i)) return this.settle(d, "requeue")
      let list = acks.get(d.channel)
      if (list === undefined) acks.set(d.channel, (list = []))
      list.push(d)
    })
    for (const [channel, deliveries] of acks) {
      const pending = this.unsettled.get(channel)
      const tags = new Set(deliveries.map((d) => d.msg.fields.deliveryTag))
      const last = deliveries.reduce((a, b) => (b.msg.fields.deliveryTag > a.msg.fields.deliveryTag ? b : a))
      const lastTag = last.msg.fields.deliveryTag
      const coversOnlyThese = pending !== undefined && [...pending].every((t) => t > lastTag || tags.has(t))
      if (deliveries.length > 1 && coversOnlyThese) {
        try {
          channel.ack(last.msg, true)
        } catch {
          // The channel died with the link: the broker redelivers, and the inbox makes that harmless.
        }
        for (const t of tags) pending.delete(t)
      } else {
        for (const d of deliveries) this.settle(d, "ack")
      }
    }
  }

  /** Settles exactly this delivery. */
  private settle(d: Delivery, how: "ack" | "requeue") {
    this.unsettled.get(d.channel)?.delete(d.msg.fields.deliveryTag)
    try {
      if (how === "ack") d.channel.ack(d.msg)
      else d.channel.nack(d.msg, false, true)
    } catch {
      // The channel died with the link: the broker redelivers, and the inbox makes that harmless.
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
    if (env.success.source !== catalog[type].producer) {
      return {
        park: {
          kind: "park",
          reason: "wrong_producer",
          error: `${type} is published by ${catalog[type].producer}, but the envelope's source is ${env.success.source}`
        }
      }
    }
    // The broker validated the user-id against the publishing connection: it names who published (DESIGN §17).
    const user = checkUserId(type, d.msg.properties.userId, d.msg.properties.headers, this.identity)
    if (!user.ok) return { park: { kind: "park", reason: "wrong_user_id", error: user.error } }
    const data = decodeEventData(type, env.success.data)
    if (data._tag === "Failure") {
      return { park: { kind: "park", reason: "undecodable", error: `${type}: ${data.failure.message}` } }
    }
    return { envelope: { ...env.success, data: data.success }, handler }
  }

  /**
   * One message in its own savepoint: inbox record, handler state changes and outbox rows, or none of them.
   * The handler runs in a consumer span whose parent is the message's `traceparent`, so what it emits
   * continues the trace (with tracing off, the incoming context is passed on as it is).
   */
  private applyOne(d: Delivery, envelope: Envelope, handler: Handler<EventType, R>, now: number): Outcome {
    const attempt = attemptsOf(d.msg)
    const incoming = carriedHeaders(d.msg).traceparent as string | undefined
    const span = startSpan(`process ${envelope.type}`, {
      parent: incoming,
      kind: "consumer",
      attributes: {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": d.queue,
        "messaging.message.id": envelope.id,
        "messaging.message.conversation_id": envelope.correlationId,
        "bookaticket.service": this.opts.service,
        "bookaticket.event.type": envelope.type,
        "bookaticket.attempt": attempt
      }
    })
    const traceparent = span?.traceparent ?? incoming
    try {
      return this.opts.store.transactSync(() => {
        if (this.insertInbox.run(envelope.id, d.queue, now).changes === 0) {
          span?.setAttributes({ "bookaticket.duplicate": true })
          return { kind: "done" } as const
        }
        const ctx: HandlerContext = { envelope, attempt, maxAttempts: this.maxAttempts, queue: d.queue }
        const effect = withTraceparentEffect(handler(envelope.data as never, ctx), traceparent)
        const exit = withTraceparent(traceparent, () => this.opts.runSyncExit(effect))
        if (Exit.isFailure(exit)) throw new HandlerFailed(Cause.pretty(exit.cause))
        return { kind: "done" } as const
      })
    } catch (e) {
      const error = e instanceof HandlerFailed ? e.error : e instanceof Error ? `${e.name}: ${e.message}` : String(e)
      span?.fail(error.split("\n")[0] ?? "handler failed")
      this.log("warn", "handler failed", {
        messageId: envelope.id,
        type: envelope.type,
        correlationId: envelope.correlationId,
        attempt,
        error: error.slice(0, 2_000)
      })
      return { kind: "retry", error }
    } finally {
      span?.end()
    }
  }

  private properties(d: Delivery, headers: Record<string, unknown>): Options.Publish {
    const p = d.msg.properties
    // Republished under this consumer's own user-id: the one it first arrived with goes along.
    const first = firstUserOf(d.msg, this.identity.user)
    return {
      persistent: true,
      contentType: p.contentType ?? "application/json",
      messageId: p.messageId,
      type: p.type,
      appId: p.appId,
      timestamp: p.timestamp,
      headers: { ...carriedHeaders(d.msg), ...(first !== undefined ? { [PRODUCER_USER_HEADER]: first } : {}), ...headers }
    }
  }

  private retryMessage(d: Delivery, error: string): OutgoingMessage | undefined {
    const attempt = attemptsOf(d.msg)
    const delay = this.delays[attempt - 1]
    if (delay === undefined) return undefined
    return {
      exchange: "",
      routingKey: retryQueueOf(this.opts.service, delay),
      body: d.msg.content,
      options: this.properties(d, { "x-attempts": attempt + 1, "x-last-error": error.slice(0, 1_000) })
    }
  }

  private parkMessage(d: Delivery, reason: string, error: string): OutgoingMessage {
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
}
