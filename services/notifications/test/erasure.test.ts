// The erasure rule and delivery give-up, through the use cases on a real SQLite file (no broker needed).
import { afterEach, describe, expect, test } from "bun:test"
import { Booking, Ids, newId, type EventData } from "@bat/contracts"
import { Store, makeStore, migrate, openDatabase, type StoreShape } from "@bat/store"
import { tempDir } from "@bat/testing"
import { Effect, Layer, Schema } from "effect"
import { join } from "node:path"
import { FeedRegistry, NotificationFeed } from "../src/app/NotificationFeed.ts"
import { Notifications } from "../src/app/Notifications.ts"
import { migrations } from "../src/store/migrations.ts"
import { NotificationRepo } from "../src/store/NotificationRepo.ts"

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

const open = (file?: string) => {
  const dir = tempDir("bat-notifications-erasure")
  const store = makeStore(openDatabase({ service: "notifications", file: file ?? join(dir.dir, "notifications.db"), migrations }))
  cleanups.push(() => {
    store.db.close()
    dir.remove()
  })
  return store
}

const useCases = (store: StoreShape) => {
  const layer = Notifications.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(NotificationRepo.layer, Layer.succeed(NotificationFeed, new FeedRegistry(store.afterCommit)))
    ),
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(Store, store), Ids.layer))
  )
  return <A, E>(f: (n: Notifications["Service"]) => Effect.Effect<A, E>) =>
    Effect.runSync(Notifications.use(f).pipe(Effect.provide(layer)) as Effect.Effect<A, E>)
}

const contactOf = (store: StoreShape, userId: string) =>
  store.db.prepare("SELECT email, erased_at FROM contacts WHERE user_id = ?").get(userId) as
    | { email: string | null; erased_at: number | null }
    | undefined

const cancelled = (userId: string, bookingId = newId()) =>
  ({ kind: "cancelled", bookingId, userId, screeningId: newId(), tickets: [{ ticketId: newId(), seatNumber: "A1" }], reason: "user_unregistered" }) as const

describe("delivery give-up", () => {
  test("a delivery still failing DELIVERY_GIVE_UP_MS after its notice was made fails for good and stops holding the erasure", () => {
    const store = open()
    const run = useCases(store)
    const userId = newId()
    const booking = cancelled(userId)
    run((n) => n.registerContact({ userId, fullName: "Kim Late", email: "kim@example.com", role: "customer" } as EventData<"UserRegistered">))
    run((n) => n.unregisterContact(userId))
    run((n) => n.record(booking))
    const closed = Schema.decodeUnknownSync(Booking.UserBookingsClosed)({ userId, bookingIds: [booking.bookingId] })
    expect(run((n) => n.userBookingsClosed(closed))).toBe(false)
    const [due] = run((n) => n.dueDeliveries(10))
    const giveUpAfterMs = 60_000
    const policy = { retryMinMs: 1_000, retryMaxMs: 8_000, giveUpAfterMs }

    const young = run((n) =>
      n.deliveryFailed(due!.notificationId, { attempts: 1, error: "ECONNREFUSED", permanent: false, createdAt: new Date().toISOString() }, policy)
    )
    expect(young).toEqual({ status: "pending", erasedContactOf: undefined })
    expect(contactOf(store, userId)).toEqual({ email: "kim@example.com", erased_at: null })

    const old = new Date(Date.now() - giveUpAfterMs - 1).toISOString()
    const given = run((n) =>
      n.deliveryFailed(due!.notificationId, { attempts: 2, error: "ECONNREFUSED", permanent: false, createdAt: old }, policy)
    )
    expect(given).toEqual({ status: "failed", erasedContactOf: userId })
    expect(store.db.prepare("SELECT status, attempts, last_error FROM deliveries").get()).toEqual({
      status: "failed",
      attempts: 2,
      last_error: "given up after 2 attempt(s): ECONNREFUSED"
    })
    expect(contactOf(store, userId)!.email).toBeNull()
  })
})

