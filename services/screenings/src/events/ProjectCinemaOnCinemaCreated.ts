// CinemaCreated → remember the cinema's name, address and time zone, for screening views and events.
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const projectCinemaOnCinemaCreated: Handler<"CinemaCreated", Screenings> = (cinema) =>
  Screenings.use((s) => s.projectCinema(cinema))
