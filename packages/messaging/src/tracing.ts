// Trace context inside Effect programs: the `traceparent` a request or a message handler runs under is
// provided to its fiber, so an outbox row written anywhere in it (even after the fiber was rescheduled)
// records the right one. Outside a fiber the caller's async context (@bat/telemetry) is used.
import { currentTraceparent } from "@bat/telemetry"
import { Context, Effect, Fiber } from "effect"

/** The traceparent of the span the running program belongs to. */
export const Traceparent = Context.Service<string>("messaging/Traceparent")

/** Runs `effect` under `traceparent` (unchanged when undefined). */
export const withTraceparentEffect = <A, E, R>(effect: Effect.Effect<A, E, R>, traceparent: string | undefined): Effect.Effect<A, E, R> =>
  traceparent === undefined ? effect : Effect.provideService(effect, Traceparent, traceparent)

/** The trace context an outbox row written now belongs to: the running fiber's, else the caller's, else none. */
export const traceparentNow = (): string | undefined => {
  const fiber = Fiber.getCurrent()
  const fromFiber = fiber === undefined ? undefined : Context.getOrUndefined(fiber.context, Traceparent)
  return fromFiber ?? currentTraceparent()
}
