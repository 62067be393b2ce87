// Events published by the cinemas service to `cinemas.events`.
import { Schema } from "effect"
import { CinemaId, HallId, Layout, TimeZone } from "./primitives.ts"

const Revision = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const CinemaCreated = Schema.Struct({
  cinemaId: CinemaId,
  revision: Revision,
  name: Schema.String,
  address: Schema.String,
  /** The cinema's IANA zone; absent on events written before cinemas had one: the default zone then. */
  timeZone: Schema.optionalKey(TimeZone)
})
export const CinemaUpdated = CinemaCreated
export const CinemaDeleted = Schema.Struct({ cinemaId: CinemaId })
export const HallCreated = Schema.Struct({
  hallId: HallId,
  cinemaId: CinemaId,
  name: Schema.String,
  rows: Layout,
  capacity: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})
