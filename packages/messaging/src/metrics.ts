// What the messaging layer reports for metrics, without depending on a metrics library: the process
// wiring (packages/http) turns these calls into Prometheus counters.

/** How a consumed message ended: applied (or a duplicate), sent to a retry queue, or parked in the DLQ. */
export type ConsumeOutcome = "done" | "retried" | "parked"

export interface ConsumerMetrics {
  /** Called once per settled delivery; `type` is the event type, or `unknown` for a message that names none we know. */
  readonly consumed: (type: string, outcome: ConsumeOutcome) => void
}
