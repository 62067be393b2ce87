// Message counters of one vhost from the RabbitMQ management API, and their difference over a phase.
// The management plugin refreshes these counters every `collect_statistics_interval` (5 s by default),
// so a reading is only complete that long after the traffic stopped.
import { managementRequest } from "@bat/testing"

/** The vhost-wide counters (messages, not frames: one multiple-ack of 50 deliveries counts 50). */
export const VHOST_COUNTERS = ["publish", "confirm", "deliver", "deliver_no_ack", "ack", "redeliver", "return_unroutable", "drop_unroutable"] as const
export type VhostCounter = (typeof VHOST_COUNTERS)[number]

export interface BrokerReading {
  readonly vhost: Record<VhostCounter, number>
  /** Per queue: messages routed into it, delivered from it, acked. */
  readonly queues: Record<string, { publish: number; deliver: number; ack: number; redeliver: number }>
  /** Per exchange: messages published into it. */
  readonly exchanges: Record<string, number>
}

const getJson = async (path: string): Promise<any> => {
  const res = await managementRequest(path)
  if (!res.ok) throw new Error(`management API ${path}: HTTP ${res.status}`)
  return res.json()
}

export const readBroker = async (vhost: string): Promise<BrokerReading> => {
  const v = encodeURIComponent(vhost)
  const [info, queues, exchanges] = await Promise.all([
    getJson(`/api/vhosts/${v}`),
    getJson(`/api/queues/${v}?columns=name,message_stats`),
    getJson(`/api/exchanges/${v}?columns=name,message_stats`)
  ])
  const stats = info.message_stats ?? {}
  return {
    vhost: Object.fromEntries(VHOST_COUNTERS.map((k) => [k, Number(stats[k] ?? 0)])) as Record<VhostCounter, number>,
    queues: Object.fromEntries(
      (queues as Array<any>).map((q) => {
        const s = q.message_stats ?? {}
        return [q.name, { publish: Number(s.publish ?? 0), deliver: Number(s.deliver ?? 0), ack: Number(s.ack ?? 0), redeliver: Number(s.redeliver ?? 0) }]
      })
    ),
    exchanges: Object.fromEntries((exchanges as Array<any>).map((e) => [e.name || "(default)", Number(e.message_stats?.publish_in ?? 0)]))
  }
}

export const brokerDelta = (before: BrokerReading, after: BrokerReading): BrokerReading => ({
  vhost: Object.fromEntries(VHOST_COUNTERS.map((k) => [k, after.vhost[k] - before.vhost[k]])) as Record<VhostCounter, number>,
  queues: Object.fromEntries(
    Object.entries(after.queues).map(([name, a]) => {
      const b = before.queues[name] ?? { publish: 0, deliver: 0, ack: 0, redeliver: 0 }
      return [name, { publish: a.publish - b.publish, deliver: a.deliver - b.deliver, ack: a.ack - b.ack, redeliver: a.redeliver - b.redeliver }]
    })
  ),
  exchanges: Object.fromEntries(Object.entries(after.exchanges).map(([name, n]) => [name, n - (before.exchanges[name] ?? 0)]))
})

/** Names of the vhost's queues (names only: they are current even when the counters are not). */
export const queueNames = async (vhost: string): Promise<Array<string>> =>
  ((await getJson(`/api/queues/${encodeURIComponent(vhost)}?columns=name`)) as Array<{ name: string }>).map((q) => q.name)
