// HTTP shapes shared by every service: list pagination and ids in paths.
import { Schema, SchemaTransformation } from "effect"

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200

/** `?limit=`: a whole number from 1 to 200, in plain digits (no `1e2`, no sign, no spaces). */
export const Limit = Schema.String.check(
  Schema.isPattern(/^[0-9]{1,9}$/, { message: `Expected a whole number from 1 to ${MAX_LIMIT}` })
)
  .pipe(Schema.decodeTo(Schema.Number, SchemaTransformation.numberFromString))
  .check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_LIMIT }))

/**
 * `?limit=&cursor=`: limit defaults to 50, at most 200; the cursor is opaque, a `nextCursor` handed out
 * by the same list. Any string is taken here so that every bad cursor gets the one answer, 422
 * `invalid_cursor` (packages/http `makeCursor`), rather than some an `invalid_input`.
 */
export const PageQuery = Schema.Struct({
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Schema.String)
})
export type PageQuery = typeof PageQuery.Type

export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

/**
 * An id in a path. Any string: an id that is malformed names no entity, so it gets the same 404 and
 * code as an unknown one, never a 422 (DESIGN §5).
 */
export const PathId = Schema.String
