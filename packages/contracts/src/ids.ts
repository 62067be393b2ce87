// Where a service's new ids come from: one service, so use cases mint none themselves and tests can fix them.
import { Context, Layer } from "effect"
import { newId } from "./primitives.ts"

export interface IdsShape {
  /** A new id (a time-ordered UUIDv7 in production). */
  readonly next: () => string
}

export class Ids extends Context.Service<Ids, IdsShape>()("contracts/Ids") {
  /** Fresh UUIDv7s. Every booted service has this one unless its layer provides another. */
  static readonly layer = Layer.succeed(Ids, Ids.of({ next: newId }))
  /**
   * Deterministic ids for tests: valid UUIDv7s `0000…-7000-8000-<n>`, increasing from `start`, so a test can
   * name the id a use case will mint before it runs.
   */
  static readonly sequence = (start = 1): IdsShape => {
    let n = start
    return { next: () => sequentialId(n++) }
  }
  static readonly sequenceLayer = (start = 1) => Layer.succeed(Ids, Ids.of(Ids.sequence(start)))
}

/** The `n`th id of `Ids.sequence`. */
export const sequentialId = (n: number): string =>
  `00000000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`
