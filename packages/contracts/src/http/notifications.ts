// HTTP request and response bodies of the notifications service.
import { Schema } from "effect"
import { IsoDateTime, Uuid } from "../primitives.ts"
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

export const Notification = Schema.Struct({
  notificationId: Uuid,
  kind: NotificationKind,
  bookingId: Uuid,
  /** Null only for a refund of a booking this service never heard of otherwise. */
  screeningId: Schema.NullOr(Uuid),
  ticketIds: Schema.Array(Uuid),
  seatNumbers: Schema.Array(Schema.String),
  message: Schema.String,
  channel: Channel,
  createdAt: IsoDateTime,
  /** Increasing per user; the SSE event id. */
  sequence: Schema.Int
})
export type Notification = typeof Notification.Type

export const NotificationPage = Page(Notification)
export type NotificationPage = typeof NotificationPage.Type

/** `GET /notifications`: newest first. */
export const ListNotificationsQuery = PageQuery

const Sequence = Schema.String.check(
  Schema.isPattern(/^\d{1,15}$/, { message: "Expected the id of the last event received, a non-negative integer" })
)

/**
 * `GET /notifications/stream`: `lastEventId` for clients that cannot set the `Last-Event-ID`
 * header, and `access_token` for EventSource clients that cannot set `Authorization`.
 */
export const StreamQuery = Schema.Struct({
  lastEventId: Schema.optional(Sequence),
  access_token: Schema.optional(Schema.String.check(Schema.isMaxLength(8192)))
})
export type StreamQuery = typeof StreamQuery.Type
