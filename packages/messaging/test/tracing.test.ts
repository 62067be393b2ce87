import { describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { withTraceparent } from "@bat/telemetry"
import { Effect } from "effect"
import { eventMessage, withTraceparentEffect } from "../src/index.ts"

const tp = (n: number) => `00-${n.toString(16).padStart(32, "0")}-${"1".repeat(16)}-01`

const emitAfterYields = Effect.gen(function* () {
  // Rescheduled several times, interleaved with the other fibers, before the row is written.
  for (let i = 0; i < 5; i++) {
    yield* Effect.yieldNow
    yield* Effect.sleep(1)
  }
  return eventMessage("cinemas", "CinemaDeleted", { cinemaId: newId() } as never, { correlationId: newId(), causationId: null })
})

describe("outbox rows carry the trace context of the work that wrote them", () => {
  test("each of many interleaved programs writes its own traceparent, whatever the scheduler did", async () => {
    const rows = await Promise.all(
      Array.from({ length: 50 }, (_, i) => Effect.runPromise(withTraceparentEffect(emitAfterYields, tp(i + 1))))
    )
    expect(rows.map((r) => r.headers?.traceparent)).toEqual(Array.from({ length: 50 }, (_, i) => tp(i + 1)))
  })

  test("outside a program, the caller's context is used; with none, the row has no headers", () => {
    const msg = () => eventMessage("cinemas", "CinemaDeleted", { cinemaId: newId() } as never, { correlationId: newId(), causationId: null })
    expect(withTraceparent(tp(7), msg).headers).toEqual({ traceparent: tp(7) })
    expect(msg().headers).toBeUndefined()
  })
})
