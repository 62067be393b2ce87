// HTTP request and response bodies of the booking service (`/tickets`).
import { Schema } from "effect"
import { BookingFailureReason, CancellationReason, TicketCode } from "../booking.ts"
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

/** Why a booking ended: a failure reason (DESIGN §4) or a cancellation reason (§6, §10). */
export const BookingReason = Schema.Union([BookingFailureReason, CancellationReason])
export type BookingReason = typeof BookingReason.Type

/**
 * A ticket of a booking: its seat; once the booking is booked its `code` (a compact JWS a door verifies
 * offline, DESIGN §10); once admitted at the door, when.
 */
export const TicketView = Schema.Struct({
  ticketId: Uuid,
  seatNumber: SeatNumber,
  code: Schema.optionalKey(TicketCode),
  admittedAt: Schema.optionalKey(IsoTimestamp)
})
export type TicketView = typeof TicketView.Type

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
  tickets: Schema.Array(TicketView),
  amount: Schema.NullOr(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  currency: Schema.NullOr(Currency),
  expiresAt: Schema.optionalKey(IsoTimestamp),
  reason: Schema.optionalKey(BookingReason),
  /**
   * Until when the customer may cancel (`POST /tickets/bookings/{id}/cancel`): for a reserved booking its
   * hold's end, for a booked one `CANCEL_CUTOFF_MINUTES` before the start; absent for any other state.
   */
  cancellableUntil: Schema.optionalKey(IsoTimestamp),
  createdAt: IsoTimestamp
})
export type BookingView = typeof BookingView.Type

/** Any string: an unknown or malformed id is a 404 `booking_not_found`, not a 422. */
export const BookingParams = Schema.Struct({ bookingId: PathId })

export const BookingListQuery = PageQuery

/** `GET /tickets`: the caller's bookings, newest first. */
export const BookingPage = Page(BookingView)
export type BookingPage = typeof BookingPage.Type

/** `GET /tickets/bookings/{bookingId}/tickets/{ticketId}/qr.svg`. */
export const TicketParams = Schema.Struct({ bookingId: PathId, ticketId: PathId })

/**
 * `POST /tickets/checkin` (staff, at the door): a scanned code, and the screening the door admits to (required:
 * a door always names its screening, DESIGN §17).
 */
export const CheckinRequest = Schema.Struct({
  code: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(2048)),
  screeningId: Uuid.annotate({ description: "The screening this door admits to; a ticket for another one is refused." })
})
export type CheckinRequest = typeof CheckinRequest.Type

/** 200: the ticket is admitted now, and who it is for. */
export const Admission = Schema.Struct({
  ticketId: Uuid,
  bookingId: Uuid,
  seatNumber: SeatNumber,
  screening: BookingScreening,
  admittedAt: IsoTimestamp
})
export type Admission = typeof Admission.Type

/** Seats of a screening by state, as booking (the truth) counts them. */
export const SeatCounts = Schema.Struct({
  available: Schema.Int,
  reserved: Schema.Int,
  booked: Schema.Int,
  admitted: Schema.Int
})
/** Bookings of a screening by state. */
export const BookingCounts = Schema.Struct({
  pending: Schema.Int,
  reserved: Schema.Int,
  booked: Schema.Int,
  cancelled: Schema.Int,
  failed: Schema.Int
})
/**
 * Money taken for a screening, in minor units: `gross` every successful payment, `refunded` every refund,
 * `net = gross - refunded`. `currency` is null while nothing was priced.
 */
export const Revenue = Schema.Struct({
  gross: Schema.Int,
  refunded: Schema.Int,
  net: Schema.Int,
  currency: Schema.NullOr(Currency)
})
export type Revenue = typeof Revenue.Type

/** `GET /tickets/reports/screenings/{screeningId}` (staff). */
export const ScreeningReport = Schema.Struct({
  screeningId: Uuid,
  screening: BookingScreening,
  capacity: Schema.Int,
  seats: SeatCounts,
  bookings: BookingCounts,
  revenue: Revenue
})
export type ScreeningReport = typeof ScreeningReport.Type
export const ScreeningReportParams = Schema.Struct({ screeningId: PathId })

/** A calendar day, `YYYY-MM-DD`, in the cinema's own time zone. */
export const LocalDate = Schema.String.check(
  Schema.isPattern(/^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$/u, { message: "Expected a date, YYYY-MM-DD" })
)
export const DayReportParams = Schema.Struct({ date: LocalDate })
export const DayReportQuery = Schema.Struct({ cinemaId: Schema.optionalKey(Uuid) })

/**
 * `GET /tickets/reports/days/{date}?cinemaId=` (staff): every screening starting on that local day of its
 * cinema, earliest first, and the totals (revenue one row per currency).
 */
export const DayReport = Schema.Struct({
  date: Schema.String,
  cinemaId: Schema.NullOr(Uuid),
  screenings: Schema.Array(ScreeningReport),
  totals: Schema.Struct({
    capacity: Schema.Int,
    seats: SeatCounts,
    bookings: BookingCounts,
    revenue: Schema.Array(Revenue)
  })
})
export type DayReport = typeof DayReport.Type
