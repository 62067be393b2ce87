// HTTP shapes shared by every service: list pagination.
import { Schema } from "effect"

/** `?limit=&cursor=`: limit defaults to 50, at most 200; the cursor is opaque (returned as `nextCursor`). */
export const PageQuery = Schema.Struct({
  limit: Schema.optional(
    Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 200 }))
  ),
  cursor: Schema.optional(Schema.String.check(Schema.isMaxLength(200)))
})
export type PageQuery = typeof PageQuery.Type
export const DEFAULT_LIMIT = 50

export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

/** Cursors encode the last key seen; base64url keeps them opaque to clients. */
export const encodeCursor = (key: string): string => Buffer.from(key, "utf8").toString("base64url")
export const decodeCursor = (cursor: string | undefined): string | undefined =>
  cursor === undefined ? undefined : Buffer.from(cursor, "base64url").toString("utf8")
