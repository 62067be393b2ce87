// The notifications use cases: contact projection, one notification per booking outcome, listing, delivery bookkeeping.
import { decodeCursor, encodeCursor, newId, toIso, type EventData, type NotificationsApi } from "@bat/contracts"
import { Clock, Context, Effect, Layer } from "effect"
import { CursorInvalid } from "../domain/errors.ts"
import { noticeOf, type Outcome } from "../domain/outcome.ts"
import { NotificationRepo, type NotificationRow } from "../store/NotificationRepo.ts"
import { NotificationFeed } from "./NotificationFeed.ts"

export type RecordResult = "recorded" | "duplicate" | "stale"

export const toNotification = (r: NotificationRow): NotificationsApi.Notification => ({
  notificationId: r.notification_id,
  kind: r.kind,
  bookingId: r.booking_id,
  screeningId: r.screening_id,
  ticketIds: JSON.parse(r.ticket_ids) as Array<string>,
  seatNumbers: JSON.parse(r.seat_numbers) as Array<string>,
  message: r.message,
  channel: r.channel,
  createdAt: r.created_at,
  sequence: r.sequence
})

const SEQUENCE = /^\d{1,15}$/

/** Delivery retry delay after `attempts` failures (1, 2, ...): 1 s doubling to at most 60 s; never given up. */
export const deliveryBackoffMs = (attempts: number): number => Math.min(60_000, 1_000 * 2 ** Math.max(0, Math.min(attempts - 1, 6)))

const make = Effect.gen(function* () {
  const repo = yield* NotificationRepo
  const feed = yield* NotificationFeed

  /** UserRegistered: keep the name and address to write to; a tombstone stays a tombstone. */
  const registerContact = Effect.fn("Notifications.registerContact")(function* (data: EventData<"UserRegistered">) {
    yield* repo.addContact(data.userId, data.fullName, data.email)
  })

  /**
   * UserUnregistered: the contact is only marked. Its name and address stay for the grace period,
   * so that the cancellations booking emits in response can still be e-mailed; the sweeper erases them.
   */
  const unregisterContact = Effect.fn("Notifications.unregisterContact")(function* (userId: string) {
    const now = yield* Clock.currentTimeMillis
    yield* repo.markUnregistered(userId, now)
  })

  /** Erases name and e-mail of contacts unregistered more than `graceMs` ago. */
  const eraseExpiredContacts = Effect.fn("Notifications.eraseExpiredContacts")(function* (graceMs: number) {
    const now = yield* Clock.currentTimeMillis
    return yield* repo.eraseUnregisteredBefore(now - graceMs, now)
  })

  /**
   * One notification per (booking, kind), with the user's next sequence number and, when the
   * address is known, a delivery row, all in the caller's transaction. A `reserved` notice for a
   * booking already seen ending is stale and dropped.
   */
  const record = Effect.fn("Notifications.record")(function* (outcome: Outcome) {
    if (yield* repo.hasNotification(outcome.bookingId, outcome.kind)) return "duplicate" as RecordResult
    if (outcome.kind === "reserved" && (yield* repo.endedAs(outcome.bookingId)) !== undefined) return "stale" as RecordResult
    const facts = outcome.kind === "refunded" ? yield* repo.bookingFacts(outcome.bookingId) : undefined
    const notice = noticeOf(outcome.kind === "refunded" && facts ? { ...outcome, booking: facts } : outcome)
    const contact = yield* repo.contact(outcome.userId)
    const now = yield* Clock.currentTimeMillis
    const sequence = yield* repo.insert(
      {
        ...notice,
        notificationId: newId(),
        channel: contact?.email ? "email" : "none",
        createdAt: toIso(now)
      },
      now
    )
    if (sequence === undefined) return "duplicate" as RecordResult
    feed.changed(outcome.userId)
    return "recorded" as RecordResult
  })

  /** The user's notifications, newest first. */
  const list = Effect.fn("Notifications.list")(function* (
    userId: string,
    page: { readonly limit: number; readonly cursor?: string | undefined }
  ) {
    const key = decodeCursor(page.cursor)
    if (key !== undefined && !SEQUENCE.test(key)) {
      return yield* new CursorInvalid({ message: "The cursor is not one this service handed out." })
    }
    const before = key === undefined ? Number.MAX_SAFE_INTEGER : Number(key)
    const rows = yield* repo.page(userId, before, page.limit + 1)
    const items = rows.slice(0, page.limit).map(toNotification)
    const last = items.at(-1)
    return {
      items,
      nextCursor: rows.length > page.limit && last ? encodeCursor(String(last.sequence)) : null
    }
  })

  /** The user's notifications after `sequence`, oldest first: what a (re)connecting stream sends. */
  const since = Effect.fn("Notifications.since")(function* (userId: string, sequence: number, limit: number) {
    return (yield* repo.after(userId, sequence, limit)).map(toNotification)
  })

  const dueDeliveries = Effect.fn("Notifications.dueDeliveries")(function* (limit: number) {
    const now = yield* Clock.currentTimeMillis
    return yield* repo.dueDeliveries(now, limit)
  })

  const deliverySettled = Effect.fn("Notifications.deliverySettled")(function* (
    notificationId: string,
    status: "sent" | "skipped",
    note: string | null
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* repo.settleDelivery(notificationId, status, now, note)
  })

  const deliveryFailed = Effect.fn("Notifications.deliveryFailed")(function* (
    notificationId: string,
    attempts: number,
    error: string
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* repo.retryDelivery(notificationId, now + deliveryBackoffMs(attempts), error)
  })

  return {
    registerContact,
    unregisterContact,
    eraseExpiredContacts,
    record,
    list,
    since,
    dueDeliveries,
    deliverySettled,
    deliveryFailed
  }
})

export class Notifications extends Context.Service<Notifications, Effect.Success<typeof make>>()(
  "notifications/app/Notifications"
) {}

export const NotificationsLive = Layer.effect(Notifications, make)
