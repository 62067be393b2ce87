// Token revocation (DESIGN §17): a token of an unregistered user is refused by every service within seconds of
// UserUnregistered, and that user's open streams close. Each service keeps the revoked user ids in its own
// database (so a restart keeps refusing them) and in memory (so the check costs a Set lookup per request, after
// the verified-token cache as well). Fed by each consuming service's UserUnregistered handler (added by
// `withRevocationHandler` in bootService) and, in the users service, by the unregistration itself.
import type { Db } from "@bat/store"
import { bindingsOf, type ServiceName } from "@bat/contracts"
import type { Handlers } from "@bat/messaging"
import { Effect } from "effect"
import type { Auth, Principal } from "./auth.ts"
import { HttpProblem } from "./HttpProblem.ts"

export interface RevokedUsers {
  /** Whether tokens of this user are refused. */
  readonly has: (userId: string) => boolean
  /**
   * Refuses the user's tokens from now on: recorded in the database (call it inside the transaction that applies
   * the event, so it commits with it) and in memory; the user's open streams are told once that transaction
   * has committed (the store's after-commit), never if it rolls back.
   */
  readonly revoke: (userId: string, at: number) => void
  /** Calls `listener` when `userId` is revoked (e.g. closes a stream); returns the unsubscribe function. */
  readonly onRevoked: (userId: string, listener: () => void) => () => void
  /** How many users are revoked (metrics, tests). */
  readonly size: () => number
}

const TABLE = `CREATE TABLE IF NOT EXISTS revoked_users (
  user_id TEXT PRIMARY KEY,
  revoked_at INTEGER NOT NULL
) WITHOUT ROWID`

/** What the revocation needs of a store: its database and, when it has one, its after-commit hook. */
export interface RevocationStore {
  readonly db: Db
  readonly afterCommit?: (action: () => void) => void
}

// Without the store's after-commit hook (a bare database), streams are told on the next macrotask instead.
const laterTurn = (action: () => void) => void setTimeout(action, 0)

const makeRevokedUsers = (db: Db, afterCommit: (action: () => void) => void): RevokedUsers => {
  db.exec(TABLE)
  const insert = db.prepare("INSERT OR IGNORE INTO revoked_users (user_id, revoked_at) VALUES (?, ?)")
  const revoked = new Set((db.prepare("SELECT user_id FROM revoked_users").all() as Array<{ user_id: string }>).map((r) => r.user_id))
  const listeners = new Map<string, Set<() => void>>()
  return {
    has: (userId) => revoked.has(userId),
    revoke: (userId, at) => {
      insert.run(userId, at)
      revoked.add(userId)
      if (!listeners.has(userId)) return
      // Told once the revocation has committed; a rolled-back one closes nothing and keeps the listeners for the
      // redelivery, which revokes again.
      afterCommit(() => {
        const waiting = listeners.get(userId)
        if (waiting === undefined) return
        listeners.delete(userId)
        for (const listener of waiting) listener()
      })
    },
    onRevoked: (userId, listener) => {
      if (revoked.has(userId)) {
        setTimeout(listener, 0)
        return () => {}
      }
      let set = listeners.get(userId)
      if (set === undefined) listeners.set(userId, (set = new Set()))
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0 && listeners.get(userId) === set) listeners.delete(userId)
      }
    },
    size: () => revoked.size
  }
}

const byDatabase = new WeakMap<Db, RevokedUsers>()

/** The revoked users of the service whose database this is (one instance per database, created on first use). */
export const revokedUsersOf = (store: RevocationStore): RevokedUsers => {
  let found = byDatabase.get(store.db)
  if (found === undefined) byDatabase.set(store.db, (found = makeRevokedUsers(store.db, store.afterCommit ?? laterTurn)))
  return found
}

/** The 401 a revoked user's token gets, in every service. */
export const tokenRevoked = () =>
  new HttpProblem({
    status: 401,
    code: "token_revoked",
    detail: "This account has been unregistered; its tokens are no longer accepted."
  })

/** `auth`, refusing every token (cached or freshly verified) of a revoked user. */
export const refuseRevoked = (auth: Auth, revoked: RevokedUsers): Auth => ({
  authenticate: async (headers): Promise<Principal> => {
    const principal = await auth.authenticate(headers)
    if (revoked.has(principal.userId)) throw tokenRevoked()
    return principal
  }
})

/**
 * The service's handlers with UserUnregistered revoking the user first (then the service's own handler, if it has
 * one), for every service whose inbox is bound to UserUnregistered; others' handlers unchanged.
 */
export const withRevocationHandler = <R>(
  service: string,
  handlers: Handlers<R> | undefined,
  revoked: RevokedUsers
): Handlers<R> | undefined => {
  if (!bindingsOf(service as ServiceName).some((b) => b.routingKey === "UserUnregistered")) return handlers
  const own = handlers?.UserUnregistered
  return {
    ...handlers,
    UserUnregistered: (data, ctx) =>
      Effect.suspend(() => {
        revoked.revoke(data.userId, Date.now())
        return own === undefined ? Effect.void : own(data, ctx)
      })
  }
}
