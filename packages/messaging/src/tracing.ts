// Trace context inside Effect programs: the `traceparent` a request or a message handler runs under is
// provided to its fiber, so an outbox row written anywhere in it (even after the fiber was rescheduled)
// records the right one. Outside a fiber the caller's async context (@bat/telemetry) is used.
import { currentTraceparent, startSpan } from "@bat/telemetry"
import { Cause, Context, Effect, Exit, Fiber } from "effect"

type Attributes = Readonly<Record<string, string | number | boolean>>

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

/**
 * Runs `effect` in a span that continues `parent` (a trace begun elsewhere: the booking's, for a later
 * request about it), linked to the trace the caller runs in; without `parent`, a child of the caller's.
 * What it emits carries the new span's context. With tracing off, `effect` runs unchanged.
 */
export const inSpan = <A, E, R>(
  name: string,
  parent: string | undefined,
  effect: Effect.Effect<A, E, R>,
  attributes?: Attributes
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const caller = traceparentNow()
    const span = startSpan(name, {
      parent: parent ?? caller,
      ...(parent !== undefined && caller !== undefined && caller !== parent ? { links: [caller] } : {}),
      ...(attributes ? { attributes } : {})
    })
    if (span === undefined) return effect
    return withTraceparentEffect(effect, span.traceparent).pipe(
      Effect.onExit((exit) =>
        Effect.sync(() => {
          if (Exit.isFailure(exit)) span.fail(Cause.pretty(exit.cause).split("\n")[0] ?? "failed")
          span.end()
        })
      )
    )
  })
