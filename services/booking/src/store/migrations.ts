// The booking database: the screenings projection, unregistered users, bookings, tickets, idempotency keys,
// the ticket signing key and the payments booking has seen.
import type { Migration } from "@bat/store"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "screenings projection",
    // A row may exist before ScreeningScheduled is seen (an update or a cancellation that overtook it):
    // `seats_known` says whether the seat list has arrived. A cancelled row is a tombstone: nothing
    // sets status back to 'scheduled'.
    sql: `CREATE TABLE screenings (
      screening_id TEXT PRIMARY KEY,
      revision INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
      starts_at INTEGER,
      ends_at INTEGER,
      price_amount INTEGER,
      currency TEXT,
      seats_known INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE screening_seats (
      screening_id TEXT NOT NULL,
      seat_number TEXT NOT NULL,
      PRIMARY KEY (screening_id, seat_number)
    ) WITHOUT ROWID;
    CREATE TABLE unregistered_users (
      user_id TEXT PRIMARY KEY,
      unregistered_at INTEGER NOT NULL
    ) WITHOUT ROWID;`
  },
  {
    version: 2,
    name: "bookings and tickets",
    // The seat rule lives in the database as well as in the code: at most one live ticket per seat.
    sql: `CREATE TABLE bookings (
      booking_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      screening_id TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'reserved', 'booked', 'failed', 'cancelled')),
      seat_numbers TEXT NOT NULL,
      seat_count INTEGER NOT NULL,
      amount INTEGER,
      currency TEXT,
      expires_at INTEGER,
      reason TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX bookings_by_user ON bookings(user_id, booking_id);
    CREATE INDEX bookings_live_by_user_screening ON bookings(user_id, screening_id, seat_count)
      WHERE status IN ('reserved', 'booked');
    CREATE INDEX bookings_live_by_screening ON bookings(screening_id) WHERE status IN ('reserved', 'booked');
    CREATE TABLE tickets (
      ticket_id TEXT PRIMARY KEY,
      booking_id TEXT NOT NULL REFERENCES bookings(booking_id),
      screening_id TEXT NOT NULL,
      seat_number TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('reserved', 'booked', 'failed', 'cancelled')),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX tickets_one_live_per_seat ON tickets(screening_id, seat_number)
      WHERE status IN ('reserved', 'booked');
    CREATE INDEX tickets_by_booking ON tickets(booking_id);`
  },
  {
    version: 3,
    name: "idempotency keys",
    sql: `CREATE TABLE idempotency_keys (
      user_id TEXT NOT NULL,
      route TEXT NOT NULL,
      key TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      status_code INTEGER NOT NULL,
      response TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, route, key)
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);`
  },
  {
    version: 4,
    name: "screening names",
    // The names a person reads (DESIGN §9), as of the newest ScreeningScheduled/ScreeningUpdated that
    // carried them; null until an event names them (screenings announced before the names were published).
    sql: `ALTER TABLE screenings ADD COLUMN movie_title TEXT;
    ALTER TABLE screenings ADD COLUMN cinema_name TEXT;
    ALTER TABLE screenings ADD COLUMN hall_name TEXT;
    ALTER TABLE screenings ADD COLUMN time_zone TEXT;`
  },
  {
    version: 5,
    name: "ticket codes and admissions",
    // The key that signs ticket codes (DESIGN §10), generated once; each booked ticket keeps its code and,
    // once admitted at the door, when (set once: the guarded UPDATE of a check-in).
    sql: `CREATE TABLE signing_keys (
      kid TEXT PRIMARY KEY,
      public_jwk TEXT NOT NULL,
      private_jwk TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    ALTER TABLE tickets ADD COLUMN code TEXT;
    ALTER TABLE tickets ADD COLUMN admitted_at INTEGER;`
  },
  {
    version: 6,
    name: "sales report facts",
    // The cinema of each screening (day reports per cinema), and every payment and refund payments
    // announced, by payment id (a redelivery or a refund that overtakes its payment lands on the same row).
    sql: `ALTER TABLE screenings ADD COLUMN cinema_id TEXT;
    CREATE INDEX screenings_by_start ON screenings(starts_at);
    CREATE TABLE booking_payments (
      payment_id TEXT PRIMARY KEY,
      booking_id TEXT NOT NULL,
      amount INTEGER NOT NULL,
      currency TEXT NOT NULL,
      succeeded_at INTEGER,
      refunded_amount INTEGER,
      refunded_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX booking_payments_by_booking ON booking_payments(booking_id);`
  },
  {
    version: 7,
    name: "held seats per account and client address",
    // Quotas on live holds (DESIGN §17): the seats of a user's pending and reserved bookings across screenings, and
    // of a client address (a keyed hash of it, kept only while the hold lives: the trigger forgets it once the
    // booking is booked, failed or cancelled).
    sql: `ALTER TABLE bookings ADD COLUMN client_key TEXT;
    CREATE INDEX bookings_open_by_user ON bookings(user_id, seat_count) WHERE status IN ('pending', 'reserved');
    CREATE INDEX bookings_open_by_client ON bookings(client_key, seat_count)
      WHERE status IN ('pending', 'reserved') AND client_key IS NOT NULL;
    CREATE TRIGGER bookings_forget_client AFTER UPDATE OF status ON bookings
      WHEN NEW.client_key IS NOT NULL AND NEW.status NOT IN ('pending', 'reserved')
    BEGIN
      UPDATE bookings SET client_key = NULL WHERE booking_id = NEW.booking_id;
    END;`
  }
]
