// SQL over the users table. Synchronous; callers run it inside a store transaction.
import type { UserId } from "@bat/contracts"
import type { Role } from "@bat/http"
import type { Db } from "@bat/store"

export interface UserRecord {
  readonly userId: UserId
  readonly fullName: string
  readonly email: string
  readonly role: Role
  readonly passwordHash: string
}

interface Row {
  user_id: string
  full_name: string
  email: string
  password_hash: string
  role: Role
}

const toRecord = (r: Row): UserRecord => ({
  userId: r.user_id as UserId,
  fullName: r.full_name,
  email: r.email,
  role: r.role,
  passwordHash: r.password_hash
})

export const makeUserRepo = (db: Db) => {
  const byEmail = db.prepare<[string], Row>(
    "SELECT user_id, full_name, email, password_hash, role FROM users WHERE email = ? AND unregistered_at IS NULL"
  )
  const byId = db.prepare<[string], Row>(
    "SELECT user_id, full_name, email, password_hash, role FROM users WHERE user_id = ? AND unregistered_at IS NULL"
  )
  const insert = db.prepare(
    "INSERT INTO users (user_id, full_name, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)"
  )
  const promote = db.prepare(
    `UPDATE users SET role = 'staff', password_hash = COALESCE(?, password_hash)
     WHERE user_id = ? AND unregistered_at IS NULL`
  )
  // The tombstone keeps the id (events and other services refer to it) and erases personal data.
  const tombstone = db.prepare(
    `UPDATE users SET unregistered_at = ?, email = NULL, full_name = '', password_hash = NULL
     WHERE user_id = ? AND unregistered_at IS NULL`
  )
  return {
    findLiveByEmail: (email: string): UserRecord | undefined => {
      const r = byEmail.get(email)
      return r === undefined ? undefined : toRecord(r)
    },
    findLiveById: (userId: string): UserRecord | undefined => {
      const r = byId.get(userId)
      return r === undefined ? undefined : toRecord(r)
    },
    insert: (u: UserRecord, now: number): void => {
      insert.run(u.userId, u.fullName, u.email, u.passwordHash, u.role, now)
    },
    /** Makes a live account staff, replacing its password hash when one is given. */
    makeStaff: (userId: string, passwordHash: string | null): boolean => promote.run(passwordHash, userId).changes === 1,
    /** True if a live account was tombstoned; false if none was live. */
    tombstone: (userId: string, now: number): boolean => tombstone.run(now, userId).changes === 1
  }
}
export type UserRepo = ReturnType<typeof makeUserRepo>
