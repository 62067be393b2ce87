// Wakes the refund runner right after a refund is requested, instead of waiting for the next sweep.
import { Context, Layer } from "effect"

export interface RefundSignalShape {
  /** Asks for a refund run once the current (synchronous) transaction has finished. */
  readonly request: () => void
  readonly subscribe: (listener: () => void) => void
}

export class RefundSignal extends Context.Service<RefundSignal, RefundSignalShape>()("payments/app/RefundSignal") {
  static readonly layer = Layer.sync(RefundSignal, (): RefundSignalShape => {
    const listeners: Array<() => void> = []
    let scheduled = false
    return {
      request: () => {
        if (scheduled) return
        scheduled = true
        // A macrotask: the caller's transaction commits (or rolls back) before the runner looks.
        setTimeout(() => {
          scheduled = false
          for (const l of listeners) l()
        }, 0)
      },
      subscribe: (listener) => void listeners.push(listener)
    }
  })
}