describe("a delivery pass settled in one transaction", () => {
  test("the contact is erased in the pass that settles the last owed e-mail, not while one is still to be retried", () => {
    const store = open()
    const run = useCases(store)
    const [userId, other] = [newId(), newId()]
    for (const [u, name] of [[userId, "Ida Pass"], [other, "Ola Stay"]] as const) {
      run((n) => n.registerContact({ userId: u, fullName: name, email: `${u}@example.com`, role: "customer" } as EventData<"UserRegistered">))
    }
    run((n) => n.unregisterContact(userId))
    const [first, second] = [cancelled(userId), cancelled(userId)]
    run((n) => n.record(first))
    run((n) => n.record(second))
    run((n) => n.record(cancelled(other)))
    const closed = Schema.decodeUnknownSync(Booking.UserBookingsClosed)({ userId, bookingIds: [first.bookingId, second.bookingId] })
    expect(run((n) => n.userBookingsClosed(closed))).toBe(false)
    const due = run((n) => n.dueDeliveries(100))
    expect(due).toHaveLength(3)
    const mine = due.filter((d) => d.userId === userId)
    const theirs = due.find((d) => d.userId === other)!
    const policy = { retryMinMs: 1_000, retryMaxMs: 8_000, giveUpAfterMs: 60_000 }
    const failure = { attempts: 1, error: "451 try later", permanent: false, createdAt: new Date().toISOString() }

    // One of the user's e-mails is sent, the other is to be retried: nothing is erased.
    const pass1 = run((n) =>
      n.settlePass(
        [
          { notificationId: mine[0]!.notificationId, userId, outcome: "sent", note: null },
          { notificationId: mine[1]!.notificationId, userId, outcome: "failed", failure },
          { notificationId: theirs.notificationId, userId: other, outcome: "sent", note: null }
        ],
        policy
      )
    )
    expect(pass1).toEqual({ statuses: ["sent", "pending", "sent"], erasedContactsOf: [] })
    expect(contactOf(store, userId)).toEqual({ email: `${userId}@example.com`, erased_at: null })

    // The retried one fails for good: the pass that settles it erases the contact, and only that one.
    const pass2 = run((n) =>
      n.settlePass([{ notificationId: mine[1]!.notificationId, userId, outcome: "failed", failure: { ...failure, attempts: 2, permanent: true } }], policy)
    )
    expect(pass2).toEqual({ statuses: ["failed"], erasedContactsOf: [userId] })
    expect(contactOf(store, userId)!.email).toBeNull()
    expect(contactOf(store, other)).toEqual({ email: `${other}@example.com`, erased_at: null })
    expect(store.db.prepare("SELECT status, count(*) AS n FROM deliveries GROUP BY status ORDER BY status").all()).toEqual([
      { status: "failed", n: 1 },
      { status: "sent", n: 2 }
    ])
  })
})

describe("recording outcomes", () => {
  test("a duplicate outcome changes nothing and takes no sequence number: the user's notices stay numbered 1, 2, 3", () => {
    const store = open()
    const run = useCases(store)
    const userId = newId()
    const [a, b] = [cancelled(userId), cancelled(userId)]
    expect(run((n) => n.record(a))).toBe("recorded")
    expect(run((n) => n.record(a))).toBe("duplicate")
    expect(run((n) => n.record({ ...a, reason: "screening_cancelled" }))).toBe("duplicate")
    expect(run((n) => n.record(b))).toBe("recorded")
    expect(run((n) => n.record({ kind: "refunded", bookingId: a.bookingId, userId, paymentId: newId(), amount: 2500, currency: "EUR" }))).toBe("recorded")
    const rows = store.db.prepare("SELECT booking_id, kind, sequence FROM notifications WHERE user_id = ? ORDER BY sequence").all(userId)
    expect(rows).toEqual([
      { booking_id: a.bookingId, kind: "cancelled", sequence: 1 },
      { booking_id: b.bookingId, kind: "cancelled", sequence: 2 },
      { booking_id: a.bookingId, kind: "refunded", sequence: 3 }
    ])
    expect(store.db.prepare("SELECT count(*) AS n FROM deliveries").get()).toEqual({ n: 0 })
  })
})

