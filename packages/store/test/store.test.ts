import { describe, expect, test } from "bun:test"
import { Data, Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeStore, openDatabase, type Migration } from "../src/index.ts"

const migrations: Migration[] = [
  { version: 1, name: "seats", sql: "CREATE TABLE seats (id TEXT PRIMARY KEY, holder TEXT)" },
  { version: 2, name: "seats_note", sql: "ALTER TABLE seats ADD COLUMN note TEXT" }
]
class Taken extends Data.TaggedError("Taken")<{ id: string }> {}

const withDir = (f: (dir: string) => void | Promise<void>) => async () => {
  const dir = mkdtempSync(join(tmpdir(), "bat-store-"))
  try {
    await f(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("store", () => {
  test("a database opens in WAL mode with foreign keys, and migrations apply once, in order", withDir((dir) => {
    const db = openDatabase({ service: "t", dataDir: dir, migrations })
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal")
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1)
    expect(db.pragma("synchronous", { simple: true })).toBe(1)
    db.close()
    const again = openDatabase({ service: "t", dataDir: dir, migrations })
    const rows = again.prepare("SELECT version FROM schema_migrations WHERE version > 0 ORDER BY version").all()
    expect(rows).toEqual([{ version: 1 }, { version: 2 }])
    again.close()
  }))

  test("a typed failure inside a transaction rolls back its writes and its outbox rows", withDir(async (dir) => {
    const store = makeStore(openDatabase({ service: "t", dataDir: dir, migrations }))
    let woken = 0
    store.onOutboxCommit(() => woken++)
    const write = (id: string, fail: boolean) =>
      store.transaction(
        Effect.gen(function* () {
          store.db.prepare("INSERT INTO seats (id, holder) VALUES (?, ?)").run(id, "x")
          store.appendOutbox([{ id: `m-${id}`, exchange: "e", routingKey: "K", type: "K", body: "{}" }])
          if (fail) return yield* new Taken({ id })
          return id
        })
      )
    expect(await Effect.runPromise(write("a", false))).toBe("a")
    const failed = await Effect.runPromise(Effect.result(write("b", true)))
    expect(failed._tag).toBe("Failure")
    expect(store.db.prepare("SELECT id FROM seats").all()).toEqual([{ id: "a" }])
    expect(store.db.prepare("SELECT id FROM outbox").all()).toEqual([{ id: "m-a" }])
    expect(woken).toBe(1)
    store.db.close()
  }))

  test("a constraint violation becomes a StoreError and changes nothing", withDir(async (dir) => {
    const store = makeStore(openDatabase({ service: "t", dataDir: dir, migrations }))
    const insert = (id: string) =>
      store.transaction(Effect.sync(() => store.db.prepare("INSERT INTO seats (id) VALUES (?)").run(id)))
    await Effect.runPromise(insert("a"))
    const r = await Effect.runPromise(Effect.result(insert("a")))
    expect(r._tag).toBe("Failure")
    if (r._tag === "Failure") expect((r.failure as { _tag: string })._tag).toBe("StoreError")
    expect(store.db.prepare("SELECT count(*) AS n FROM seats").get()).toEqual({ n: 1 })
    store.db.close()
  }))
})
