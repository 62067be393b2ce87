// HTTP shapes shared by every service: list pagination, ids in paths, the Idempotency-Key header.
import { Schema, SchemaTransformation } from "effect"

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200

/**
 * `?limit=`: a whole number from 1 to 200 in plain decimal digits (no sign, exponent, fraction, spaces
 * or leading zeros). The pattern is the whole rule, so the documents state exactly what is accepted.
 */
export const LIMIT_PATTERN = /^(?:[1-9][0-9]?|1[0-9]{2}|200)$/u
export const Limit = Schema.String.check(
  Schema.isPattern(LIMIT_PATTERN, { message: `Expected a whole number from 1 to ${MAX_LIMIT}` })
)
  .annotate({ description: `How many items a page holds: 1 to ${MAX_LIMIT}, ${DEFAULT_LIMIT} when left out.` })
  .pipe(Schema.decodeTo(Schema.Number, SchemaTransformation.numberFromString))
  .check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_LIMIT }))

/**
 * `?cursor=`: opaque, the `nextCursor` a previous page of the same list handed out. Any string is taken
 * here so that every bad cursor gets the one answer, 422 `invalid_cursor` (packages/http `makeCursor`),
 * rather than some an `invalid_input`.
 */
export const PageCursor = Schema.String.annotate({
  description: "The nextCursor of the previous page of this list; any other value is a 422 invalid_cursor."
})

/** `?limit=&cursor=` of every list. */
export const PageQuery = Schema.Struct({
  limit: Schema.optionalKey(Limit),
  cursor: Schema.optionalKey(PageCursor)
})
export type PageQuery = typeof PageQuery.Type

/** A page of a list: `nextCursor` continues it, null on the last page. */
export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

/**
 * An id in a path. Any string: an id that is malformed names no entity, so it gets the same 404 and
 * code as an unknown one, never a 422 (DESIGN §5).
 */
export const PathId = Schema.String

/** The `Idempotency-Key` header of book and pay: 1 to 255 printable ASCII characters, no spaces. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/u
/** How long an Idempotency-Key is remembered, per user and route (DESIGN §5). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000

export const IdempotencyKey = Schema.String.check(
  Schema.isPattern(IDEMPOTENCY_KEY, { message: "Expected 1 to 255 printable ASCII characters" })
)

/** An object filter: at least one of `keys` is present. Documented as exactly that (`anyOf` of `required`). */
export const hasAnyOf = (keys: ReadonlyArray<string>) =>
  Schema.makeFilter((o: object) => keys.some((k) => Object.hasOwn(o, k)) || `Expected at least one of ${keys.join(", ")}`, {
    toJsonSchema: () => ({ anyOf: keys.map((k) => ({ required: [k] })) })
  })
