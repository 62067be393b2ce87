// HTTP request and response bodies of the notifications service.
import { Schema } from "effect"
import { IsoTimestamp, SeatNumber, Uuid } from "../primitives.ts"
import { Page, PageQuery } from "./common.ts"

/** What a notification tells the user about a booking (DESIGN §6 steps 6 and 9). */
export const NotificationKind = Schema.Literals([
  "reserved",
  "reservation_failed",
  "booked",
  "booking_failed",
  "cancelled",
  "refunded"
])
export type NotificationKind = typeof NotificationKind.Type

/** `email` when the user's address was known when the notification was made, else `none`. */
export const Channel = Schema.Literals(["email", "none"])
export type Channel = typeof Channel.Type

/** One notification about a booking's outcome; also the `data` of each `notification` event of the stream. */
export const Notification = Schema.Struct({
  notificationId: Uuid,
  kind: NotificationKind,
  bookingId: Uuid,
  /** Null only for a refund of a booking this service never heard of otherwise. */
  screeningId: Schema.NullOr(Uuid),
  ticketIds: Schema.Array(Uuid),
  seatNumbers: Schema.Array(SeatNumber),
  message: Schema.String,
  channel: Channel,
  createdAt: IsoTimestamp,
  /** Increasing per user; the SSE event id. */
  sequence: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})
export type Notification = typeof Notification.Type

/** `GET /notifications`: the caller's notifications, newest first. */
export const NotificationPage = Page(Notification)
export type NotificationPage = typeof NotificationPage.Type

/** `GET /notifications`: newest first. */
export const ListNotificationsQuery = PageQuery

/** The id of the last event a client received: a notification sequence, 0 for none. */
export const LAST_EVENT_ID = /^[0-9]{1,15}$/u
const Sequence = Schema.String.check(
  Schema.isPattern(LAST_EVENT_ID, { message: "Expected the id of the last event received, a non-negative integer" })
).annotate({ description: "Resume after this sequence, for clients that cannot send `Last-Event-ID` (the header wins)." })

/**
 * The `Last-Event-ID` header as the stream reads it: surrounding whitespace is ignored, and an empty
 * value counts as absent (then `?lastEventId=` applies); anything else is a 422 `invalid_last_event_id`.
 */
export const LastEventIdHeader = Schema.String.check(Schema.isPattern(/^\s*(?:[0-9]{1,15})?\s*$/u))

/**
 * `GET /notifications/stream`: `lastEventId` for clients that cannot set the `Last-Event-ID`
 * header. The token travels only in `Authorization` (a `?access_token=` is refused: URLs are logged).
 */
export const StreamQuery = Schema.Struct({
  lastEventId: Schema.optionalKey(Sequence)
})
export type StreamQuery = typeof StreamQuery.Type
