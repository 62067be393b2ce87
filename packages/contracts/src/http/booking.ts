// HTTP request and response bodies of the booking service (`/tickets`).
import { Schema } from "effect"
import { BookingFailureReason, Ticket } from "../booking.ts"
import { Currency, IsoDateTime, SeatNumber, Uuid } from "../primitives.ts"
import { Page, PageQuery, PathId } from "./common.ts"

export const MAX_SEATS_PER_BOOKING = 10

/** `POST /tickets/book`: 1–10 distinct seats of one screening, all or nothing. */
export const BookRequest = Schema.Struct({
  screeningId: Uuid,
  seatNumbers: Schema.Array(SeatNumber).check(
    Schema.isMinLength(1),
    Schema.isMaxLength(MAX_SEATS_PER_BOOKING),
    Schema.makeFilter((seats: ReadonlyArray<string>) => new Set(seats).size === seats.length, {
      message: "Expected distinct seat numbers"
    })
  )
})
export type BookRequest = typeof BookRequest.Type

/** The `Idempotency-Key` header: printable ASCII, at most 255 characters. */
export const IdempotencyKey = Schema.String.check(
  Schema.isPattern(/^[\x21-\x7e]{1,255}$/, { message: "Expected 1 to 255 printable ASCII characters" })
)

export const BookHeaders = Schema.Struct({ "idempotency-key": Schema.optional(IdempotencyKey) })

/** 202: the booking exists as `pending`; the decision follows asynchronously. */
export const BookAccepted = Schema.Struct({ bookingId: Uuid, status: Schema.Literal("pending") })
export type BookAccepted = typeof BookAccepted.Type

export const BookingStatus = Schema.Literals(["pending", "reserved", "booked", "failed", "cancelled"])
export type BookingStatus = typeof BookingStatus.Type

/**
 * A booking as its owner (or staff) sees it. `amount`/`currency` are null until seats are reserved
 * (the price is fixed by the decision, not the request); `expiresAt` only while `reserved`;
 * `reason` only for `failed` and `cancelled`.
 */
export const BookingView = Schema.Struct({
  bookingId: Uuid,
  userId: Uuid,
  screeningId: Uuid,
  status: BookingStatus,
  seatNumbers: Schema.Array(SeatNumber),
  tickets: Schema.Array(Ticket),
  amount: Schema.NullOr(Schema.Int),
  currency: Schema.NullOr(Currency),
  expiresAt: Schema.optionalKey(IsoDateTime),
  reason: Schema.optionalKey(BookingFailureReason),
  createdAt: IsoDateTime
})
export type BookingView = typeof BookingView.Type

/** Any string: an unknown or malformed id is a 404 `booking_not_found`, not a 422. */
export const BookingParams = Schema.Struct({ bookingId: PathId })

export const BookingListQuery = PageQuery
export const BookingList = Page(BookingView)
export type BookingList = typeof BookingList.Type
