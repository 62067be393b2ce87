// Effect Schema as Standard Schema, so Elysia validates with it and OpenAPI documents it.
import { Schema } from "effect"

/** Wrap a schema for a route's `body`, `query`, `params` or `response`. */
export const schema = <S extends Schema.ConstraintDecoder<unknown> & Schema.Constraint>(self: S) =>
  Schema.toStandardJSONSchemaV1(Schema.toStandardSchemaV1(self))
