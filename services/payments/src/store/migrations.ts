// Numbered schema changes of the payments database.
import type { Migration } from "@bat/store"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "payments",
    sql: `CREATE TABLE payments (
      payment_id TEXT PRIMARY KEY,
      booking_id TEXT NOT NULL UNIQUE,
      user_id TEXT NOT NULL,
      amount INTEGER NOT NULL,
      currency TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending','charging','succeeded','failed','expired','cancelled','refunded')),
      deadline INTEGER NOT NULL,
      reason TEXT CHECK (reason IS NULL OR reason IN ('declined','insufficient_funds','expired')),
      card_last4 TEXT CHECK (card_last4 IS NULL OR length(card_last4) = 4),
      transaction_date TEXT,
      claimed_at INTEGER,
      refund_requested INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX payments_by_user ON payments(user_id);
    -- the sweeper's queries: overdue holds, stuck charges, refunds still to do
    CREATE INDEX payments_status_deadline ON payments(status, deadline);
    CREATE INDEX payments_status_claimed ON payments(status, claimed_at);
    CREATE INDEX payments_refunds_due ON payments(status) WHERE refund_requested = 1;
    -- bookings cancelled before their reservation reached payments: a late TicketReserved stays closed
    CREATE TABLE closed_bookings (booking_id TEXT PRIMARY KEY, closed_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE idempotency_keys (
      user_id TEXT NOT NULL,
      route TEXT NOT NULL,
      key TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      payment_id TEXT NOT NULL,
      response TEXT,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, route, key)
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
    CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`
  },
  {
    // The trace context of the reservation that opened the hold: paying it continues the booking's trace.
    version: 2,
    name: "payments_trace_parent",
    sql: "ALTER TABLE payments ADD COLUMN trace_parent TEXT"
  },
  {
    // No card data derived from the CVC at rest (DESIGN §17): the old request fingerprints hashed the card number,
    // expiry and CVC with a key kept in this very file, so they are blanked (a blank fingerprint matches any body
    // for the key's remaining hours) and the key is dropped; secure_delete zeroes the freed bytes, and the service
    // checkpoints and truncates the WAL at start. The card's brand is kept beside its last four digits.
    version: 3,
    name: "payments_card_fingerprint_v2",
    sql: `PRAGMA secure_delete = ON;
    UPDATE idempotency_keys SET request_hash = '';
    DROP TABLE secrets;
    ALTER TABLE payments ADD COLUMN card_brand TEXT;`
  }
]
