// Revoked users (DESIGN §17): refused after the token cache as well, kept in the service's database across a
// restart, their streams told; UserUnregistered revokes before the service's own handler runs.
import { describe, expect, test } from "bun:test"
import { makeStore, openDatabase } from "@bat/store"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpProblem, refuseRevoked, revokedUsersOf, withRevocationHandler, type Auth } from "../src/index.ts"

const withDb = async (f: (file: string) => Promise<void> | void) => {
  const dir = mkdtempSync(join(tmpdir(), "bat-revocation-"))
  try {
    await f(join(dir, "service.db"))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("revoked users", () => {
  test("a revoked user's tokens are refused 401 token_revoked even when the inner auth (its cache) accepts them; others pass", async () => {
    await withDb(async (file) => {
      const db = new Database(file)
      let verified = 0
      const inner: Auth = { authenticate: async (h) => (verified++, { userId: String((h as Record<string, string>).authorization), role: "customer" }) }
      const revoked = revokedUsersOf({ db })
      const auth = refuseRevoked(inner, revoked)
      expect(await auth.authenticate({ authorization: "u1" })).toEqual({ userId: "u1", role: "customer" })
      revoked.revoke("u1", 1_000)
      const error = await auth.authenticate({ authorization: "u1" }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(HttpProblem)
      expect((error as HttpProblem).status).toBe(401)
      expect((error as HttpProblem).code).toBe("token_revoked")
      expect(await auth.authenticate({ authorization: "u2" })).toEqual({ userId: "u2", role: "customer" })
      expect(verified).toBe(3)
      db.close()
    })
  })

  test("the revocation is kept in the service's database: a reopened database still refuses the user", async () => {
    await withDb((file) => {
      const first = new Database(file)
      revokedUsersOf({ db: first }).revoke("gone", 5)
      revokedUsersOf({ db: first }).revoke("gone", 6)
      first.close()
      const again = new Database(file)
      const revoked = revokedUsersOf({ db: again })
      expect(revoked.has("gone")).toBe(true)
      expect(revoked.has("other")).toBe(false)
      expect(revoked.size()).toBe(1)
      again.close()
    })
  })

  test("a stream waiting on a user is told once it is revoked (after the transaction), and at once if it already is", async () => {
    await withDb(async (file) => {
      const db = new Database(file)
      const revoked = revokedUsersOf({ db })
      const told: string[] = []
      revoked.onRevoked("a", () => told.push("a1"))
      const off = revoked.onRevoked("a", () => told.push("a2"))
      revoked.onRevoked("b", () => told.push("b"))
      off()
      db.transaction(() => revoked.revoke("a", 1)).immediate()
      expect(told).toEqual([])
      await Bun.sleep(5)
      expect(told).toEqual(["a1"])
      revoked.onRevoked("a", () => told.push("late"))
      await Bun.sleep(5)
      expect(told).toEqual(["a1", "late"])
      db.close()
    })
  })

  test("through a store, a stream is told right after the revocation commits, and never when it rolls back", async () => {
    await withDb(async (file) => {
      const store = makeStore(openDatabase({ service: "revocation-test", file, migrations: [] }))
      const revoked = revokedUsersOf(store)
      const told: string[] = []
      revoked.onRevoked("a", () => told.push("a"))
      revoked.onRevoked("b", () => told.push("b"))
      expect(() =>
        store.transactSync(() => {
          revoked.revoke("a", 1)
          throw new Error("rolled back")
        })
      ).toThrow("rolled back")
      await Bun.sleep(5)
      expect(told).toEqual([])
      store.transactSync(() => {
        revoked.revoke("b", 1)
        expect(told).toEqual([])
      })
      expect(told).toEqual(["b"])
      store.db.close()
    })
  })

  test("after a rolled-back revocation the redelivery still tells the stream", async () => {
    await withDb(async (file) => {
      const store = makeStore(openDatabase({ service: "revocation-test", file, migrations: [] }))
      const revoked = revokedUsersOf(store)
      const told: string[] = []
      revoked.onRevoked("a", () => told.push("a"))
      expect(() =>
        store.transactSync(() => {
          revoked.revoke("a", 1)
          throw new Error("rolled back")
        })
      ).toThrow("rolled back")
      store.transactSync(() => revoked.revoke("a", 2))
      expect(told).toEqual(["a"])
      store.db.close()
    })
  })

  test("UserUnregistered revokes before the service's own handler; services not bound to it are left alone", async () => {
    await withDb((file) => {
      const db = new Database(file)
      const revoked = revokedUsersOf({ db })
      const seen: Array<boolean> = []
      const own = { UserUnregistered: (data: { userId: string }) => Effect.sync(() => seen.push(revoked.has(data.userId))) }
      const booking = withRevocationHandler("booking", own as never, revoked)!
      Effect.runSync(booking.UserUnregistered!({ userId: "x" } as never, {} as never) as Effect.Effect<unknown>)
      expect(seen).toEqual([true])
      // cinemas had no handlers at all: it gets one that only revokes.
      const cinemas = withRevocationHandler("cinemas", undefined, revoked)!
      Effect.runSync(cinemas.UserUnregistered!({ userId: "y" } as never, {} as never) as Effect.Effect<unknown>)
      expect(revoked.has("y")).toBe(true)
      // users is the producer: it revokes in its own unregistration, and has no inbox.
      expect(withRevocationHandler("users", undefined, revoked)).toBeUndefined()
      db.close()
    })
  })
})
