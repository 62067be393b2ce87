// The booking service's settings (from the environment) and its id source, as services so tests can pin them.
import { newId } from "@bat/contracts"
import type { ServiceConfig } from "@bat/http"
import { Context, Layer } from "effect"

export interface BookingSettingsShape {
  /** How long reserved seats are held for payment (HOLD_TTL_MS). */
  readonly holdTtlMs: number
  /** Live (reserved or booked) seats one user may hold per screening (MAX_SEATS_PER_USER, default 10). */
  readonly maxSeatsPerUser: number
  /** From this delivery attempt on, an attempt whose screening is still unknown fails `unknown_screening`. */
  readonly unknownScreeningAttempts: number
}

export class BookingSettings extends Context.Service<BookingSettings, BookingSettingsShape>()(
  "booking/app/BookingSettings"
) {}

const positiveInt = (env: ServiceConfig["env"], name: string, fallback: number): number => {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

export const settingsFrom = (config: ServiceConfig): BookingSettingsShape => ({
  holdTtlMs: config.holdTtlMs,
  maxSeatsPerUser: positiveInt(config.env, "MAX_SEATS_PER_USER", 10),
  unknownScreeningAttempts: positiveInt(config.env, "UNKNOWN_SCREENING_ATTEMPTS", 4)
})

/** Where new booking and ticket ids come from (UUIDv7 in production). */
export class Ids extends Context.Service<Ids, { readonly next: () => string }>()("booking/app/Ids") {
  static readonly live = Layer.succeed(Ids, Ids.of({ next: newId }))
}
