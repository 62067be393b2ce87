// Builds outbox rows for events and hold timers, and relays them to the broker in order with confirms.
import {
  exchangeOf,
  holdQueueOf,
  makeEnvelope,
  subscriptions,
  type EnvelopeMeta,
  type EventPayload,
  type EventType
} from "@bat/contracts"
import type { OutboxMessage, StoreShape } from "@bat/store"
import type { Broker, OutgoingMessage } from "./Broker.ts"
import { traceparentNow } from "./tracing.ts"
import { jsonLog } from "./log.ts"

/** The row's AMQP headers: the trace context of the work that wrote it, published as `traceparent`. */
const traceHeaders = (): { headers?: Record<string, unknown> } => {
  const traceparent = traceparentNow()
  return traceparent === undefined ? {} : { headers: { traceparent } }
}

/** An event of `producer` as an outbox row; write it in the same transaction as the state it reports. */
export const eventMessage = <T extends EventType>(
  producer: string,
  type: T,
  data: EventPayload<T>,
  meta: Omit<EnvelopeMeta, "source">
): OutboxMessage => {
  const env = makeEnvelope(type, data, { ...meta, source: producer })
  return { id: env.id, exchange: exchangeOf(producer), routingKey: type, type, body: JSON.stringify(env), ...traceHeaders() }
}

/** A hold-timer message: sent to the TTL queue, it comes back through `payments.hold-expired`. */
export const holdTimerMessage = (
  ttlMs: number,
  data: EventPayload<"HoldTimerElapsed">,
  meta: Omit<EnvelopeMeta, "source">
): OutboxMessage => {
  const env = makeEnvelope("HoldTimerElapsed", data, { ...meta, source: "payments" })
  return { id: env.id, exchange: "", routingKey: holdQueueOf(ttlMs), type: env.type, body: JSON.stringify(env), ...traceHeaders() }
}

interface OutboxRow {
  seq: number
  id: string
  exchange: string
  routing_key: string
  type: string
  body: string
  headers: string | null
  created_at: number
}

/** Event types some service consumes: publishing one that no queue receives is a fault worth an error. */
const consumedTypes: ReadonlySet<string> = new Set(Object.values(subscriptions).flat())

export const toOutgoing = (row: OutboxRow, appId: string): OutgoingMessage => ({
  exchange: row.exchange,
  routingKey: row.routing_key,
  body: row.body,
  options: {
    // Events nobody subscribes to (UserLoggedIn, PaymentAttempted) are published for operators and
    // later consumers; they are not mandatory, so a returned message always means a broken route.
    mandatory: row.exchange === "" || consumedTypes.has(row.routing_key),
    persistent: true,
    contentType: "application/json",
    messageId: row.id,
    type: row.type,
    appId,
    timestamp: Math.floor(row.created_at / 1000),
    headers: row.headers ? JSON.parse(row.headers) : {}
  }
})

/** The pause after a batch the broker did not confirm: 200 ms, doubling while it keeps failing, at most 5 s. */
const RETRY_MIN_MS = 200
const RETRY_MAX_MS = 5_000
/** After this many unconfirmed batches in a row the publisher channel is replaced by a fresh one. */
const RECYCLE_AFTER_FAILURES = 3

export interface RelayOptions {
  readonly service: string
  readonly batchSize?: number
  /** Fallback poll interval when no commit wakes the relay. */
  readonly pollMs?: number
}

/**
 * Publishes unsent outbox rows oldest first; marks them sent only after the broker confirmed them.
 * While the broker is away rows stay put and are sent, in order, once it is back.
 */
export class OutboxRelay {
  private stopped = false
  private wakeUp: (() => void) | undefined
  private pending = false
  private loop: Promise<void> | undefined
  private stopWaiting: (() => void) | undefined
  /** Batches in a row the broker did not confirm. */
  private failures = 0
  private lastFailureLog = 0
  published = 0

  constructor(
    private readonly store: StoreShape,
    private readonly broker: Broker,
    private readonly opts: RelayOptions
  ) {
    store.onOutboxCommit(() => this.wake())
  }

  wake(): void {
    this.pending = true
    this.wakeUp?.()
  }

  start(): void {
    this.loop ??= this.run()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wakeUp?.()
    this.stopWaiting?.()
    await this.loop
  }

  /** Rows not yet confirmed by the broker. */
  backlog(): number {
    return (this.store.db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n
  }

  /** Age in ms of the oldest row not yet confirmed by the broker (0 when none). */
  oldestUnsentAgeMs(now = Date.now()): number {
    const row = this.store.db.prepare("SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT 1").get() as
      | { created_at: number }
      | undefined
    return row ? Math.max(0, now - row.created_at) : 0
  }

  private async run(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500
    const select = this.store.db.prepare(
      "SELECT seq, id, exchange, routing_key, type, body, headers, created_at FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?"
    )
    const markSent = this.store.db.prepare("UPDATE outbox SET sent_at = ? WHERE sent_at IS NULL AND seq <= ?")
    while (!this.stopped) {
      this.pending = false
      const rows = select.all(batchSize) as Array<OutboxRow>
      if (rows.length === 0) {
        await this.idle(this.opts.pollMs ?? 1_000)
        continue
      }
      if (!this.broker.canPublish) {
        await Promise.race([this.broker.whenConnected(), this.idle(this.opts.pollMs ?? 1_000)])
        continue
      }
      try {
        await this.broker.publish(rows.map((r) => toOutgoing(r, this.opts.service)))
        markSent.run(Date.now(), rows[rows.length - 1]!.seq)
        this.published += rows.length
        if (this.failures > 0) {
          jsonLog(this.opts.service, "info", "outbox relay publishing again", { failedAttempts: this.failures })
          this.failures = 0
        }
      } catch (error) {
        // Not confirmed: the same rows go again, in order (consumers dedupe) — after a pause that new
        // commits do not cut short, growing while the broker keeps refusing, so a refusal that lasts
        // (a queue without its leader, a nack) is not answered by resending the batch back to back.
        this.failures++
        const now = Date.now()
        if (this.failures === 1 || now - this.lastFailureLog >= 10_000) {
          this.lastFailureLog = now
          jsonLog(this.opts.service, "warn", "outbox relay: batch not confirmed, sending it again", {
            rows: rows.length,
            failedAttempts: this.failures,
            error: error instanceof Error ? error.message : String(error)
          })
        }
        // Nacked again and again on the same channel: try a fresh one (a no-op when the link is down).
        if (this.failures % RECYCLE_AFTER_FAILURES === 0) this.broker.recyclePublisher(`${this.failures} batches in a row not confirmed`)
        await this.pause(Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS))
      }
    }
  }

  /** Waits `ms` (or until stopped), whatever commits happen meanwhile. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      this.stopWaiting = () => {
        clearTimeout(t)
        resolve()
      }
    })
  }

  private idle(ms: number): Promise<void> {
    if (this.pending || this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        done()
      }
    })
  }
}
