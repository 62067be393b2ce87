// The screenings service's settings (from the environment), as a service so the use cases read them like any dependency.
import { Context } from "effect"

export interface ScreeningsSettingsShape {
  /** The cleaning gap between screenings in one hall (CLEANING_GAP_MINUTES, 15 by default). */
  readonly cleaningGapMinutes: number
  /** The zone of a cinema not yet heard of, or announced before cinemas had zones. */
  readonly defaultTimeZone: string
  /** The change log keeps at most this many latest versions per screening (SEAT_CHANGES_KEEP_VERSIONS, 1 000). */
  readonly seatChangesKeepVersions: number
  /** ... and only changes younger than this (SEAT_CHANGES_KEEP_MS, one hour). */
  readonly seatChangesKeepMs: number
  /** Changes within this many ms of the last push to the streams are pushed together (SEAT_STREAM_COALESCE_MS; 0, the default: each commit at once). */
  readonly seatStreamCoalesceMs: number
}

export class ScreeningsSettings extends Context.Service<ScreeningsSettings, ScreeningsSettingsShape>()(
  "screenings/app/ScreeningsSettings"
) {}
