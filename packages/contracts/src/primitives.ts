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

// Built from exact parts so that the pattern the documents carry is the whole rule: a real calendar day
// (no 2026-02-31, 29 February only in leap years), hours 00–23, minutes and seconds 00–59.
const LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
const CALENDAR_DAY =
  "(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)" +
  `|${LEAP_YEAR}-02-29)`
const HOUR_MINUTE = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
const OFFSET = `(?:Z|[+-]${HOUR_MINUTE})`

/**
 * An ISO-8601 date-time with an explicit offset (`Z` or `+02:00`); seconds and up to nine fraction
 * digits are optional: `2026-12-01T18:30Z`, `2026-12-01T19:30:00.5+01:00`.
 */
export const ISO_DATE_TIME = new RegExp(`^${CALENDAR_DAY}T${HOUR_MINUTE}(?::[0-5][0-9](?:\\.[0-9]{1,9})?)?${OFFSET}$`, "u")
export const IsoDateTime = Schema.String.check(
  Schema.isPattern(ISO_DATE_TIME, {
    message: "Expected an ISO-8601 date-time with an explicit offset, e.g. 2026-12-01T18:30:00Z"
  })
).annotate({
  description: "An ISO-8601 date-time with an explicit offset (Z or ±hh:mm); seconds and fractions optional."
})

/** A UTC time as the services write it (`toIso`): `2026-12-01T18:30:00.000Z`, an RFC 3339 `date-time`. */
export const ISO_TIMESTAMP = new RegExp(`^${CALENDAR_DAY}T${HOUR_MINUTE}:[0-5][0-9]\\.[0-9]{3}Z$`, "u")
export const IsoTimestamp = Schema.String.check(
  Schema.makeFilter((s: string) => ISO_TIMESTAMP.test(s), {
    message: "Expected a UTC timestamp such as 2026-12-01T18:30:00.000Z",
    toJsonSchema: () => ({ pattern: ISO_TIMESTAMP.source, format: "date-time" })
  })
)
export const toIso = (ms: number): string => new Date(ms).toISOString()

/**
 * Text of 1 to `max` characters (Unicode code points, as JSON Schema counts them) with no surrounding
 * whitespace.
 */
export const NonEmptyText = (max: number) =>
  Schema.String.check(Schema.isMinCodePoints(1), Schema.isMaxCodePoints(max), Schema.isTrimmed())

const knownTimeZones = new Set<string>([...Intl.supportedValuesOf("timeZone"), "UTC"])
/** Whether the runtime knows `name` as an IANA time zone (canonical names, links such as `Asia/Calcutta`, and `UTC`). */
export const isKnownTimeZone = (name: string): boolean => {
  if (knownTimeZones.has(name)) return true
  // supportedValuesOf lists canonical names only; a link the runtime accepts is fine too, but not an offset.
  if (!/^[A-Za-z]/u.test(name)) return false
  try {
    new Intl.DateTimeFormat("en", { timeZone: name })
    return true
  } catch {
    return false
  }
}
/** The zone whose clock a cinema's customers read, e.g. `Europe/Berlin`. */
export const TimeZone = Schema.String.check(
  Schema.makeFilter((s: string) => isKnownTimeZone(s), {
    message: "Expected an IANA time zone such as Europe/Berlin",
    toJsonSchema: () => ({})
  })
).annotate({
  description: "An IANA time zone name the runtime knows, such as Europe/Berlin or UTC."
})
/** The canonical zone names (and `UTC`) a request's schema lists: a client choosing one of them is never refused. */
const publishedTimeZones = [...knownTimeZones].sort()
/**
 * A time zone a client sends (`POST`/`PATCH /cinemas`): the same rule as `TimeZone`, published as the list of
 * canonical names, so that a client or fuzzer generating from the document picks a zone the service accepts.
 */
export const TimeZoneInput = Schema.String.check(
  Schema.makeFilter((s: string) => isKnownTimeZone(s), {
    message: "Expected an IANA time zone such as Europe/Berlin",
    toJsonSchema: () => ({ enum: publishedTimeZones })
  })
).annotate({
  description:
    "An IANA time zone name, such as Europe/Berlin or UTC: one of the canonical names listed (links such as " +
    "Asia/Calcutta are accepted too); any other string is 422 `invalid_input`."
})
export type TimeZone = typeof TimeZone.Type
