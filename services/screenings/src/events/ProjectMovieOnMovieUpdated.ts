// MovieUpdated → apply the revision if it is newer than the one held; existing screenings keep their end.
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const projectMovieOnMovieUpdated: Handler<"MovieUpdated", Screenings> = (movie) =>
  Screenings.use((s) => s.projectMovie(movie))
