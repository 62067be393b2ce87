// The notifications use cases: contact projection and its erasure, one notification per booking outcome,
// listing, delivery bookkeeping.
import { Ids, toIso, type EventData, type NotificationsApi } from "@bat/contracts"
import { Store } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { noticeOf, type Outcome } from "../domain/outcome.ts"
import { NotificationRepo, type DeliverySettlement, type NotificationRow } from "../store/NotificationRepo.ts"
import { NotificationFeed } from "./NotificationFeed.ts"

export type RecordResult = "recorded" | "duplicate" | "stale"

/** What became of a delivery after an attempt, and whose contact data that let us erase. */
export interface DeliveryResult {
  /** `pending` while it will be tried again; unchanged if an earlier pass had settled it already. */
  readonly status: "pending" | DeliverySettlement
  readonly erasedContactOf: string | undefined
}

/** A failed attempt to send a delivery's e-mail. */
export interface DeliveryFailure {
  readonly attempts: number
  readonly error: string
  /** The mail server refused for good (an SMTP 5xx reply): trying again cannot help. */
  readonly permanent: boolean
  /** When the notification was made; a delivery still failing `giveUpAfterMs` later fails for good. */
  readonly createdAt: string
}

/** What one attempt in a delivery pass came to, to be settled with the rest of the pass. */
export type DeliveryAttempt =
  | { readonly notificationId: string; readonly userId: string; readonly outcome: "sent" | "skipped"; readonly note: string | null }
  | { readonly notificationId: string; readonly userId: string; readonly outcome: "failed"; readonly failure: DeliveryFailure }

/** What a pass's settlement did: each attempt's resulting status (in order), and whose contacts it erased. */
export interface PassSettlement {
  readonly statuses: ReadonlyArray<"pending" | DeliverySettlement>
  readonly erasedContactsOf: ReadonlyArray<string>
}

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

/** How a temporarily failing delivery is retried, and for how long. */
export interface RetryPolicy {
  /** The first retry's delay; each further one doubles it… */
  readonly retryMinMs: number
  /** …up to this. */
  readonly retryMaxMs: number
  /** A delivery still failing this long after its notification was made fails for good. */
  readonly giveUpAfterMs: number
}

/** Delivery retry delay after `attempts` failures (1, 2, ...): `minMs` doubling to at most `maxMs`. */
export const deliveryBackoffMs = (attempts: number, minMs: number, maxMs: number): number =>
  Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)))

/**
 * What a failed attempt leads to: `failed` for good when the server refused for good or the notification
 * is older than `giveUpAfterMs` (so an address is never kept forever for an e-mail that cannot go out),
 * else another try at `at`, backing off.
 */
export const afterFailure = (
  failure: DeliveryFailure,
  policy: RetryPolicy,
  now: number
): { readonly status: "failed"; readonly note: string } | { readonly status: "pending"; readonly at: number } => {
  const age = now - Date.parse(failure.createdAt)
  if (failure.permanent || age >= policy.giveUpAfterMs) {
    const why = failure.permanent ? "refused permanently" : `given up after ${failure.attempts} attempt(s)`
    return { status: "failed", note: `${why}: ${failure.error}`.slice(0, 1_000) }
  }
  // The last retry is not put off past the give-up time: it is tried then, and fails for good if it fails.
  const at = Math.min(
    now + deliveryBackoffMs(failure.attempts, policy.retryMinMs, policy.retryMaxMs),
    Math.max(now, Date.parse(failure.createdAt) + policy.giveUpAfterMs)
  )
  return { status: "pending", at }
}

/**
 * Whether the notice needs what the booking's earlier notices said: a refund (which names nothing but
 * money), a booked or cancelled one (the amount paid), or any event that does not carry the screening.
 */
const needsEarlierNotices = (o: Outcome): boolean =>
  o.kind === "refunded" || o.kind === "booked" || o.kind === "cancelled" || o.screening === undefined

