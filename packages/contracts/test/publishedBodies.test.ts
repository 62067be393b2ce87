// Every request body, query string and path the published documents allow is accepted. Values are generated from
// each route's published JSON Schema alone (what a client generator or a fuzzer reads), kept when a JSON Schema
// validator says the document allows them, and then decoded as the route decodes them: none may be refused. A rule
// the schema cannot state is named below together with the description that states it (the card's Luhn check).
import Ajv2020 from "ajv/dist/2020.js"
import { describe, expect, test } from "bun:test"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { BookingApi, CinemasApi, MoviesApi, NotificationsApi, OpsApi, PageQuery, PaymentsApi, ScreeningsApi, UsersApi } from "../src/index.ts"

type Json = Record<string, any>

const ajv = new Ajv2020({ strict: false })

/** The JSON Schema of what travels on the wire, as the documents carry it. */
const published = (s: Schema.Top): Json => {
  const standard = Schema.toStandardJSONSchemaV1(Schema.toStandardSchemaV1(s as Schema.Codec<unknown, unknown>))
  const { $schema: _, ...json } = standard["~standard"].jsonSchema.input({ target: "draft-2020-12" }) as Json
  return json
}

const FORMATS: Record<string, fc.Arbitrary<string>> = {
  "date-time": fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  uuid: fc.uuid(),
  email: fc.emailAddress()
}

/** Values the schema describes (a superset is fine: the validator keeps only what the document allows). */
const arbitraryOf = (schema: Json, root: Json): fc.Arbitrary<unknown> => {
  if (typeof schema.$ref === "string") return arbitraryOf(root.$defs?.[schema.$ref.replace("#/$defs/", "")] ?? {}, root)
  if ("const" in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const branches = (schema.anyOf ?? schema.oneOf) as Array<Json>
    // An object's "at least one of these keys" (`anyOf` of `required`) constrains, it does not generate.
    if (!branches.every((b) => Object.keys(b).length === 1 && Array.isArray(b.required))) {
      const { anyOf: _a, oneOf: _o, ...rest } = schema
      return fc.oneof(...branches.map((b) => arbitraryOf({ ...rest, ...b }, root)))
    }
  }
  // Constraints on a value of the same type travel in `allOf` (a string's enum, an object's key rules).
  const s: Json = schema.type !== "object" && Array.isArray(schema.allOf) ? Object.assign({}, schema, ...schema.allOf) : schema
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum)
  switch (s.type) {
    case "null":
      return fc.constant(null)
    case "boolean":
      return fc.boolean()
    case "integer":
      return fc.integer({ min: Math.max(s.minimum ?? -1e9, -1e15), max: Math.min(s.maximum ?? 1e9, 1e15) })
    case "number":
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true })
    case "string": {
      const length = (v: string) => [...v].length >= (s.minLength ?? 0) && [...v].length <= (s.maxLength ?? Infinity)
      if (typeof s.format === "string" && FORMATS[s.format]) return FORMATS[s.format]!
      if (typeof s.pattern === "string") return fc.stringMatching(new RegExp(s.pattern, "u")).filter(length)
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 24, (s.minLength ?? 0) + 24) })
    }
    case "array": {
      const min = s.minItems ?? 0
      const constraints = { minLength: min, maxLength: Math.min(s.maxItems ?? min + 4, min + 4) }
      const items = arbitraryOf(s.items ?? {}, root)
      return s.uniqueItems ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(items, constraints)
    }
    case "object": {
      const properties = Object.fromEntries(Object.entries((s.properties ?? {}) as Json).map(([k, v]) => [k, arbitraryOf(v, root)]))
      return fc.record(properties, { requiredKeys: (s.required ?? []) as Array<string> })
    }
    default:
      return fc.jsonValue()
  }
}

const luhnValid = (digits: string) => PaymentsApi.luhnValid(digits)

