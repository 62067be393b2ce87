// What payments tells and counts happens after commit: a transaction rolled back after the state change
// counts no payment and wakes no refund run (no broker: the use cases on a real SQLite file).
import { afterEach, describe, expect, test } from "bun:test"
import { Ids, newId, sequentialId, type EventData } from "@bat/contracts"
import { metricsText } from "@bat/http"
import { Store, makeStore, openDatabase, type StoreShape } from "@bat/store"
import { tempDir } from "@bat/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { CardGateway } from "../src/app/CardGateway.ts"
import { FingerprintKey } from "../src/app/FingerprintKey.ts"
import { Payments, PaymentsSettings } from "../src/app/Payments.ts"
import { RefundSignal } from "../src/app/RefundSignal.ts"
import { makeSimulatedCardGateway } from "../src/gateway/SimulatedCardGateway.ts"
import { openGatewayLedger } from "../src/store/gatewayLedger.ts"
import { migrations } from "../src/store/migrations.ts"
import { PaymentsRepo } from "../src/store/PaymentsRepo.ts"

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c()
})

const open = () => {
  const dir = tempDir("bat-payments-after-commit")
  const store = makeStore(openDatabase({ service: "payments", file: join(dir.dir, "payments.db"), migrations }))
  const ledger = openGatewayLedger(join(dir.dir, "gateway-sim.db"))
  cleanups.push(() => {
    ledger.close()
    store.db.close()
    dir.remove()
  })
  const layer = Payments.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        PaymentsRepo.layer,
        RefundSignal.layer,
        Layer.succeed(CardGateway, makeSimulatedCardGateway(ledger)),
        Layer.succeed(PaymentsSettings, PaymentsSettings.of({ holdTtlMs: 600_000, clockSkewGraceMs: 0, chargingSettleMs: 60_000 })),
        Layer.succeed(FingerprintKey, FingerprintKey.of({ key: Buffer.from("a test key of at least thirty-two characters") }))
      )
    ),
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(Store, store), Ids.sequenceLayer()))
  )
  const runtime = ManagedRuntime.make(layer)
  cleanups.push(() => void runtime.dispose())
  const run = <A, E>(effect: Effect.Effect<A, E, Payments | RefundSignal | Store>) => runtime.runSyncExit(effect)
  return { store, run }
}

const counted = async (status: string): Promise<number> => {
  const line = (await metricsText()).split("\n").find((l) => l.startsWith(`bookaticket_payments_total{status="${status}"}`))
  return line === undefined ? 0 : Number(line.split(" ").at(-1))
}

const lapsedReservation = (): EventData<"TicketReserved"> =>
  ({
    bookingId: newId(),
    userId: newId(),
    screeningId: newId(),
    tickets: [{ ticketId: newId(), seatNumber: "A1" }],
    amount: 2400,
    currency: "EUR",
    expiresAt: new Date(Date.now() - 60_000).toISOString()
  }) as unknown as EventData<"TicketReserved">

const rolledBack = <A, E, R>(store: StoreShape, effect: Effect.Effect<A, E, R>) =>
  store.transaction(Effect.flatMap(effect, () => Effect.fail("rolled back" as const)))

const paymentRows = (store: StoreShape, bookingId: string) =>
  (store.db.prepare("SELECT count(*) AS n FROM payments WHERE booking_id = ?").get(bookingId) as { n: number }).n

describe("after commit", () => {
  test("a reservation that lapsed counts an expired payment only once its transaction commits", async () => {
    const { store, run } = open()
    const before = await counted("expired")
    const undone = lapsedReservation()
    const exit = run(rolledBack(store, Payments.use((p) => p.recordReservation(undone, newId()))))
    expect(exit._tag).toBe("Failure")
    expect(paymentRows(store, undone.bookingId)).toBe(0)
    expect(await counted("expired")).toBe(before)

    const kept = lapsedReservation()
    expect(run(store.transaction(Payments.use((p) => p.recordReservation(kept, newId()))))._tag).toBe("Success")
    expect(paymentRows(store, kept.bookingId)).toBe(1)
    // Its id came from the Ids service (the rolled-back reservation had drawn the first).
    expect(store.db.prepare("SELECT payment_id AS id FROM payments WHERE booking_id = ?").get(kept.bookingId)).toEqual({ id: sequentialId(2) })
    expect(await counted("expired")).toBe(before + 1)
  })

  test("a refund request wakes the refund run once after commit, and never when rolled back", () => {
    const { store, run } = open()
    let wakes = 0
    run(RefundSignal.use((s) => Effect.sync(() => s.subscribe(() => wakes++))))
    const request = RefundSignal.use((s) => Effect.sync(() => s.request()))
    run(rolledBack(store, request))
    expect(wakes).toBe(0)
    run(store.transaction(Effect.flatMap(request, () => request)))
    expect(wakes).toBe(1)
  })
})