const make = Effect.gen(function* () {
  const store = yield* Store
  const ids = yield* Ids
  const repo = yield* NotificationRepo
  const feed = yield* NotificationFeed

  /** UserRegistered: keep the name and address to write to; a tombstone stays a tombstone. */
  const registerContact = Effect.fn("Notifications.registerContact")(function* (data: EventData<"UserRegistered">) {
    yield* repo.addContact(data.userId, data.fullName, data.email)
  })

  /**
   * UserUnregistered: the contact becomes a tombstone (a late UserRegistered never revives it), but
   * its name and address stay: booking answers the same event by ending the user's open bookings,
   * and those notices are still to be e-mailed. Erasure waits for booking's UserBookingsClosed.
   */
  const unregisterContact = Effect.fn("Notifications.unregisterContact")(function* (userId: string) {
    const now = yield* Clock.currentTimeMillis
    yield* repo.markUnregistered(userId, now)
  })

  /**
   * UserBookingsClosed: the list of bookings the unregistering ended. The contact is erased now if
   * each already has its final notice and no e-mail to the user is pending, else when the last one
   * settles. It may overtake a TicketCancelled that is being retried: that booking simply stays
   * awaited. Returns whether the contact was erased now.
   */
  const userBookingsClosed = Effect.fn("Notifications.userBookingsClosed")(function* (
    data: EventData<"UserBookingsClosed">
  ) {
    const now = yield* Clock.currentTimeMillis
    // Booking only sends this after UserUnregistered, which may still be on its way here.
    yield* repo.markUnregistered(data.userId, now)
    const contact = yield* repo.contact(data.userId)
    if (contact === undefined || contact.erasedAt !== null) return false
    yield* repo.awaitBookingsClosed(data.userId, data.bookingIds, now)
    return yield* repo.eraseIfTold(data.userId, now)
  })

  /**
   * The safety sweep: applies the same erasure rule to every contact still waiting. Every change
   * that can make the rule hold checks it in its own transaction already; this only covers what no
   * event will touch again (contacts unregistered before the rule existed).
   */
  const eraseToldContacts = Effect.fn("Notifications.eraseToldContacts")(function* (limit = 500) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.gen(function* () {
        const erased: Array<string> = []
        for (const userId of yield* repo.awaitingErasure(limit)) {
          if (yield* repo.eraseIfTold(userId, now)) erased.push(userId)
        }
        return erased
      })
    )
  })

  /** Settles the delivery and, in the same transaction, erases its user's contact if that was the last thing owed. */
  const settle = (notificationId: string, status: DeliverySettlement, note: string | null, now: number) =>
    store.transaction(
      Effect.gen(function* () {
        if (!(yield* repo.settleDelivery(notificationId, status, now, note))) {
          return { status, erasedContactOf: undefined } as DeliveryResult
        }
        const userId = yield* repo.userOfNotification(notificationId)
        const erased = userId !== undefined && (yield* repo.eraseIfTold(userId, now))
        return { status, erasedContactOf: erased ? userId : undefined } as DeliveryResult
      })
    )

  /**
   * One notification per (booking, kind), with the user's next sequence number and, when the
   * address is known, a delivery row, all in the caller's transaction. A `reserved` notice for a
   * booking already seen ending is stale and dropped; a second one of the same (booking, kind) is a
   * duplicate (its insert does nothing) and changes nothing.
   */
  const record = Effect.fn("Notifications.record")(function* (outcome: Outcome) {
    if (outcome.kind === "reserved" && (yield* repo.endedAs(outcome.bookingId)) !== undefined) return "stale" as RecordResult
    // Earlier notices of the booking fill what this event does not say (a refund's screening, the amount
    // charged); they are read only for the kinds and events that can lack something.
    const notice = noticeOf(outcome, needsEarlierNotices(outcome) ? yield* repo.bookingFacts(outcome.bookingId) : undefined)
    const contact = yield* repo.contact(outcome.userId)
    const now = yield* Clock.currentTimeMillis
    const sequence = yield* repo.insert(
      {
        ...notice,
        notificationId: ids.next(),
        channel: contact?.email ? "email" : "none",
        createdAt: toIso(now)
      },
      now
    )
    if (sequence === undefined) return "duplicate" as RecordResult
    feed.changed(outcome.userId)
    return "recorded" as RecordResult
  })

  /**
   * The user's notifications, newest first: `limit` of them with a sequence below `after` (from the
   * newest without one); `next` continues after this page.
   */
  const list = Effect.fn("Notifications.list")(function* (
    userId: string,
    page: { readonly limit: number; readonly after: number | undefined }
  ) {
    const before = page.after ?? Number.MAX_SAFE_INTEGER
    const rows = yield* repo.page(userId, before, page.limit + 1)
    const items = rows.slice(0, page.limit).map(toNotification)
    const last = items.at(-1)
    return {
      items,
      next: rows.length > page.limit && last ? last.sequence : null
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
    return yield* settle(notificationId, status, note, now)
  })

  /**
   * A failed attempt: retried with backoff, or settled `failed` when the server refused for good or
   * the notification is older than `giveUpAfterMs` (so an address is never kept forever for an
   * e-mail that cannot go out).
   */
  const deliveryFailed = Effect.fn("Notifications.deliveryFailed")(function* (
    notificationId: string,
    failure: DeliveryFailure,
    policy: RetryPolicy
  ) {
    const now = yield* Clock.currentTimeMillis
    const next = afterFailure(failure, policy, now)
    if (next.status === "failed") return yield* settle(notificationId, "failed", next.note, now)
    yield* repo.retryDelivery(notificationId, next.at, failure.error)
    return { status: "pending", erasedContactOf: undefined } as DeliveryResult
  })

  /**
   * A whole delivery pass in one transaction: each delivery settled (or put off for a retry) as
   * `deliverySettled`/`deliveryFailed` would, then the erasure rule checked once for each user whose
   * delivery settled here — still in the transaction that settles the user's last owed delivery.
   */
  const settlePass = Effect.fn("Notifications.settlePass")(function* (
    attempts: ReadonlyArray<DeliveryAttempt>,
    policy: RetryPolicy
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.gen(function* () {
        const statuses: Array<"pending" | DeliverySettlement> = []
        const settledUsers = new Set<string>()
        for (const a of attempts) {
          if (a.outcome !== "failed") {
            if (yield* repo.settleDelivery(a.notificationId, a.outcome, now, a.note)) settledUsers.add(a.userId)
            statuses.push(a.outcome)
            continue
          }
          const next = afterFailure(a.failure, policy, now)
          if (next.status === "failed") {
            if (yield* repo.settleDelivery(a.notificationId, "failed", now, next.note)) settledUsers.add(a.userId)
          } else yield* repo.retryDelivery(a.notificationId, next.at, a.failure.error)
          statuses.push(next.status)
        }
        const erasedContactsOf: Array<string> = []
        for (const userId of settledUsers) if (yield* repo.eraseIfTold(userId, now)) erasedContactsOf.push(userId)
        return { statuses, erasedContactsOf } as PassSettlement
      })
    )
  })

  /** How many e-mails are pending, sent, skipped and failed, for /ready. */
  const deliveryCounts = Effect.fn("Notifications.deliveryCounts")(function* () {
    return yield* repo.deliveryCounts
  })

  return {
    deliveryCounts,
    registerContact,
    unregisterContact,
    userBookingsClosed,
    eraseToldContacts,
    record,
    list,
    since,
    dueDeliveries,
    deliverySettled,
    deliveryFailed,
    settlePass
  }
})

export class Notifications extends Context.Service<Notifications, Effect.Success<typeof make>>()(
  "notifications/app/Notifications"
) {
  static readonly layer = Layer.effect(Notifications, make)
}