/** Bodies of `s` the document allows that the decoder refuses, out of `runs` generated; and how many were allowed. */
const refusedOf = (s: Schema.Top, runs: number, unstated?: (body: any) => boolean) => {
  const json = published(s)
  const allowed = ajv.compile(json)
  const decode = Schema.decodeUnknownResult(s as Schema.Codec<unknown, unknown>)
  const bodies = fc.sample(arbitraryOf(json, json), { numRuns: runs, seed: 19 }).filter((b) => allowed(b) && !unstated?.(b))
  return { allowed: bodies.length, refused: bodies.filter((b) => Result.isFailure(decode(b))).slice(0, 3) }
}

const queries: ReadonlyArray<readonly [string, Schema.Top]> = [
  ["?limit&cursor (lists)", PageQuery],
  ["GET /tickets", BookingApi.BookingListQuery],
  ["GET /tickets/reports/days/{date}", BookingApi.DayReportQuery],
  ["GET /notifications", NotificationsApi.ListNotificationsQuery],
  ["GET /notifications/stream", NotificationsApi.StreamQuery],
  ["GET /<service>/_ops/dlq", OpsApi.ParkedQuery],
  ["GET /screenings", ScreeningsApi.ScreeningsQuery],
  ["GET /screenings/{id}/seats/stream", ScreeningsApi.SeatStreamQuery],
  ["/tickets/bookings/{bookingId}", BookingApi.BookingParams],
  ["/tickets/reports/days/{date}", BookingApi.DayReportParams],
  ["/tickets/reports/screenings/{screeningId}", BookingApi.ScreeningReportParams],
  ["/tickets/bookings/{bookingId}/tickets/{ticketId}", BookingApi.TicketParams],
  ["/cinemas/{id}", CinemasApi.CinemaParams],
  ["/movies/{id}", MoviesApi.MovieParams],
  ["/payments/{id}", PaymentsApi.PaymentParams],
  ["/screenings/{id}", ScreeningsApi.ScreeningParams],
  ["/users/{userId}", UsersApi.UserParams]
]

const bodies: ReadonlyArray<readonly [string, Schema.Top]> = [
  ["POST /users/register", UsersApi.RegisterRequest],
  ["POST /users/login", UsersApi.LoginRequest],
  ["POST /cinemas", CinemasApi.CreateCinemaRequest],
  ["PATCH /cinemas/{id}", CinemasApi.UpdateCinemaRequest],
  ["POST /cinemas/{id}/halls", CinemasApi.CreateHallRequest],
  ["POST /movies", MoviesApi.AddMovieRequest],
  ["PATCH /movies/{id}", MoviesApi.UpdateMovieRequest],
  ["POST /screenings", ScreeningsApi.ScheduleScreeningBody],
  ["PATCH /screenings/{id}", ScreeningsApi.UpdateScreeningBody],
  ["POST /tickets/book", BookingApi.BookRequest],
  ["POST /tickets/checkin", BookingApi.CheckinRequest],
  ["POST /<service>/_ops/dlq/replay", OpsApi.ReplayBody]
]

describe("what the documents allow in a query string or a path is accepted", () => {
  for (const [route, s] of queries) {
    test(route, () => {
      const { allowed, refused } = refusedOf(s, 400)
      expect({ route, refused }).toEqual({ route, refused: [] })
      expect(allowed).toBeGreaterThan(20)
    })
  }
})

describe("what the documents allow in a body is accepted", () => {
  for (const [route, s] of bodies) {
    test(route, () => {
      const { allowed, refused } = refusedOf(s, 400)
      expect({ route, refused }).toEqual({ route, refused: [] })
      expect(allowed).toBeGreaterThan(20) // the generator reaches bodies the document allows
    })
  }

  test("POST /payments: only the Luhn check is beyond the schema, and its description states it", () => {
    const { allowed, refused } = refusedOf(PaymentsApi.PayRequest, 3_000, (body) => !luhnValid(body.card.number))
    expect(refused).toEqual([])
    expect(allowed).toBeGreaterThan(0)
    expect(published(PaymentsApi.CardNumber).description).toContain("Luhn")
  })
})
