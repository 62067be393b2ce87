// The background sweeper: expires overdue holds, settles stuck charges and retries refunds,
// on an interval and, for refunds, right after one is requested. One run at a time.
import { Cause, Effect, Exit, type ManagedRuntime } from "effect"
import type { StoreError } from "@bat/store"
import { Payments, type SweepReport } from "./Payments.ts"
import { RefundSignal } from "./RefundSignal.ts"

export interface SweeperOptions {
  /** 0 disables the periodic sweep (refund requests still run at once). */
  readonly intervalMs: number
  readonly log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void
}

export const startSweeper = (
  runtime: ManagedRuntime.ManagedRuntime<Payments | RefundSignal, never>,
  opts: SweeperOptions
): (() => void) => {
  let stopped = false
  let busy = false
  let wantSweep = false
  let wantRefunds = false
  const pump = async () => {
    if (busy || stopped) return
    busy = true
    try {
      while (!stopped && (wantSweep || wantRefunds)) {
        const full = wantSweep
        wantSweep = false
        wantRefunds = false
        const exit = await runtime.runPromiseExit(
          Payments.use((p): Effect.Effect<SweepReport, StoreError> =>
            full ? p.sweep() : Effect.map(p.runRefunds(), (refunded) => ({ expired: 0, settled: 0, refunded }))
          )
        )
        if (stopped) break
        if (Exit.isFailure(exit)) opts.log("error", "sweep failed", { error: Cause.pretty(exit.cause).slice(0, 2_000) })
        else if (exit.value.expired + exit.value.settled + exit.value.refunded > 0) opts.log("info", "sweep", { ...exit.value })
      }
    } finally {
      busy = false
    }
  }
  runtime.runSync(
    RefundSignal.use((s) =>
      Effect.sync(() =>
        s.subscribe(() => {
          wantRefunds = true
          void pump()
        })
      )
    )
  )
  const timer =
    opts.intervalMs > 0
      ? setInterval(() => {
          wantSweep = true
          void pump()
        }, opts.intervalMs)
      : undefined
  if (opts.intervalMs > 0) {
    // Catch up at once after a restart.
    wantSweep = true
    void pump()
  }
  return () => {
    stopped = true
    if (timer) clearInterval(timer)
  }
}
