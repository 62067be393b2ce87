// Lists and replays messages parked in a service's dead-letter queue.
import { dlqOf, holdExpiredQueue, inboxOf, type OpsApi } from "@bat/contracts"
import type { GetMessage } from "amqplib"
import { PRODUCER_USER_HEADER } from "./Access.ts"
import type { Broker } from "./Broker.ts"

/** One schema of a parked message, in packages/contracts (the DLQ route lists it). */
export type ParkedMessage = OpsApi.ParkedMessage

/** Headers the broker adds when it dead-letters a message itself (delivery limit reached). */
const brokerDeathHeaders = ["x-death", "x-first-death-reason", "x-first-death-queue", "x-first-death-exchange", "x-delivery-count"]

const describe = (m: GetMessage): ParkedMessage => {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>
  // Parked by the consumer (x-park-reason), or dead-lettered by the broker after the delivery limit.
  const byBroker = h["x-park-reason"] === undefined && h["x-first-death-reason"] !== undefined
  return {
    messageId: String(m.properties.messageId ?? ""),
    type: String(m.properties.type ?? ""),
    reason: String(h["x-park-reason"] ?? h["x-first-death-reason"] ?? ""),
    error: byBroker
      ? `the broker dead-lettered it (${String(h["x-first-death-reason"])}): delivered too many times without being settled`
      : String(h["x-error"] ?? ""),
    attempts: Number(h["x-attempts"] ?? h["x-delivery-count"] ?? 1),
    originalQueue: String(h["x-original-queue"] ?? h["x-first-death-queue"] ?? ""),
    parkedAt: String(h["x-parked-at"] ?? ""),
    body: m.content.toString("utf8").slice(0, 4_000)
  }
}

/**
 * Where a replay sends a parked message: back to the queue it was parked from, when that is one this service
 * consumes, else its inbox. The headers naming that queue are whatever the DLQ holds — and any service may write
 * the DLQ through the default exchange —, so they never pick another service's queue, where this service's
 * user-id would make the message look like one of its own events.
 */
const replayQueueOf = (service: string, headers: Readonly<Record<string, unknown>>): string => {
  const own = service === "payments" ? [inboxOf(service), holdExpiredQueue] : [inboxOf(service)]
  const named = String(headers["x-original-queue"] ?? headers["x-first-death-queue"] ?? "")
  return own.includes(named) ? named : inboxOf(service)
}

/** Peeks at up to `limit` parked messages; they stay in the queue. */
export const listParked = (broker: Broker, service: string, limit = 50): Promise<Array<ParkedMessage>> =>
  broker.withOwnConnection(async (ch) => {
    const out: Array<ParkedMessage> = []
    while (out.length < limit) {
      const m = await ch.get(dlqOf(service), { noAck: false })
      if (!m) break
      out.push(describe(m))
    }
    return out // closing the channel returns every message to the queue
  })

/** Number of messages waiting in the DLQ (a non-empty DLQ makes the service report degraded). */
export const parkedCount = (broker: Broker, service: string): Promise<number> =>
  broker.withChannel(async (ch) => (await ch.checkQueue(dlqOf(service))).messageCount)

/**
 * Sends parked messages back to the service's inbox with a fresh attempt count, keeping their ids
 * (so a message that did take effect meanwhile is still deduplicated). All of them, or those in `ids`.
 */
export const replayParked = (broker: Broker, service: string, ids?: ReadonlyArray<string>): Promise<number> =>
  broker.withOwnConnection(async (ch) => {
    const wanted = ids ? new Set(ids) : undefined
    let replayed = 0
    const seen = await ch.checkQueue(dlqOf(service))
    for (let i = 0; i < seen.messageCount; i++) {
      const m = await ch.get(dlqOf(service), { noAck: false })
      if (!m) break
      if (wanted && !wanted.has(String(m.properties.messageId))) continue // returned when the channel closes
      const headers = { ...(m.properties.headers ?? {}) } as Record<string, unknown>
      for (const k of ["x-attempts", "x-park-reason", "x-error", "x-parked-at", "x-last-error", ...brokerDeathHeaders]) delete headers[k]
      headers["x-replayed-at"] = new Date().toISOString()
      // Replayed under the service's own user-id: the consumer then checks the user-id the message first
      // arrived with, never the replay's (a message someone else wrote into the DLQ stays refused).
      // A message that came without a user-id is recorded as such (an empty one), so that it cannot pass for
      // one this service published itself.
      const userId = m.properties.userId as unknown
      if (userId !== broker.user) headers[PRODUCER_USER_HEADER] = typeof userId === "string" ? userId : ""
      await broker.publish([
        {
          exchange: "",
          routingKey: replayQueueOf(service, m.properties.headers ?? {}),
          body: m.content,
          options: {
            persistent: true,
            contentType: m.properties.contentType ?? "application/json",
            messageId: m.properties.messageId,
            type: m.properties.type,
            headers
          }
        }
      ])
      ch.ack(m)
      replayed++
    }
    return replayed
  })
