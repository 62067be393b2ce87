// The constraints the OpenAPI documents publish are the ones the services enforce: for every request schema,
// a JSON Schema validator given the published schema accepts exactly what the decoder accepts.
import Ajv2020 from "ajv/dist/2020.js"
import { describe, expect, test } from "bun:test"
import { Result, Schema } from "effect"
import fc from "fast-check"
import {
  BookingApi,
  CinemasApi,
  IdempotencyKey,
  IsoDateTime,
  IsoTimestamp,
  Limit,
  MoviesApi,
  NotificationsApi,
  PaymentsApi,
  ScreeningsApi,
  SeatNumber,
  UsersApi,
  Uuid
} from "../src/index.ts"

const ajv = new Ajv2020({ strict: false })

/** The JSON Schema of what travels on the wire, as the documents carry it. */
const published = (s: Schema.Top): Record<string, unknown> => {
  const standard = Schema.toStandardJSONSchemaV1(Schema.toStandardSchemaV1(s as Schema.Codec<unknown, unknown>))
  const { $schema: _, ...json } = standard["~standard"].jsonSchema.input({ target: "draft-2020-12" }) as Record<string, unknown>
  return json
}

/** Inputs on which the decoder and the published schema disagree. */
const disagreements = (s: Schema.Top, inputs: fc.Arbitrary<unknown>, numRuns = 3_000): Array<unknown> => {
  const documented = ajv.compile(published(s))
  const decode = Schema.decodeUnknownResult(s as Schema.Codec<unknown, unknown>)
  const found: Array<unknown> = []
  fc.assert(
    fc.property(inputs, (input) => {
      if (Result.isSuccess(decode(input)) !== documented(input)) found.push(input)
    }),
    { numRuns }
  )
  return found
}

// Strings that probe the edges: astral characters (two UTF-16 units, one code point), lone surrogates,
// Unicode spaces, line separators.
const tricky = fc.constantFrom("a", "Z", "0", "9", " ", "@", ".", "-", "+", ":", "T", "Z", "\t", "\n", "\u00a0", "\u2028", "é", "😀", "\ud800")
const text = (maxLength = 12) =>
  fc.oneof(fc.string({ maxLength }), fc.string({ maxLength, unit: "grapheme" }), fc.string({ maxLength, unit: tricky }))
