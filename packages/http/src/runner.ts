// Runs Effect programs from route handlers through the process's one ManagedRuntime.
import { withTraceparentEffect } from "@bat/messaging"
import { currentTraceparent } from "@bat/telemetry"
import { Cause, Exit, Option, Result, type Effect, type ManagedRuntime } from "effect"
import { HttpProblem, problemFromTable, type ProblemTable } from "./HttpProblem.ts"

/** A failure no table maps: onError logs its cause and answers 500. */
export class UnexpectedFailure extends Error {
  override readonly name = "UnexpectedFailure"
  constructor(readonly failure: Cause.Cause<unknown>) {
    super("Unexpected failure")
  }
  pretty(): string {
    return Cause.pretty(this.failure)
  }
}

export type Runner<R> = <A, E>(effect: Effect.Effect<A, E, R>) => Promise<A>

/**
 * `run(effect)` resolves with the value, or rejects with an `HttpProblem` for a failure
 * the table maps (or an `HttpProblem` failure itself), else with `UnexpectedFailure`.
 */
export const makeRunner =
  <R, ER>(runtime: ManagedRuntime.ManagedRuntime<R, ER>, problems: ProblemTable = {}): Runner<R> =>
  async (effect) => {
    // The request's trace context goes into the fiber: events it writes to the outbox carry it.
    const exit = await runtime.runPromiseExit(withTraceparentEffect(effect, currentTraceparent()))
    if (Exit.isSuccess(exit)) return exit.value
    const error = Cause.findErrorOption(exit.cause)
    // An HttpProblem thrown inside a synchronous step surfaces as a defect: it is still a 4xx.
    const defect = Cause.findDefect(exit.cause)
    if (Result.isSuccess(defect) && defect.success instanceof HttpProblem) throw defect.success
    const problem = Option.isSome(error) ? problemFromTable(error.value, problems) : undefined
    throw problem ?? new UnexpectedFailure(exit.cause)
  }

