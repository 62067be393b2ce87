// HTTP request and response bodies of the cinemas service.
import { Schema } from "effect"
import { Layout, NonEmptyText, TimeZone, TimeZoneInput, Uuid } from "../primitives.ts"
import { hasAnyOf, Page, PathId } from "./common.ts"

/** `POST /cinemas`; without `timeZone` the cinema gets the service's default zone (`DEFAULT_TIME_ZONE`, else UTC). */
export const CreateCinemaRequest = Schema.Struct({
  name: NonEmptyText(200),
  address: NonEmptyText(500),
  timeZone: Schema.optionalKey(TimeZoneInput)
})
export type CreateCinemaRequest = typeof CreateCinemaRequest.Type

/** `PATCH /cinemas/{id}`: only the given fields change; at least one is given. */
export const UpdateCinemaRequest = Schema.Struct({
  name: Schema.optionalKey(NonEmptyText(200)),
  address: Schema.optionalKey(NonEmptyText(500)),
  timeZone: Schema.optionalKey(TimeZoneInput)
}).check(hasAnyOf(["name", "address", "timeZone"]))
export type UpdateCinemaRequest = typeof UpdateCinemaRequest.Type

/** Row labels must be distinct; that rule lives in the service's domain (422 `duplicate_row_label`). */
export const CreateHallRequest = Schema.Struct({ name: NonEmptyText(100), rows: Layout })
export type CreateHallRequest = typeof CreateHallRequest.Type

/** `POST /cinemas/{id}/halls` 201: the new hall. `capacity` is the number of seats of its layout. */
export const Hall = Schema.Struct({
  hallId: Uuid,
  cinemaId: Uuid,
  name: Schema.String,
  rows: Layout,
  capacity: Schema.Int
})
export type Hall = typeof Hall.Type

/** A hall as listed inside its cinema. */
export const CinemaHall = Schema.Struct({ hallId: Uuid, name: Schema.String, rows: Layout, capacity: Schema.Int })
export type CinemaHall = typeof CinemaHall.Type

/** A cinema with its halls; `revision` goes up by one with every change. */
export const Cinema = Schema.Struct({
  cinemaId: Uuid,
  name: Schema.String,
  address: Schema.String,
  /** The IANA zone the cinema's customers read times in. */
  timeZone: TimeZone,
  revision: Schema.Int,
  halls: Schema.Array(CinemaHall)
})
export type Cinema = typeof Cinema.Type

/** `GET /cinemas`: live cinemas in creation order. */
export const CinemaPage = Page(Cinema)
export type CinemaPage = typeof CinemaPage.Type

/** Path parameters; any string, so an unknown or malformed id is a 404 `cinema_not_found`. */
export const CinemaParams = Schema.Struct({ id: PathId })
