// The movies database: movies, revisioned on update and tombstoned on removal.
import type { Migration } from "@bat/store"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "movies",
    sql: `CREATE TABLE movies (
      movie_id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      genre TEXT NOT NULL,
      duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 600),
      revision INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      removed_at INTEGER
    ) WITHOUT ROWID;`
  }
]
