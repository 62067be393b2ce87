// CinemaUpdated → apply the revision if it is newer than the one held; an older or repeated one changes nothing.
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const projectCinemaOnCinemaUpdated: Handler<"CinemaUpdated", Screenings> = (cinema) =>
  Screenings.use((s) => s.projectCinema(cinema))
