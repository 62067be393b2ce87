// Domain counters move only with a commit: a decision whose unit of work rolls back after the state change
// leaves booking_decisions_total as it was (and its booking pending); the same decision committed counts once.
import { metricsRegistry } from "@bat/http"
import { Store, makeStore, openDatabase } from "@bat/store"
import { describe, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BookingSettings, Ids } from "../src/app/BookingSettings.ts"
import { Lifecycle } from "../src/app/handle.ts"
import { TicketCodes } from "../src/app/TicketCodes.ts"
import { BookingRepo } from "../src/store/BookingRepo.ts"
import { migrations } from "../src/store/migrations.ts"

const reservedCount = async (): Promise<number> => {
  const metric = metricsRegistry().getSingleMetric("bookaticket_booking_decisions_total")
  if (metric === undefined) return 0
  const { values } = await metric.get()
  return values.filter((v) => v.labels.outcome === "reserved").reduce((n, v) => n + v.value, 0)
}

const setup = () => {
  const db = openDatabase({ service: "booking", file: join(mkdtempSync(join(tmpdir(), "bat-aftercommit-")), "booking.db"), migrations })
  const store = makeStore(db)
  let n = 0
  const layer = Lifecycle.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        BookingRepo.layer,
        Layer.succeed(BookingSettings, { holdTtlMs: 900_000, maxSeatsPerUser: 10, unknownScreeningAttempts: 4, cancelCutoffMinutes: 60, checkinOpensMinutes: 60 }),
        Layer.succeed(Ids, Ids.of({ next: () => `0190f0a0-0000-7000-8000-${String(++n).padStart(12, "0")}` })),
        Layer.succeed(TicketCodes, TicketCodes.of({ jwks: { keys: [] } as never, sign: () => "a.b.c", verify: () => Effect.die("unused") }))
      )
    ),
    Layer.provideMerge(Layer.succeed(Store, store))
  )
  const run = <A, E>(effect: Effect.Effect<A, E, Lifecycle | Store | BookingRepo>) => Effect.runPromiseExit(Effect.provide(effect, layer))
  const screeningId = "0190f0a0-0000-7000-8000-0000000000bb"
  const bookingId = "0190f0a0-0000-7000-8000-0000000000b1"
  const user = "0190f0a0-0000-7000-8000-0000000000aa"
  return { store, run, screeningId, bookingId, user }
}

describe("booking's counters after commit", () => {
  test("a decision rolled back after its state change is not counted; committed, it is counted once", async () => {
    const { run, screeningId, bookingId, user } = setup()
    const startsAt = Date.now() + 3_600_000
    const prepared = await run(
      Effect.gen(function* () {
        const store = yield* Store
        const repo = yield* BookingRepo
        const { handle } = yield* Lifecycle
        yield* store.unit(
          Effect.gen(function* () {
            repo.projectScheduled(
              { screeningId, cinemaId: "c", revision: 1, startsAt, endsAt: startsAt + 7_200_000, priceAmount: 950, currency: "EUR", seatNumbers: ["A1", "A2"], names: { movieTitle: null, cinemaName: null, hallName: null, timeZone: null } },
              Date.now()
            )
            yield* handle(bookingId, { kind: "Request", userId: user, screeningId, seatNumbers: ["A1"], quotaExempt: true })
          })
        )
      })
    )
    expect(prepared._tag).toBe("Success")
    const before = await reservedCount()

    class AfterTheDecision extends Error {}
    const decideThen = (fail: boolean) =>
      run(
        Effect.gen(function* () {
          const store = yield* Store
          const repo = yield* BookingRepo
          const { handle } = yield* Lifecycle
          return yield* store.unit(
            Effect.gen(function* () {
              const events = yield* handle(bookingId, { kind: "Attempt", attempt: 1, maxAttempts: 10 })
              // The state change happened inside the unit...
              expect(events.map((e) => e.type)).toEqual(["TicketReserved"])
              expect(repo.findBooking(bookingId)?.status).toBe("reserved")
              // ...and then the unit fails (as a handler failing after the decision would), rolling it back.
              if (fail) return yield* Effect.fail(new AfterTheDecision())
              return events
            })
          )
        })
      )

    const rolledBack = await decideThen(true)
    expect(rolledBack._tag).toBe("Failure")
    const check = await run(BookingRepo.use((repo) => Effect.succeed(repo.findBooking(bookingId)?.status)))
    expect(check).toMatchObject({ _tag: "Success", value: "pending" })
    expect(await reservedCount()).toBe(before)

    const committed = await decideThen(false)
    expect(committed._tag).toBe("Success")
    expect(await reservedCount()).toBe(before + 1)
  })
})
