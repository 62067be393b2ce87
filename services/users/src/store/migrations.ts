// The users database: accounts (tombstoned on unregister) and the persisted token signing key.
import type { Migration } from "@bat/store"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "users",
    sql: `CREATE TABLE users (
      user_id TEXT PRIMARY KEY,
      full_name TEXT NOT NULL,
      email TEXT,
      password_hash TEXT,
      role TEXT NOT NULL CHECK (role IN ('customer', 'staff')),
      created_at INTEGER NOT NULL,
      unregistered_at INTEGER
    ) WITHOUT ROWID;
    -- An e-mail belongs to at most one live account; a tombstone releases it.
    CREATE UNIQUE INDEX users_live_email ON users(email) WHERE unregistered_at IS NULL;`
  },
  {
    version: 2,
    name: "signing_keys",
    sql: `CREATE TABLE signing_keys (
      kid TEXT PRIMARY KEY,
      public_jwk TEXT NOT NULL,
      private_jwk TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;`
  }
]
