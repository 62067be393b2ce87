// HTTP request and response bodies of the booking service (`/tickets`).
import { Schema } from "effect"
import { BookingFailureReason, Ticket } from "../booking.ts"
import { Currency, IsoTimestamp, SeatNumber, Uuid } from "../primitives.ts"
import { IdempotencyKey, Page, PageQuery, PathId } from "./common.ts"

export { IdempotencyKey } from "./common.ts"

export const MAX_SEATS_PER_BOOKING = 10

/** `POST /tickets/book`: 1–10 distinct seats of one screening, all or nothing. */
export const BookRequest = Schema.Struct({
  screeningId: Uuid,
  seatNumbers: Schema.Array(SeatNumber).check(
    Schema.isMinLength(1),
    Schema.isMaxLength(MAX_SEATS_PER_BOOKING),
    Schema.makeFilter((seats: ReadonlyArray<string>) => new Set(seats).size === seats.length, {
      message: "Expected distinct seat numbers",
      toJsonSchema: () => ({ uniqueItems: true })
    })
  )
})
export type BookRequest = typeof BookRequest.Type

export const BookHeaders = Schema.Struct({ "idempotency-key": Schema.optionalKey(IdempotencyKey) })

/** 202: the booking exists as `pending`; the decision follows asynchronously. */
export const BookAccepted = Schema.Struct({ bookingId: Uuid, status: Schema.Literal("pending") })
export type BookAccepted = typeof BookAccepted.Type

export const BookingStatus = Schema.Literals(["pending", "reserved", "booked", "failed", "cancelled"])
export type BookingStatus = typeof BookingStatus.Type

/**
 * The screening of a booking as a person reads it (DESIGN §9): its start in UTC, the movie title, the
 * cinema and hall names, and the cinema's IANA time zone to show the start in. Always present; a part
 * is null while booking's projection of the screenings does not know it (the screening has not been
 * announced yet, or was announced without names).
 */
export const BookingScreening = Schema.Struct({
  screeningId: Uuid,
  startsAt: Schema.NullOr(IsoTimestamp),
  movieTitle: Schema.NullOr(Schema.String),
  cinemaName: Schema.NullOr(Schema.String),
  hallName: Schema.NullOr(Schema.String),
  timeZone: Schema.NullOr(Schema.String)
})
export type BookingScreening = typeof BookingScreening.Type

/**
 * A booking as its owner (or staff) sees it. `amount`/`currency` are null until seats are reserved
 * (the price is fixed by the decision, not the request); `expiresAt` only while `reserved`;
 * `reason` only for `failed` and `cancelled`; `screening` names what the booking is for.
 */
export const BookingView = Schema.Struct({
  bookingId: Uuid,
  userId: Uuid,
  screeningId: Uuid,
  screening: BookingScreening,
  status: BookingStatus,
  seatNumbers: Schema.Array(SeatNumber),
  tickets: Schema.Array(Ticket),
  amount: Schema.NullOr(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  currency: Schema.NullOr(Currency),
  expiresAt: Schema.optionalKey(IsoTimestamp),
  reason: Schema.optionalKey(BookingFailureReason),
  createdAt: IsoTimestamp
})
export type BookingView = typeof BookingView.Type

/** Any string: an unknown or malformed id is a 404 `booking_not_found`, not a 422. */
export const BookingParams = Schema.Struct({ bookingId: PathId })

export const BookingListQuery = PageQuery

/** `GET /tickets`: the caller's bookings, newest first. */
export const BookingPage = Page(BookingView)
export type BookingPage = typeof BookingPage.Type
