// Group commit of book requests: requests of one event-loop turn share a transaction, each in its own savepoint;
// a failing one fails alone, nobody is answered before the commit, and repeated idempotency keys inside one group
// are resolved in arrival order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { makeStore, openDatabase, type StoreShape } from "@bat/store"
import { tempDir } from "@bat/testing"
import Database from "better-sqlite3"
import { join } from "node:path"
import { makeGroupCommit } from "../src/app/GroupCommitBatcher.ts"
import { rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

describe("the group-commit batcher", () => {
  let dir: ReturnType<typeof tempDir>
  let store: StoreShape
  let file: string
  /** A second connection: sees only what has been committed. */
  let reader: Database.Database

  beforeAll(() => {
    dir = tempDir("bat-group-commit")
    file = join(dir.dir, "group.db")
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
    dir?.remove()
  })

  const insert = (id: string) => () => {
    store.db.prepare("INSERT INTO items (id, note) VALUES (?, 'x')").run(id)
    return id
  }
  const committed = (id: string) => reader.prepare("SELECT count(*) AS n FROM items WHERE id = ?").get(id) as { n: number }

  test("units submitted together share one commit, and each promise settles only once its row is committed", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { onCommit: (n) => sizes.push(n) })
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
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" })
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
    const group = makeGroupCommit(store, { maxBatch: 64, onCommit: (n) => sizes.push(n) })
    await Promise.all(Array.from({ length: 100 }, () => group.submit(insert(newId()))))
    expect(sizes).toEqual([64, 36])
  })

  test("flush commits the open group at once (shutdown: before the database closes)", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { windowMs: 60_000, onCommit: (n) => sizes.push(n) })
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
    const group = makeGroupCommit(store, { windowMs: 0, onCommit: (n) => sizes.push(n) })
    const first = group.submit(insert(newId()))
    await Bun.sleep(2)
    await Promise.all([first, group.submit(insert(newId()))])
    expect(sizes).toEqual([1, 1])
  })

  test("with a window, units submitted within it share a commit", async () => {
    const sizes: Array<number> = []
    const group = makeGroupCommit(store, { windowMs: 20, onCommit: (n) => sizes.push(n) })
    const first = group.submit(insert(newId()))
    await Bun.sleep(2)
    await Promise.all([first, group.submit(insert(newId()))])
    expect(sizes).toEqual([2])
  })
})

describe("POST /tickets/book under concurrency", () => {
  let h: Harness
  let screeningId: string

  beforeAll(async () => {
    h = await startHarness()
    screeningId = (await schedule(h, scheduled())).screeningId
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("200 parallel requests with repeated idempotency keys and a reused one each get their own right answer", async () => {
    const users = Array.from({ length: 20 }, () => newId())
    type Req = { userId: string; seats: Array<string>; key?: string }
    const requests: Array<Req> = []
    for (let i = 0; i < 150; i++) requests.push({ userId: users[i % users.length]!, seats: [`A${(i % 20) + 1}`] })
    // Ten keys, each sent four times with the same body by its user: one booking per key.
    const keyed = Array.from({ length: 10 }, (_, i) => ({ userId: users[i]!, key: `k-${newId()}`, seats: [`B${i + 1}`] }))
    for (let r = 0; r < 4; r++) for (const k of keyed) requests.push({ ...k })
    // The first user of the keys again, with a key of theirs and another body: refused, alone.
    const reused: Req = { userId: keyed[0]!.userId, key: keyed[0]!.key, seats: ["C1"] }
    // Interleave so repeats and the reused key land inside the same groups as the others.
    const shuffled = requests.map((r, i) => ({ r, o: (i * 7919) % requests.length })).sort((a, b) => a.o - b.o).map((x) => x.r)
    shuffled.splice(100, 0, reused, { userId: users[5]!, seats: ["C2"] })
    expect(shuffled.length).toBe(192)
    while (shuffled.length < 200) shuffled.push({ userId: users[shuffled.length % 20]!, seats: ["C3"] })

    const answers = await Promise.all(
      shuffled.map(async (r) => {
        const res = await h.call("POST", "/tickets/book", {
          userId: r.userId,
          body: { screeningId, seatNumbers: r.seats },
          ...(r.key === undefined ? {} : { headers: { "idempotency-key": r.key } })
        })
        return { r, status: res.status, body: (await res.json()) as { bookingId?: string; code?: string } }
      })
    )

    // The reused key with another body is 422 (unless it arrived before the key's first use: then it booked,
    // and the key's other requests are the ones refused). Either way, exactly one body per key wins.
    for (const k of keyed) {
      const forKey = answers.filter((a) => a.r.key === k.key)
      const accepted = forKey.filter((a) => a.status === 202)
      expect(new Set(accepted.map((a) => a.body.bookingId)).size).toBe(1)
      const refused = forKey.filter((a) => a.status !== 202)
      for (const a of refused) {
        expect(a.status).toBe(422)
        expect(a.body.code).toBe("idempotency_key_reused")
      }
      // The winner is the body of the key's first request in arrival order; every refused one has the other body.
      const winnerSeats = accepted[0]!.r.seats.join()
      expect(refused.every((a) => a.r.seats.join() !== winnerSeats)).toBe(true)
      expect(accepted.every((a) => a.r.seats.join() === winnerSeats)).toBe(true)
    }
    expect(answers.filter((a) => a.status === 422).length).toBeGreaterThanOrEqual(1)
    // Everything else was accepted with a booking of its own.
    const unkeyed = answers.filter((a) => a.r.key === undefined)
    expect(unkeyed.every((a) => a.status === 202)).toBe(true)
    expect(new Set(unkeyed.map((a) => a.body.bookingId)).size).toBe(unkeyed.length)

    // Every booking answered exists once, pending or already decided, with exactly one TicketBookingAttempted
    // in the outbox, and there is no booking nobody was told about.
    const answered = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.bookingId!))
    expect(answered.size).toBe(unkeyed.length + keyed.length)
    const inDb = rows<{ booking_id: string; user_id: string; seat_numbers: string }>(
      h,
      "SELECT booking_id, user_id, seat_numbers FROM bookings WHERE screening_id = ?",
      screeningId
    )
    expect(new Set(inDb.map((b) => b.booking_id))).toEqual(answered)
    const attempted = rows<{ booking_id: string; n: number }>(
      h,
      `SELECT json_extract(body, '$.data.bookingId') AS booking_id, count(*) AS n FROM outbox
       WHERE type = 'TicketBookingAttempted' AND json_extract(body, '$.data.screeningId') = ?
       GROUP BY booking_id`,
      screeningId
    )
    expect(new Set(attempted.map((a) => a.booking_id))).toEqual(answered)
    expect(attempted.every((a) => a.n === 1)).toBe(true)
    // Each answer names the booking of its own request.
    const byId = new Map(inDb.map((b) => [b.booking_id, b]))
    for (const a of answers.filter((x) => x.status === 202)) {
      const row = byId.get(a.body.bookingId!)!
      expect(row.user_id).toBe(a.r.userId)
      expect(JSON.parse(row.seat_numbers)).toEqual(a.r.seats)
    }
  })
})
