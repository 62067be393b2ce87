// A notification stream (and the delivery relay) is woken only by what committed: a rolled-back record wakes
// nobody (the use cases on a real SQLite file, no broker).
import { afterEach, describe, expect, test } from "bun:test"
import { Ids, newId } from "@bat/contracts"
import { Store, makeStore, openDatabase } from "@bat/store"
import { pollUntil, tempDir } from "@bat/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { FeedRegistry, NotificationFeed } from "../src/app/NotificationFeed.ts"
import { Notifications } from "../src/app/Notifications.ts"
import { migrations } from "../src/store/migrations.ts"
import { NotificationRepo } from "../src/store/NotificationRepo.ts"

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c()
})

const open = () => {
  const dir = tempDir("bat-notifications-after-commit")
  const store = makeStore(openDatabase({ service: "notifications", file: join(dir.dir, "notifications.db"), migrations }))
  const feed = new FeedRegistry(store.afterCommit)
  const runtime = ManagedRuntime.make(
    Notifications.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(NotificationRepo.layer, Layer.succeed(NotificationFeed, feed))),
      Layer.provideMerge(Layer.mergeAll(Layer.succeed(Store, store), Ids.sequenceLayer()))
    )
  )
  cleanups.push(() => {
    void runtime.dispose()
    store.db.close()
    dir.remove()
  })
  return { store, feed, runtime }
}

const cancelled = (userId: string) =>
  ({ kind: "cancelled", bookingId: newId(), userId, screeningId: newId(), tickets: [{ ticketId: newId(), seatNumber: "A1" }], reason: "user_unregistered" }) as const

const rows = (db: ReturnType<typeof open>["store"]["db"], userId: string) =>
  (db.prepare("SELECT count(*) AS n FROM notifications WHERE user_id = ?").get(userId) as { n: number }).n

describe("notification stream wake-ups", () => {
  test("a rolled-back record wakes no stream and no relay; a committed one wakes both once", async () => {
    const { store, feed, runtime } = open()
    const userId = newId()
    let streamWakes = 0
    let relayWakes = 0
    feed.subscribe(userId, () => streamWakes++)
    feed.onAnyCommit(() => relayWakes++)

    const undone = runtime.runSyncExit(
      store.transaction(Effect.flatMap(Notifications.use((n) => n.record(cancelled(userId))), () => Effect.fail("rolled back")))
    )
    expect(undone._tag).toBe("Failure")
    expect(rows(store.db, userId)).toBe(0)
    // Whatever a wake-up would have waited for (the end of the turn) has passed.
    await new Promise((resolve) => setImmediate(resolve))
    expect(streamWakes).toBe(0)
    expect(relayWakes).toBe(0)

    runtime.runSync(
      store.transaction(
        Effect.gen(function* () {
          yield* Notifications.use((n) => n.record(cancelled(userId)))
          yield* Notifications.use((n) => n.record(cancelled(userId)))
        })
      )
    )
    expect(rows(store.db, userId)).toBe(2)
    await pollUntil(() => streamWakes > 0)
    expect(streamWakes).toBe(1)
    expect(relayWakes).toBe(1)
  })
})
