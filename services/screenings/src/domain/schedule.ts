// Pure scheduling rules: when a screening ends, how long it occupies its hall, when it may start.
import { StartTimeInPast, StartTimeTooFar } from "./errors.ts"

const MINUTE_MS = 60_000

/** How far ahead a screening may be scheduled; keeps every time a plain four-digit-year ISO string. */
export const SCHEDULING_HORIZON_MS = 5 * 366 * 24 * 60 * MINUTE_MS

export const DEFAULT_CLEANING_GAP_MINUTES = 15

/** A screening ends `durationMinutes` after it starts; this is fixed when it is scheduled. */
export const endsAtOf = (startsAtMs: number, durationMinutes: number): number =>
  startsAtMs + durationMinutes * MINUTE_MS

/** The half-open interval a screening keeps its hall: [startsAt, endsAt + cleaning gap). */
export interface Occupancy {
  readonly from: number
  readonly until: number
}
export const occupancyOf = (startsAtMs: number, endsAtMs: number, cleaningGapMs: number): Occupancy => ({
  from: startsAtMs,
  until: endsAtMs + cleaningGapMs
})
export const overlaps = (a: Occupancy, b: Occupancy): boolean => a.from < b.until && b.from < a.until

/** A screening has begun once its start time is reached. */
export const hasStarted = (startsAtMs: number, nowMs: number): boolean => startsAtMs <= nowMs

/** A new start time must lie in the future and within the scheduling horizon. */
export const checkStartTime = (
  startsAt: string,
  nowMs: number
): StartTimeInPast | StartTimeTooFar | number => {
  const ms = Date.parse(startsAt)
  if (ms <= nowMs) return new StartTimeInPast({ startsAt })
  if (ms > nowMs + SCHEDULING_HORIZON_MS) return new StartTimeTooFar({ startsAt })
  return ms
}

/** Reads CLEANING_GAP_MINUTES: a non-negative integer, 15 by default. */
export const cleaningGapMinutesFrom = (value: string | undefined): number => {
  if (value === undefined || value === "") return DEFAULT_CLEANING_GAP_MINUTES
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 24 * 60) {
    throw new Error(`CLEANING_GAP_MINUTES must be an integer between 0 and 1440, got ${JSON.stringify(value)}`)
  }
  return n
}
