// Wakes the refund runner right after a refund is requested, instead of waiting for the next sweep.
import { Store } from "@bat/store"
import { Context, Effect, Layer } from "effect"

export interface RefundSignalShape {
  /** Asks for a refund run once the open transaction has committed; a rolled-back request wakes nothing. */
  readonly request: () => void
  readonly subscribe: (listener: () => void) => void
}

export class RefundSignal extends Context.Service<RefundSignal, RefundSignalShape>()("payments/app/RefundSignal") {
  static readonly layer = Layer.effect(
    RefundSignal,
    Effect.gen(function* () {
      const store = yield* Store
      const listeners: Array<() => void> = []
      // One action: requested several times in one transaction, the runner is woken once.
      const wake = () => {
        for (const l of listeners) l()
      }
      return RefundSignal.of({
        request: () => store.afterCommit(wake),
        subscribe: (listener) => void listeners.push(listener)
      })
    })
  )
}
