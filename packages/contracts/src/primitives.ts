// Shared value schemas: ids, money, seat numbers, timestamps.
import { Schema } from "effect"

/** A UUID as produced by `Bun.randomUUIDv7()`; every entity and message id is one. */
export const Uuid = Schema.String.check(Schema.isUUID(undefined, { message: "Expected a UUID" }))
export const UserId = Uuid.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type
export const CinemaId = Uuid.pipe(Schema.brand("CinemaId"))
export type CinemaId = typeof CinemaId.Type
export const HallId = Uuid.pipe(Schema.brand("HallId"))
export type HallId = typeof HallId.Type
export const MovieId = Uuid.pipe(Schema.brand("MovieId"))
export type MovieId = typeof MovieId.Type
export const ScreeningId = Uuid.pipe(Schema.brand("ScreeningId"))
export type ScreeningId = typeof ScreeningId.Type
export const BookingId = Uuid.pipe(Schema.brand("BookingId"))
export type BookingId = typeof BookingId.Type
export const TicketId = Uuid.pipe(Schema.brand("TicketId"))
export type TicketId = typeof TicketId.Type
export const PaymentId = Uuid.pipe(Schema.brand("PaymentId"))
export type PaymentId = typeof PaymentId.Type

/** A new time-ordered id. */
export const newId = (): string => Bun.randomUUIDv7()

// Patterns carry the `u` flag: Effect exports a RegExp to JSON Schema (OpenAPI, AsyncAPI) only then.
export const Currency = Schema.String.check(
  Schema.isPattern(/^[A-Z]{3}$/u, { message: "Expected an ISO-4217 currency code such as EUR" })
)
/** Money in integer minor units (cents) with its currency. */
export const Money = Schema.Struct({
  amount: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  currency: Currency
})
export type Money = typeof Money.Type

export const SEAT_NUMBER = /^[A-Z]{1,2}[1-9][0-9]{0,2}$/u
export const SeatNumber = Schema.String.check(
  Schema.isPattern(SEAT_NUMBER, { message: "Expected a seat number such as A7" })
)
export type SeatNumber = typeof SeatNumber.Type

/** A row of a hall: its label (`A`..`ZZ`) and how many seats it has. */
export const RowLayout = Schema.Struct({
  label: Schema.String.check(Schema.isPattern(/^[A-Z]{1,2}$/u, { message: "Expected a row label such as A" })),
  seats: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 999 }))
})
export type RowLayout = typeof RowLayout.Type
export const Layout = Schema.Array(RowLayout).check(Schema.isMinLength(1), Schema.isMaxLength(100))

/** Every seat number of a layout, in row order. */
export const seatNumbersOf = (rows: ReadonlyArray<RowLayout>): Array<string> =>
  rows.flatMap((r) => Array.from({ length: r.seats }, (_, i) => `${r.label}${i + 1}`))

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/
/** An ISO-8601 timestamp that carries an explicit offset (`Z` or `+02:00`). */
export const IsoDateTime = Schema.String.check(
  Schema.makeFilter((s: string) => ISO_WITH_OFFSET.test(s) && !Number.isNaN(Date.parse(s)), {
    message: "Expected an ISO-8601 date-time with an explicit offset, e.g. 2026-12-01T18:30:00Z",
    // JSON Schema gets the shape; the calendar check (no 2026-02-31) stays with the decoder.
    toJsonSchema: () => [{ pattern: ISO_WITH_OFFSET.source }, true]
  })
)
export const toIso = (ms: number): string => new Date(ms).toISOString()

export const NonEmptyText = (max: number) =>
  Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(max), Schema.isTrimmed())
