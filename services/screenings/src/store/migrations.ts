// Numbered schema changes of the screenings database.
import type { Migration } from "@bat/store"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "catalog projections: halls, deleted cinemas, movies",
    sql: `CREATE TABLE halls (
      hall_id TEXT PRIMARY KEY,
      cinema_id TEXT NOT NULL,
      name TEXT NOT NULL,
      rows_json TEXT NOT NULL,
      capacity INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX halls_cinema ON halls(cinema_id);
    CREATE TABLE deleted_cinemas (
      cinema_id TEXT PRIMARY KEY,
      deleted_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- removed = 1 is a tombstone: a movie once removed is never brought back by a late event.
    CREATE TABLE movies (
      movie_id TEXT PRIMARY KEY,
      revision INTEGER NOT NULL,
      title TEXT,
      genre TEXT,
      duration_minutes INTEGER,
      removed INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;`
  },
  {
    version: 2,
    name: "screenings",
    sql: `CREATE TABLE screenings (
      screening_id TEXT PRIMARY KEY,
      movie_id TEXT NOT NULL,
      cinema_id TEXT NOT NULL,
      hall_id TEXT NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL,
      price_amount INTEGER NOT NULL,
      price_currency TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
      revision INTEGER NOT NULL,
      cancel_reason TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX screenings_active ON screenings(starts_at, screening_id) WHERE status = 'scheduled';
    CREATE INDEX screenings_hall ON screenings(hall_id, starts_at) WHERE status = 'scheduled';
    CREATE INDEX screenings_movie ON screenings(movie_id, starts_at) WHERE status = 'scheduled';
    CREATE INDEX screenings_cinema ON screenings(cinema_id, starts_at) WHERE status = 'scheduled';`
  },
  {
    version: 3,
    name: "seat status by ticket",
    sql: `CREATE TABLE seat_tickets (
      ticket_id TEXT PRIMARY KEY,
      screening_id TEXT NOT NULL,
      seat_number TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('reserved', 'booked', 'failed', 'cancelled')),
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX seat_tickets_live ON seat_tickets(screening_id) WHERE status IN ('reserved', 'booked');`
  },
  {
    version: 4,
    name: "cinemas projection: names, addresses, time zones",
    // time_zone is null for a cinema announced before cinemas had zones: the default zone then.
    sql: `CREATE TABLE cinemas (
      cinema_id TEXT PRIMARY KEY,
      revision INTEGER NOT NULL,
      name TEXT NOT NULL,
      address TEXT NOT NULL,
      time_zone TEXT
    ) WITHOUT ROWID;`
  },
  {
    version: 5,
    name: "seat map versions and their change log",
    // One version per screening, +1 for each applied event that changed a seat's status; each change is
    // kept (bounded, pruned in the background) so a live seat map can resume with exactly what it missed.
    sql: `CREATE TABLE seat_map_versions (
      screening_id TEXT PRIMARY KEY,
      version INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE seat_changes (
      screening_id TEXT NOT NULL,
      version INTEGER NOT NULL,
      changes TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (screening_id, version)
    ) WITHOUT ROWID;
    CREATE INDEX seat_changes_created_at ON seat_changes(created_at);
    CREATE INDEX seat_tickets_seat ON seat_tickets(screening_id, seat_number);`
  }
]
