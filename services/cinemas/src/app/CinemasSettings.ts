// The cinemas service's settings (from the environment), as a service so the use cases read them like any dependency.
import { Context } from "effect"

export interface CinemasSettingsShape {
  /** The zone of a cinema created without one (DEFAULT_TIME_ZONE, else UTC). */
  readonly defaultTimeZone: string
}

export class CinemasSettings extends Context.Service<CinemasSettings, CinemasSettingsShape>()(
  "cinemas/app/CinemasSettings"
) {}
