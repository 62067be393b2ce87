// HTTP request and response bodies of the cinemas service.
import { Schema } from "effect"
import { Layout, NonEmptyText, Uuid } from "../primitives.ts"
import { PathId } from "./common.ts"

const atLeastOneField = Schema.makeFilter((o: object) => Object.keys(o).length > 0 || "At least one field is required")

export const CreateCinemaRequest = Schema.Struct({ name: NonEmptyText(200), address: NonEmptyText(500) })
export type CreateCinemaRequest = typeof CreateCinemaRequest.Type

export const UpdateCinemaRequest = Schema.Struct({
  name: Schema.optionalKey(NonEmptyText(200)),
  address: Schema.optionalKey(NonEmptyText(500))
}).check(atLeastOneField)
export type UpdateCinemaRequest = typeof UpdateCinemaRequest.Type

/** Row labels must be distinct; that rule lives in the service's domain (422 `duplicate_row_label`). */
export const CreateHallRequest = Schema.Struct({ name: NonEmptyText(100), rows: Layout })
export type CreateHallRequest = typeof CreateHallRequest.Type

export const Hall = Schema.Struct({
  hallId: Uuid,
  cinemaId: Uuid,
  name: Schema.String,
  rows: Layout,
  capacity: Schema.Int
})
export type Hall = typeof Hall.Type

export const Cinema = Schema.Struct({
  cinemaId: Uuid,
  name: Schema.String,
  address: Schema.String,
  revision: Schema.Int,
  halls: Schema.Array(Schema.Struct({ hallId: Uuid, name: Schema.String, rows: Layout, capacity: Schema.Int }))
})
export type Cinema = typeof Cinema.Type

/** Path parameters; any string, so an unknown or malformed id is a 404 `cinema_not_found`. */
export const CinemaParams = Schema.Struct({ id: PathId })
