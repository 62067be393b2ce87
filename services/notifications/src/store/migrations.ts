// Numbered schema changes of the notifications database.
import type { Migration } from "@bat/store"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "contacts, notifications and deliveries",
    sql: `
    -- Projection of users.events. A row with unregistered_at set is a tombstone: a late
    -- UserRegistered never brings it back. full_name/email are erased (NULL) after a grace period.
    CREATE TABLE contacts (
      user_id TEXT PRIMARY KEY,
      full_name TEXT,
      email TEXT,
      unregistered_at INTEGER,
      erased_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX contacts_erase_due ON contacts(unregistered_at)
      WHERE unregistered_at IS NOT NULL AND erased_at IS NULL;

    CREATE TABLE notifications (
      notification_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      sequence INTEGER NOT NULL,
      kind TEXT NOT NULL,
      booking_id TEXT NOT NULL,
      screening_id TEXT,
      ticket_ids TEXT NOT NULL,
      seat_numbers TEXT NOT NULL,
      subject TEXT NOT NULL,
      message TEXT NOT NULL,
      channel TEXT NOT NULL CHECK (channel IN ('email', 'none')),
      created_at TEXT NOT NULL,
      UNIQUE (user_id, sequence),
      UNIQUE (booking_id, kind)
    ) WITHOUT ROWID;

    -- One e-mail to send per notification with channel 'email'; committed with the notification.
    CREATE TABLE deliveries (
      notification_id TEXT PRIMARY KEY REFERENCES notifications(notification_id),
      status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'skipped')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      settled_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
    `
  },
  {
    version: 2,
    name: "erasure after telling; deliveries that fail permanently",
    sql: `
    -- When booking's UserBookingsClosed was handled: from then on the contact is erased as soon as
    -- every booking it listed has its final notice and no e-mail to the user is still pending.
    ALTER TABLE contacts ADD COLUMN bookings_closed_at INTEGER;
    -- Contacts unregistered under the former timer rule get no UserBookingsClosed (it did not exist):
    -- they wait only for the e-mail still pending to them.
    UPDATE contacts SET bookings_closed_at = unregistered_at WHERE unregistered_at IS NOT NULL AND erased_at IS NULL;
    DROP INDEX contacts_erase_due;
    CREATE INDEX contacts_awaiting_erasure ON contacts(bookings_closed_at)
      WHERE bookings_closed_at IS NOT NULL AND erased_at IS NULL;

    -- The bookings a UserBookingsClosed listed, kept until the contact is erased.
    CREATE TABLE erasure_bookings (
      user_id TEXT NOT NULL,
      booking_id TEXT NOT NULL,
      PRIMARY KEY (user_id, booking_id)
    ) WITHOUT ROWID;

    -- A delivery can now end 'failed' (permanent SMTP rejection, or retried past its lifetime).
    CREATE TABLE deliveries_v2 (
      notification_id TEXT PRIMARY KEY REFERENCES notifications(notification_id),
      status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      settled_at INTEGER
    ) WITHOUT ROWID;
    INSERT INTO deliveries_v2 (notification_id, status, attempts, next_attempt_at, last_error, settled_at)
      SELECT notification_id, status, attempts, next_attempt_at, last_error, settled_at FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v2 RENAME TO deliveries;
    CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
    `
  },
  {
    version: 3,
    name: "notices name their screening and money",
    sql: `
    -- The screening facts (JSON: screeningId, startsAt, movieTitle, cinemaName, hallName, timeZone) and
    -- the money a notice spoke of, so later notices of the same booking (a refund, a confirmation) can
    -- name them too. NULL on rows made before, which then say "your screening".
    ALTER TABLE notifications ADD COLUMN screening TEXT;
    ALTER TABLE notifications ADD COLUMN amount INTEGER;
    ALTER TABLE notifications ADD COLUMN currency TEXT;
    `
  },
  {
    version: 4,
    name: "the booked e-mail carries each ticket's code",
    sql: `
    -- JSON [{ticketId, seatNumber, code}] on a 'booked' notice whose TicketBooked carried codes (DESIGN §10):
    -- the e-mail shows each as a QR code and in text. Never part of the list or the stream.
    ALTER TABLE notifications ADD COLUMN ticket_codes TEXT;
    `
  },
  {
    version: 5,
    name: "each user's last notification sequence number",
    sql: `
    -- The last sequence number given to each user's notifications: the next one is taken by an upsert
    -- instead of MAX(sequence) over the user's notifications.
    CREATE TABLE user_sequences (
      user_id TEXT PRIMARY KEY,
      last INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO user_sequences (user_id, last) SELECT user_id, MAX(sequence) FROM notifications GROUP BY user_id;
    `
  }
]
