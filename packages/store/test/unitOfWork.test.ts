import { describe, expect, test } from "bun:test"
import { Data, Effect, Exit } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeStore, openDatabase, StoreError, type Migration, type StoreOptions, type StoreShape } from "../src/index.ts"

const migrations: Migration[] = [
  { version: 1, name: "seats", sql: "CREATE TABLE seats (id TEXT PRIMARY KEY, holder TEXT NOT NULL)" }
]
class Taken extends Data.TaggedError("Taken")<{ id: string }> {}

const withStore = (f: (store: StoreShape) => void | Promise<void>, opts: StoreOptions = {}) => async () => {
  const dir = mkdtempSync(join(tmpdir(), "bat-uow-"))
  const store = makeStore(openDatabase({ service: "t", dataDir: dir, migrations }), opts)
  try {
    await f(store)
  } finally {
    store.db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const holders = (store: StoreShape) =>
  (store.db.prepare("SELECT id, holder FROM seats ORDER BY id").all() as Array<{ id: string; holder: string }>).map(
    (r) => `${r.id}:${r.holder}`
  )

/** A use case: holds a seat (failing if it is taken) and counts the hold only once it is durable. */
const hold = (store: StoreShape, counted: Array<string>, id: string, holder: string) =>
  Effect.suspend(() => {
    if (store.db.prepare("SELECT 1 FROM seats WHERE id = ?").get(id) !== undefined) return Effect.fail(new Taken({ id }))
    store.db.prepare("INSERT INTO seats (id, holder) VALUES (?, ?)").run(id, holder)
    store.afterCommit(() => counted.push(`${id}:${holder}`))
    return Effect.succeed(id)
  })

describe("unit of work", () => {
  test("a counter registered with afterCommit is unchanged when the transaction rolls back after the state change", withStore(async (store) => {
    const counted: Array<string> = []
    const exit = await Effect.runPromiseExit(
      store.unit(Effect.andThen(hold(store, counted, "A1", "ann"), () => Effect.fail(new Taken({ id: "later" }))))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(holders(store)).toEqual([])
    expect(counted).toEqual([])
    await Effect.runPromise(store.unit(hold(store, counted, "A1", "ann")))
    expect(counted).toEqual(["A1:ann"])
  }))

  test("a unit inside an open unit joins it: nothing is counted before the outer commit, and its failure undoes both", withStore(async (store) => {
    const counted: Array<string> = []
    const seenInside: Array<number> = []
    await Effect.runPromise(
      store.unit(
        Effect.gen(function* () {
          yield* store.unit(hold(store, counted, "A1", "ann"))
          yield* store.unit(hold(store, counted, "A2", "ann"))
          seenInside.push(counted.length)
        })
      )
    )
    expect(seenInside).toEqual([0])
    expect(counted).toEqual(["A1:ann", "A2:ann"])
    const exit = await Effect.runPromiseExit(
      store.unit(Effect.andThen(store.unit(hold(store, counted, "B1", "bob")), store.unit(hold(store, counted, "A1", "bob"))))
    )
    expect(exit).toEqual(Exit.fail(new Taken({ id: "A1" })))
    expect(holders(store)).toEqual(["A1:ann", "A2:ann"])
    expect(counted).toEqual(["A1:ann", "A2:ann"])
  }))

  test("outside any transaction an after-commit action runs at once, and one that throws is reported without undoing the commit", withStore(async (store) => {
    const ran: Array<string> = []
    store.afterCommit(() => ran.push("now"))
    expect(ran).toEqual(["now"])
    await Effect.runPromise(
      store.unit(
        Effect.sync(() => {
          store.db.prepare("INSERT INTO seats (id, holder) VALUES ('C1', 'cy')").run()
          store.afterCommit(() => {
            throw new Error("push failed")
          })
          store.afterCommit(() => ran.push("after"))
        })
      )
    )
    expect(ran).toEqual(["now", "after"])
    expect(holders(store)).toEqual(["C1:cy"])
  }, { onActionError: () => {} }))

  test("grouped units share one commit; a failing unit has only its own writes and actions undone, and later units see earlier ones", withStore(async (store) => {
    const counted: Array<string> = []
    const results = await Promise.all([
      Effect.runPromiseExit(store.grouped(hold(store, counted, "A1", "ann"))),
      Effect.runPromiseExit(store.grouped(hold(store, counted, "A1", "bob"))),
      Effect.runPromiseExit(store.grouped(hold(store, counted, "A2", "bob"))),
      Effect.runPromiseExit(store.grouped(Effect.andThen(hold(store, counted, "A3", "cy"), () => Effect.fail(new Taken({ id: "A3" })))))
    ])
    expect(results).toEqual([Exit.succeed("A1"), Exit.fail(new Taken({ id: "A1" })), Exit.succeed("A2"), Exit.fail(new Taken({ id: "A3" }))])
    expect(holders(store)).toEqual(["A1:ann", "A2:bob"])
    expect(counted).toEqual(["A1:ann", "A2:bob"])
  }))

  test("the group's size is reported once per commit, and a full group commits at once", withStore(async (store) => {
    const counted: Array<string> = []
    const all = Array.from({ length: 5 }, (_, i) => Effect.runPromise(store.grouped(hold(store, counted, `S${i}`, "x"))))
    await Promise.all(all)
    expect(sizes).toEqual([2, 2, 1])
    expect(counted.length).toBe(5)
  }, { maxBatch: 2, windowMs: 50, onGroupCommit: (n) => sizes.push(n) }))

  test("a database error inside a unit is a StoreError and rolls the unit back", withStore(async (store) => {
    const exit = await Effect.runPromiseExit(
      store.unit(Effect.sync(() => store.db.prepare("INSERT INTO seats (id, holder) VALUES ('D1', NULL)").run()))
    )
    expect(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof StoreError)).toBe(true)
    expect(holders(store)).toEqual([])
  }))

  test("outbox rows wake the relay once per commit, and never for a rolled-back savepoint", withStore(async (store) => {
    let woken = 0
    store.onOutboxCommit(() => woken++)
    const message = (id: string) => ({ id, exchange: "x", routingKey: "k", type: "T", body: "{}" })
    await Effect.runPromise(store.unit(Effect.sync(() => store.appendOutbox([message("1"), message("2")]))))
    expect(woken).toBe(1)
    await Promise.all([
      Effect.runPromiseExit(store.grouped(Effect.andThen(Effect.sync(() => store.appendOutbox([message("3")])), Effect.fail(new Taken({ id: "x" }))))),
      Effect.runPromise(store.grouped(Effect.sync(() => store.appendOutbox([message("4")]))))
    ])
    expect(woken).toBe(2)
    expect((store.db.prepare("SELECT id FROM outbox ORDER BY seq").all() as Array<{ id: string }>).map((r) => r.id)).toEqual(["1", "2", "4"])
  }))
})

const sizes: Array<number> = []
