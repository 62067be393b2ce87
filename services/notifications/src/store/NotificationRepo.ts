// SQL of the notifications database: contacts, notifications with their per-user sequence, deliveries.
import type { NotificationsApi } from "@bat/contracts"
import { Store, type Db } from "@bat/store"
import { Context, Effect, Layer } from "effect"
import {
  terminalKinds,
  type BookingFacts,
  type Money,
  type Notice,
  type NotificationKind,
  type ScreeningFacts,
  type TicketCode
} from "../domain/outcome.ts"

export interface NotificationRow {
  readonly notification_id: string
  readonly user_id: string
  readonly sequence: number
  readonly kind: NotificationsApi.NotificationKind
  readonly booking_id: string
  readonly screening_id: string | null
  readonly ticket_ids: string
  readonly seat_numbers: string
  readonly subject: string
  readonly message: string
  readonly channel: NotificationsApi.Channel
  readonly created_at: string
  readonly screening: string | null
  readonly amount: number | null
  readonly currency: string | null
}

export interface Contact {
  readonly userId: string
  readonly fullName: string | null
  readonly email: string | null
  readonly unregisteredAt: number | null
  readonly erasedAt: number | null
}

/** How a delivery ended: sent, skipped (nobody to send to), or failed for good. */
export type DeliverySettlement = "sent" | "skipped" | "failed"

export interface DueDelivery {
  readonly notificationId: string
  /** Whose notification it is: settling it may let that user's contact be erased. */
  readonly userId: string
  readonly kind: NotificationKind
  readonly bookingId: string
  readonly attempts: number
  readonly subject: string
  readonly message: string
  readonly screening: ScreeningFacts | undefined
  readonly seatNumbers: ReadonlyArray<string>
  readonly money: Money | undefined
  /** The tickets' codes, on a `booked` notice whose event carried them. */
  readonly ticketCodes: ReadonlyArray<TicketCode>
  readonly createdAt: string
  /** Null once the contact has been erased: the e-mail is then skipped. */
  readonly fullName: string | null
  readonly email: string | null
}

export interface NewNotification extends Notice {
  readonly notificationId: string
  readonly channel: NotificationsApi.Channel
  readonly createdAt: string
}

const TERMINAL = `(${terminalKinds.map((k) => `'${k}'`).join(", ")})`

/**
 * The erasure rule (DESIGN §3.1 "Erasure after telling"), for the contact `@userId`: booking's
 * UserBookingsClosed has been handled, every booking it listed has its final notice, and no e-mail
 * to the user is still pending (each one was sent, skipped or failed for good).
 */
const TOLD_EVERYTHING = `
  bookings_closed_at IS NOT NULL AND erased_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM erasure_bookings w WHERE w.user_id = @userId
    AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = w.booking_id AND n.kind IN ${TERMINAL}))
  AND NOT EXISTS (
    SELECT 1 FROM notifications n JOIN deliveries d ON d.notification_id = n.notification_id
    WHERE n.user_id = @userId AND d.status = 'pending')`

/** A stored screening column: its JSON, or undefined for rows made before notices named screenings. */
const screeningOf = (json: string | null | undefined): ScreeningFacts | undefined =>
  json ? (JSON.parse(json) as ScreeningFacts) : undefined