const around = (length: number) => fc.string({ minLength: length - 4, maxLength: length + 4, unit: fc.constantFrom("a", "😀", " ") })
const isoLike = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.constantFrom("", ":00", ":59.5", ":60", ":00.123456789", ":00.1234567890"),
    fc.constantFrom("Z", "z", "", "+01:00", "-23:59", "+24:00", "+12:60", "+0100")
  )
  .map(([y, mo, d, h, mi, s, off]) => {
    const p = (n: number, w = 2) => String(n).padStart(w, "0")
    return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}${s}${off}`
  })

describe("published request constraints are the enforced ones", () => {
  test("strings: lengths count code points, patterns are exact", () => {
    expect(disagreements(UsersApi.Email, fc.oneof(text(20), fc.emailAddress(), around(254)))).toEqual([])
    expect(disagreements(UsersApi.Password, fc.oneof(text(12), around(8), around(1024)), 1_000)).toEqual([])
    expect(disagreements(UsersApi.FullName, fc.oneof(text(8), around(200)))).toEqual([])
    expect(disagreements(UsersApi.LoginRequest, fc.record({ email: fc.oneof(text(4), around(254)), password: text(4) }, { requiredKeys: [] }))).toEqual([])
    expect(disagreements(SeatNumber, fc.oneof(text(5), fc.stringMatching(/^[A-Z]{1,3}[0-9]{1,4}$/)))).toEqual([])
    expect(disagreements(Uuid, fc.oneof(text(5), fc.uuid(), fc.uuid().map((u) => u.toUpperCase())))).toEqual([])
    expect(disagreements(IdempotencyKey, fc.oneof(text(10), fc.string({ minLength: 250, maxLength: 260, unit: fc.constantFrom("k", "~", "!") })))).toEqual([])
    expect(disagreements(NotificationsApi.LastEventIdHeader, fc.oneof(text(5), fc.nat().map((n) => ` ${n}\t`)))).toEqual([])
    expect(disagreements(NotificationsApi.StreamQuery, fc.record({ lastEventId: fc.oneof(text(4), fc.nat().map(String)) }, { requiredKeys: [] }))).toEqual([])
  })

  test("?limit= is 1 to 200 in plain digits, as documented", () => {
    const limits = fc.oneof(text(4), fc.integer({ min: -5, max: 300 }).map(String), fc.nat({ max: 300 }).map((n) => `0${n}`), fc.constantFrom("1e2", "2.0", " 5"))
    expect(disagreements(Limit, limits)).toEqual([])
    expect(disagreements(ScreeningsApi.ScreeningsQuery, fc.record({ limit: limits, cursor: text(3), movieId: fc.oneof(fc.uuid(), text(3)), from: isoLike }, { requiredKeys: [] }))).toEqual([])
  })

  test("date-times: a real calendar day and clock time with an explicit offset", () => {
    expect(disagreements(IsoDateTime, fc.oneof(text(10), isoLike, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), 20_000)).toEqual([])
    expect(disagreements(IsoTimestamp, fc.oneof(isoLike, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), 5_000)).toEqual([])
    // The two calendar rules a plain shape check misses.
    const accepts = Schema.is(IsoDateTime)
    expect([accepts("2026-02-31T10:00Z"), accepts("2026-02-29T10:00Z"), accepts("2028-02-29T10:00Z"), accepts("2026-01-01T24:00Z")]).toEqual([false, false, true, false])
  })

  test("bodies: required keys, at-least-one-of, distinct items, integer ranges", () => {
    expect(disagreements(UsersApi.RegisterRequest, fc.record({ fullName: text(6), email: fc.oneof(fc.emailAddress(), text(6)), password: text(12) }, { requiredKeys: [] }))).toEqual([])
    expect(disagreements(CinemasApi.UpdateCinemaRequest, fc.oneof(fc.record({ name: text(4), address: text(4), other: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()))).toEqual([])
    expect(disagreements(CinemasApi.CreateHallRequest, fc.record({ name: text(4), rows: fc.array(fc.record({ label: fc.oneof(fc.constantFrom("A", "ZZ", "a", "AAA"), text(2)), seats: fc.oneof(fc.integer({ min: -1, max: 1001 }), fc.double()) }), { maxLength: 3 }) }))).toEqual([])
    expect(disagreements(MoviesApi.UpdateMovieRequest, fc.oneof(fc.record({ title: text(4), genre: text(4), durationMinutes: fc.oneof(fc.integer({ min: -1, max: 700 }), fc.double()) }, { requiredKeys: [] }), fc.jsonValue()))).toEqual([])
    expect(disagreements(BookingApi.BookRequest, fc.record({ screeningId: fc.oneof(fc.uuid(), text(3)), seatNumbers: fc.oneof(fc.array(fc.constantFrom("A1", "A2", "B3", "a1", "ZZ999"), { maxLength: 12 }), fc.jsonValue()) }))).toEqual([])
    const price = fc.record({ amount: fc.oneof(fc.integer({ min: -1, max: 100_000_001 }), fc.double()), currency: fc.constantFrom("EUR", "eur", "EU", "EURO") })
    expect(disagreements(ScreeningsApi.ScheduleScreeningBody, fc.record({ movieId: fc.uuid(), hallId: fc.uuid(), startsAt: isoLike, price }))).toEqual([])
    expect(disagreements(ScreeningsApi.UpdateScreeningBody, fc.record({ startsAt: isoLike, price }, { requiredKeys: [] }))).toEqual([])
  })

  test("card: every rule is published except the Luhn check, which only the description can state", () => {
    const card = fc.record({
      number: fc.oneof(fc.constantFrom("4242424242424242", "4000000000000002", "4242424242424241"), fc.stringMatching(/^[0-9]{10,20}$/), text(4)),
      expMonth: fc.integer({ min: 0, max: 13 }),
      expYear: fc.integer({ min: 1999, max: 2100 }),
      cvc: fc.oneof(fc.stringMatching(/^[0-9]{2,5}$/), text(3))
    })
    const differing = disagreements(PaymentsApi.PayRequest, fc.record({ bookingId: fc.uuid(), card }), 5_000) as Array<{ card: { number: string } }>
    expect(differing.filter((r) => PaymentsApi.luhnValid(r.card.number))).toEqual([])
    expect(published(PaymentsApi.CardNumber).description).toContain("Luhn")
  })
})
