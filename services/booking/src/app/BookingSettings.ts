// The booking service's settings (from the environment) and its id source, as services so tests can pin them.
import { abuseLimitsEnabled, declareLimit, intSetting, rateSetting, type ServiceConfig } from "@bat/http"
import { Context } from "effect"

export interface BookingSettingsShape {
  /** How long reserved seats are held for payment (HOLD_TTL_MS). */
  readonly holdTtlMs: number
  /** Live (reserved or booked) seats one user may hold per screening (MAX_SEATS_PER_USER, default 10). */
  readonly maxSeatsPerUser: number
  /** From this delivery attempt on, an attempt whose screening is still unknown fails `unknown_screening`. */
  readonly unknownScreeningAttempts: number
  /** A booked booking may be cancelled by its customer until this many minutes before the start (CANCEL_CUTOFF_MINUTES, default 60). */
  readonly cancelCutoffMinutes: number
  /** The door admits a screening's tickets from this many minutes before its start until its end (CHECKIN_OPENS_MINUTES, default 60). */
  readonly checkinOpensMinutes: number
  /** Unpaid (pending or reserved) seats one account may hold across screenings (MAX_HELD_SEATS_PER_ACCOUNT); none: no quota. */
  readonly maxHeldSeatsPerAccount?: number | undefined
  /** Unpaid seats held from one client address (MAX_HELD_SEATS_PER_ADDRESS); none: no quota. */
  readonly maxHeldSeatsPerAddress?: number | undefined
}

export class BookingSettings extends Context.Service<BookingSettings, BookingSettingsShape>()(
  "booking/app/BookingSettings"
) {}

export const settingsFrom = (config: ServiceConfig): BookingSettingsShape => ({
  holdTtlMs: config.holdTtlMs,
  maxSeatsPerUser: intSetting(config.env, "MAX_SEATS_PER_USER", 10, 1),
  unknownScreeningAttempts: intSetting(config.env, "UNKNOWN_SCREENING_ATTEMPTS", 4, 1),
  cancelCutoffMinutes: intSetting(config.env, "CANCEL_CUTOFF_MINUTES", 60, 0),
  checkinOpensMinutes: intSetting(config.env, "CHECKIN_OPENS_MINUTES", 60, 0),
  ...heldSeatQuotas(config)
})

/** The held-seat quotas (0 turns one off; ABUSE_LIMITS=off turns both off). */
const heldSeatQuotas = (config: ServiceConfig) => {
  const on = abuseLimitsEnabled(config.env)
  // Read by the book route; checked here so that a malformed value stops the start before anything runs.
  rateSetting(config.env, "BOOK_RATE_PER_ACCOUNT", "20/1m")
  declareLimit("held_seats_account")
  declareLimit("held_seats_address")
  const quota = (name: string, fallback: number) => {
    const n = intSetting(config.env, name, fallback, 0)
    return on && n > 0 ? n : undefined
  }
  return {
    maxHeldSeatsPerAccount: quota("MAX_HELD_SEATS_PER_ACCOUNT", 20),
    maxHeldSeatsPerAddress: quota("MAX_HELD_SEATS_PER_ADDRESS", 30)
  }
}

/** Where new booking and ticket ids come from (UUIDv7 in production): the one `Ids` service of every service. */
export { Ids } from "@bat/contracts"
