// The cinemas database: cinemas (tombstoned on delete, revisioned on update) and their halls.
import type { Migration } from "@bat/store"

/** The migrations, with `defaultTimeZone` (an IANA name, already validated) for cinemas created before zones. */
export const migrationsFor = (defaultTimeZone: string): ReadonlyArray<Migration> => [
  {
    version: 1,
    name: "cinemas_and_halls",
    sql: `CREATE TABLE cinemas (
      cinema_id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      address TEXT NOT NULL,
      revision INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      deleted_at INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE halls (
      hall_id TEXT PRIMARY KEY,
      cinema_id TEXT NOT NULL REFERENCES cinemas(cinema_id),
      name TEXT NOT NULL,
      rows TEXT NOT NULL,
      capacity INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX halls_name_per_cinema ON halls(cinema_id, name COLLATE NOCASE);`
  },
  {
    version: 2,
    name: "cinema_time_zone",
    sql: `ALTER TABLE cinemas ADD COLUMN time_zone TEXT NOT NULL DEFAULT '${defaultTimeZone.replaceAll("'", "''")}';`
  }
]
