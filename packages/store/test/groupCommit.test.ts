// Group commit: units of work that arrive together share a transaction, each in its own savepoint; a failing one
// fails alone, nobody is answered before the commit, and a later unit sees what an earlier one wrote.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeStore, openDatabase, StoreError, type StoreOptions, type StoreShape } from "../src/index.ts"

const newId = () => crypto.randomUUID()

describe("group commit", () => {
  let dir: string
  let store: StoreShape
  let file: string
  /** A second connection: sees only what has been committed. */
  let reader: Database.Database

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "bat-group-commit-"))
    file = join(dir, "group.db")
    store = makeStore(
      openDatabase({
        service: "group",
        file,
        migrations: [
          {
            version: 1,
            name: "items",
            sql: `CREATE TABLE parents (id INTEGER PRIMARY KEY);
              CREATE TABLE items (id TEXT PRIMARY KEY, note TEXT NOT NULL);
              CREATE TABLE links (parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);`
          }
        ]
      })
    )
    reader = new Database(file, { readonly: true })
  })
  afterAll(() => {
    reader?.close()
    store?.db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** The store's group commit over the shared database, with its own options; `submit` runs synchronous work in it. */
  const makeGroupCommit = (_store: StoreShape, opts: StoreOptions = {}) => {
    const grouping = makeStore(store.db, opts)
    return {
      submit: <A>(work: () => A): Promise<A> => Effect.runPromise(grouping.grouped(Effect.sync(work))),
      flush: () => grouping.flushGroup()
    }
  }

  const insert = (id: string) => () => {
    store.db.prepare("INSERT INTO items (id, note) VALUES (?, 'x')").run(id)
    return id
  }
  const committed = (id: string) => reader.prepare("SELECT count(*) AS n FROM items WHERE id = ?").get(id) as { n: number }

  test("units submitted together share one commit, and each promise settles only once its row is committed", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { onGroupCommit: (n) => sizes.push(n) })
    const ids = Array.from({ length: 10 }, () => newId())
    const seen = await Promise.all(ids.map((id) => group.submit(insert(id)).then((v) => ({ v, n: committed(id).n }))))
    expect(seen).toEqual(ids.map((id) => ({ v: id, n: 1 })))
    expect(sizes).toEqual([10])
  })

  test("a unit that fails after writing has only its own writes undone; the others commit", async () => {
    const group = makeGroupCommit(store)
    const [a, b, c] = [newId(), newId(), newId()]
    const results = await Promise.allSettled([
      group.submit(insert(a)),
      group.submit(() => {
        insert(b)()
        throw new Error("refused after writing")
      }),
      group.submit(() => {
        insert(a)() // a primary-key clash with the first unit: a database error in the middle of a group
        return "never"
      }),
      group.submit(insert(c))
    ])
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"])
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: "refused after writing" })
    const clash = (results[2] as PromiseRejectedResult).reason
    expect(clash).toBeInstanceOf(StoreError)
    expect(clash.cause).toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" })
    expect([committed(a).n, committed(b).n, committed(c).n]).toEqual([1, 0, 1])
  })

  test("a later unit sees what an earlier unit of the same group wrote", async () => {
    const group = makeGroupCommit(store)
    const id = newId()
    const [first, second] = await Promise.all([
      group.submit(insert(id)),
      group.submit(() => store.db.prepare("SELECT count(*) AS n FROM items WHERE id = ?").get(id))
    ])
    expect(first).toBe(id)
    expect(second).toEqual({ n: 1 })
  })

  test("if the shared commit fails, every unit of the group is rejected and nothing is kept", async () => {
    const group = makeGroupCommit(store)
    const [a, b] = [newId(), newId()]
    const results = await Promise.allSettled([
      group.submit(insert(a)),
      // A deferred foreign key is checked at COMMIT: the whole group's commit fails.
      group.submit(() => store.db.prepare("INSERT INTO links (parent) VALUES (?)").run(Date.now())),
      group.submit(insert(b))
    ])
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"])
    expect([committed(a).n, committed(b).n]).toEqual([0, 0])
    expect(store.db.inTransaction).toBe(false)
    // The next group works.
    expect(await group.submit(insert(a))).toBe(a)
    expect(committed(a).n).toBe(1)
  })

  test("a full group commits at once; the rest goes into the next one", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { maxBatch: 64, onGroupCommit: (n) => sizes.push(n) })
    await Promise.all(Array.from({ length: 100 }, () => group.submit(insert(newId()))))
    expect(sizes).toEqual([64, 36])
  })

  test("flush commits the open group at once (shutdown: before the database closes)", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { windowMs: 60_000, onGroupCommit: (n) => sizes.push(n) })
    const id = newId()
    const pending = group.submit(insert(id))
    expect(committed(id).n).toBe(0)
    group.flush()
    expect(committed(id).n).toBe(1)
    expect(await pending).toBe(id)
    expect(sizes).toEqual([1])
  })

  test("with no window, a group closes at the end of the event-loop turn", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { windowMs: 0, onGroupCommit: (n) => sizes.push(n) })
    const first = group.submit(insert(newId()))
    await Bun.sleep(2)
    await Promise.all([first, group.submit(insert(newId()))])
    expect(sizes).toEqual([1, 1])
  })

  test("with a window, units submitted within it share a commit", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { windowMs: 20, onGroupCommit: (n) => sizes.push(n) })
    const first = group.submit(insert(newId()))
    await Bun.sleep(2)
    await Promise.all([first, group.submit(insert(newId()))])
    expect(sizes).toEqual([2])
  })
})