describe("delivery backoff", () => {
  test("a temporary failure is retried after the minimum delay, doubling to the maximum, and never later than the give-up time", () => {
    const store = open()
    const run = useCases(store)
    const userId = newId()
    run((n) => n.registerContact({ userId, fullName: "Lou Retry", email: "lou@example.com", role: "customer" } as EventData<"UserRegistered">))
    run((n) => n.record(cancelled(userId)))
    const [due] = run((n) => n.dueDeliveries(10))
    const policy = { retryMinMs: 60_000, retryMaxMs: 3_600_000, giveUpAfterMs: 86_400_000 }
    const nextAttemptIn = (attempts: number, createdAt: string) => {
      const before = Date.now()
      const result = run((n) =>
        n.deliveryFailed(due!.notificationId, { attempts, error: "451 try later", permanent: false, createdAt }, policy)
      )
      expect(result.status).toBe("pending")
      const row = store.db.prepare("SELECT next_attempt_at FROM deliveries").get() as { next_attempt_at: number }
      return row.next_attempt_at - before
    }
    const now = new Date().toISOString()
    for (const [attempts, delay] of [[1, 60_000], [2, 120_000], [3, 240_000], [7, 3_600_000], [12, 3_600_000]] as const) {
      const wait = nextAttemptIn(attempts, now)
      expect(wait).toBeGreaterThanOrEqual(delay - 50)
      expect(wait).toBeLessThanOrEqual(delay + 50)
    }
    // Ten minutes before the give-up time, the next try is at the give-up time, not an hour later.
    const almostOld = new Date(Date.now() - policy.giveUpAfterMs + 600_000).toISOString()
    const wait = nextAttemptIn(12, almostOld)
    expect(wait).toBeGreaterThan(600_000 - 1_000)
    expect(wait).toBeLessThanOrEqual(600_000 + 50)
    expect(store.db.prepare("SELECT status, attempts FROM deliveries").get()).toEqual({ status: "pending", attempts: 6 })
  })
})

describe("upgrading from the timer rule", () => {
  test("contacts unregistered before the rule existed are erased by the sweep once no e-mail to them is pending", () => {
    const dir = tempDir("bat-notifications-upgrade")
    const file = join(dir.dir, "notifications.db")
    const before = openDatabase({ service: "notifications", file, migrations: migrations.filter((m) => m.version === 1) })
    const [idle, owed] = [newId(), newId()]
    const insertContact = before.prepare("INSERT INTO contacts (user_id, full_name, email, unregistered_at) VALUES (?, ?, ?, ?)")
    insertContact.run(idle, "Lee Idle", "lee@example.com", 1)
    insertContact.run(owed, "Max Owed", "max@example.com", 1)
    before
      .prepare(
        `INSERT INTO notifications (notification_id, user_id, sequence, kind, booking_id, screening_id, ticket_ids, seat_numbers,
           subject, message, channel, created_at) VALUES ('n1', ?, 1, 'cancelled', ?, NULL, '[]', '[]', 's', 'm', 'email', ?)`
      )
      .run(owed, newId(), new Date().toISOString())
    before.prepare("INSERT INTO deliveries (notification_id, status, next_attempt_at) VALUES ('n1', 'pending', ?)").run(Date.now() + 3_600_000)
    before.close()
    cleanups.push(dir.remove)

    const store = open(file)
    const run = useCases(store)
    expect(run((n) => n.eraseToldContacts())).toEqual([idle])
    expect(contactOf(store, idle)!.email).toBeNull()
    expect(contactOf(store, owed)).toEqual({ email: "max@example.com", erased_at: null })
    // The delivery table kept its rows through the rebuild that allows `failed`.
    expect(store.db.prepare("SELECT notification_id, status FROM deliveries").all()).toEqual([{ notification_id: "n1", status: "pending" }])
    run((n) => n.deliverySettled("n1", "sent", null))
    expect(contactOf(store, owed)!.email).toBeNull()
    // Sequence numbers go on from the notices made before they were counted per user.
    run((n) => n.record(cancelled(owed)))
    expect(store.db.prepare("SELECT max(sequence) AS s FROM notifications WHERE user_id = ?").get(owed)).toEqual({ s: 2 })
    migrate(store.db, migrations) // applied once: a second run changes nothing
  })
})