const makeRepo = (db: Db) => {
  const q = {
    insertContact: db.prepare(
      "INSERT INTO contacts (user_id, full_name, email) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING"
    ),
    tombstone: db.prepare(
      `INSERT INTO contacts (user_id, full_name, email, unregistered_at, erased_at) VALUES (?, NULL, NULL, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET unregistered_at = excluded.unregistered_at WHERE unregistered_at IS NULL`
    ),
    contact: db.prepare("SELECT user_id, full_name, email, unregistered_at, erased_at FROM contacts WHERE user_id = ?"),
    markBookingsClosed: db.prepare(
      "UPDATE contacts SET bookings_closed_at = ? WHERE user_id = ? AND bookings_closed_at IS NULL"
    ),
    awaitBooking: db.prepare("INSERT INTO erasure_bookings (user_id, booking_id) VALUES (?, ?) ON CONFLICT DO NOTHING"),
    eraseIfTold: db.prepare(
      `UPDATE contacts SET full_name = NULL, email = NULL, erased_at = @now WHERE user_id = @userId AND ${TOLD_EVERYTHING}`
    ),
    /** The cheap part of the erasure rule, by primary key: only such a contact can be erased. */
    awaitsErasure: db.prepare(
      "SELECT 1 FROM contacts WHERE user_id = ? AND bookings_closed_at IS NOT NULL AND erased_at IS NULL"
    ),
    forgetAwaited: db.prepare("DELETE FROM erasure_bookings WHERE user_id = ?"),
    awaitingErasure: db.prepare(
      `SELECT user_id FROM contacts WHERE bookings_closed_at IS NOT NULL AND erased_at IS NULL
       ORDER BY bookings_closed_at LIMIT ?`
    ).pluck(),
    userOfNotification: db.prepare("SELECT user_id FROM notifications WHERE notification_id = ?"),
    hasKind: db.prepare("SELECT 1 FROM notifications WHERE booking_id = ? AND kind = ?"),
    endedKind: db.prepare(
      `SELECT kind FROM notifications WHERE booking_id = ? AND kind IN ${TERMINAL} LIMIT 1`
    ),
    latestOfBooking: db.prepare(
      `SELECT screening_id, ticket_ids, seat_numbers FROM notifications
       WHERE booking_id = ? AND screening_id IS NOT NULL ORDER BY sequence DESC LIMIT 1`
    ),
    screeningOfBooking: db.prepare(
      "SELECT screening FROM notifications WHERE booking_id = ? AND screening IS NOT NULL ORDER BY sequence DESC LIMIT 1"
    ).pluck(),
    moneyOfBooking: db.prepare(
      `SELECT amount, currency FROM notifications
       WHERE booking_id = ? AND amount IS NOT NULL AND currency IS NOT NULL ORDER BY sequence DESC LIMIT 1`
    ),
    /** The user's next sequence number, counted in user_sequences (cheaper than MAX over the user's notifications). */
    nextSequence: db.prepare(
      `INSERT INTO user_sequences (user_id, last) VALUES (?, 1)
       ON CONFLICT (user_id) DO UPDATE SET last = last + 1 RETURNING last`
    ).pluck(),
    /** Gives back a number taken for a notification that turned out to exist already: sequences have no gaps. */
    returnSequence: db.prepare("UPDATE user_sequences SET last = last - 1 WHERE user_id = ?"),
    insertNotification: db.prepare(
      `INSERT INTO notifications (notification_id, user_id, sequence, kind, booking_id, screening_id, ticket_ids,
         seat_numbers, subject, message, channel, created_at, screening, amount, currency, ticket_codes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (booking_id, kind) DO NOTHING`
    ),
    insertDelivery: db.prepare(
      "INSERT INTO deliveries (notification_id, status, next_attempt_at) VALUES (?, 'pending', ?)"
    ),
    pageNewest: db.prepare("SELECT * FROM notifications WHERE user_id = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?"),
    after: db.prepare("SELECT * FROM notifications WHERE user_id = ? AND sequence > ? ORDER BY sequence ASC LIMIT ?"),
    due: db.prepare(
      `SELECT d.notification_id, n.user_id, n.kind, n.booking_id, d.attempts, n.subject, n.message, n.screening, n.seat_numbers,
         n.amount, n.currency, n.ticket_codes, n.created_at, c.full_name, c.email
       FROM deliveries d JOIN notifications n ON n.notification_id = d.notification_id
       LEFT JOIN contacts c ON c.user_id = n.user_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`
    ),
    // A failed settlement ends with a failed attempt: it counts, as a retried one does.
    settle: db.prepare(
      `UPDATE deliveries SET status = @status, settled_at = @now, last_error = @note,
         attempts = attempts + (CASE WHEN @status = 'failed' THEN 1 ELSE 0 END)
       WHERE notification_id = @notificationId AND status = 'pending'`
    ),
    retryLater: db.prepare(
      `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
       WHERE notification_id = ? AND status = 'pending'`
    ),
    nextDue: db.prepare("SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE status = 'pending'"),
    countByStatus: db.prepare("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
  }

  return {
    /** Adds a contact unless the user is known already (a tombstone is never resurrected). */
    addContact: (userId: string, fullName: string, email: string) =>
      Effect.sync(() => q.insertContact.run(userId, fullName, email).changes > 0),
    /** Marks the contact unregistered at `now` (or records a tombstone for a user never seen). */
    markUnregistered: (userId: string, now: number) => Effect.sync(() => q.tombstone.run(userId, now, now).changes > 0),
    contact: (userId: string) =>
      Effect.sync((): Contact | undefined => {
        const r = q.contact.get(userId) as
          | { user_id: string; full_name: string | null; email: string | null; unregistered_at: number | null; erased_at: number | null }
          | undefined
        return r && { userId: r.user_id, fullName: r.full_name, email: r.email, unregisteredAt: r.unregistered_at, erasedAt: r.erased_at }
      }),
    /**
     * Records booking's list of the bookings the user's unregistering ended; the contact is erased
     * once each has its final notice. Lists are merged, so a repeated list never shortens the wait.
     */
    awaitBookingsClosed: (userId: string, bookingIds: ReadonlyArray<string>, now: number) =>
      Effect.sync(() => {
        q.markBookingsClosed.run(now, userId)
        for (const bookingId of bookingIds) q.awaitBooking.run(userId, bookingId)
      }),
    /**
     * Erases the contact's name and e-mail if the erasure rule holds now; true when it did. Most users
     * are not waiting for erasure: a primary-key read rules them out before the rule's subqueries run.
     */
    eraseIfTold: (userId: string, now: number) =>
      Effect.sync(() => {
        if (q.awaitsErasure.get(userId) === undefined) return false
        if (q.eraseIfTold.run({ userId, now }).changes === 0) return false
        q.forgetAwaited.run(userId)
        return true
      }),
    /** Contacts whose erasure waits on notices or e-mails, the longest waiting first. */
    awaitingErasure: (limit: number) => Effect.sync(() => q.awaitingErasure.all(limit) as Array<string>),
    userOfNotification: (notificationId: string) =>
      Effect.sync(() => (q.userOfNotification.get(notificationId) as { user_id: string } | undefined)?.user_id),
    /** The terminal kind the booking already reached, if any. */
    endedAs: (bookingId: string) =>
      Effect.sync(() => (q.endedKind.get(bookingId) as { kind: NotificationsApi.NotificationKind } | undefined)?.kind),
    /** What the booking's earlier notices said (screening, seats, money), or undefined if there were none. */
    bookingFacts: (bookingId: string) =>
      Effect.sync((): BookingFacts | undefined => {
        const r = q.latestOfBooking.get(bookingId) as
          | { screening_id: string; ticket_ids: string; seat_numbers: string }
          | undefined
        const screening = screeningOf(q.screeningOfBooking.get(bookingId) as string | undefined)
        const m = q.moneyOfBooking.get(bookingId) as { amount: number; currency: string } | undefined
        if (!r && !screening && !m) return undefined
        return {
          booked: q.hasKind.get(bookingId, "booked") !== undefined,
          screeningId: r?.screening_id ?? null,
          ticketIds: r ? (JSON.parse(r.ticket_ids) as Array<string>) : [],
          seatNumbers: r ? (JSON.parse(r.seat_numbers) as Array<string>) : [],
          screening,
          money: m && { amount: m.amount, currency: m.currency }
        }
      }),
    /**
     * Inserts the notification with the user's next sequence number, and its delivery row when it
     * goes out by e-mail. Returns the sequence, or undefined if (booking, kind) exists already: the
     * UNIQUE (booking_id, kind) insert is the duplicate check (the idempotent inbox's second line).
     * Call inside a transaction: taking the number and the insert must not interleave.
     */
    insert: (n: NewNotification, now: number) =>
      Effect.sync((): number | undefined => {
        const sequence = q.nextSequence.get(n.userId) as number
        const inserted = q.insertNotification.run(
          n.notificationId,
          n.userId,
          sequence,
          n.kind,
          n.bookingId,
          n.screeningId,
          JSON.stringify(n.ticketIds),
          JSON.stringify(n.seatNumbers),
          n.subject,
          n.message,
          n.channel,
          n.createdAt,
          n.screening ? JSON.stringify(n.screening) : null,
          n.money?.amount ?? null,
          n.money?.currency ?? null,
          n.ticketCodes.length > 0 ? JSON.stringify(n.ticketCodes) : null
        )
        if (inserted.changes === 0) {
          q.returnSequence.run(n.userId)
          return undefined
        }
        if (n.channel === "email") q.insertDelivery.run(n.notificationId, now)
        return sequence
      }),
    /** Newest first, below `beforeSequence`. */
    page: (userId: string, beforeSequence: number, limit: number) =>
      Effect.sync(() => q.pageNewest.all(userId, beforeSequence, limit) as Array<NotificationRow>),
    /** Oldest first, after `sequence`: what a resuming stream has missed. */
    after: (userId: string, sequence: number, limit: number) =>
      Effect.sync(() => q.after.all(userId, sequence, limit) as Array<NotificationRow>),
    dueDeliveries: (now: number, limit: number) =>
      Effect.sync(() =>
        (
          q.due.all(now, limit) as Array<{
            notification_id: string
            user_id: string
            kind: NotificationKind
            booking_id: string
            attempts: number
            subject: string
            message: string
            screening: string | null
            seat_numbers: string
            amount: number | null
            currency: string | null
            ticket_codes: string | null
            created_at: string
            full_name: string | null
            email: string | null
          }>
        ).map(
          (r): DueDelivery => ({
            notificationId: r.notification_id,
            userId: r.user_id,
            kind: r.kind,
            bookingId: r.booking_id,
            attempts: r.attempts,
            subject: r.subject,
            message: r.message,
            screening: screeningOf(r.screening),
            seatNumbers: JSON.parse(r.seat_numbers) as Array<string>,
            money: r.amount !== null && r.currency !== null ? { amount: r.amount, currency: r.currency } : undefined,
            ticketCodes: r.ticket_codes ? (JSON.parse(r.ticket_codes) as Array<TicketCode>) : [],
            createdAt: r.created_at,
            fullName: r.full_name,
            email: r.email
          })
        )
      ),
    settleDelivery: (notificationId: string, status: DeliverySettlement, now: number, note: string | null) =>
      Effect.sync(() => q.settle.run({ status, now, note, notificationId }).changes > 0),
    retryDelivery: (notificationId: string, at: number, error: string) =>
      Effect.sync(() => q.retryLater.run(at, error.slice(0, 1_000), notificationId).changes > 0),
    nextDeliveryDue: Effect.sync(() => (q.nextDue.get() as { at: number | null }).at),
    /** How many deliveries are in each state (pending, sent, skipped, failed). */
    deliveryCounts: Effect.sync(() => {
      const counts = { pending: 0, sent: 0, skipped: 0, failed: 0 }
      for (const r of q.countByStatus.all() as Array<{ status: keyof typeof counts; n: number }>) counts[r.status] = r.n
      return counts
    })
  }
}

export class NotificationRepo extends Context.Service<NotificationRepo, ReturnType<typeof makeRepo>>()(
  "notifications/store/NotificationRepo"
) {
  static readonly layer = Layer.effect(
    NotificationRepo,
    Effect.map(Store, (store) => NotificationRepo.of(makeRepo(store.db)))
  )
}
