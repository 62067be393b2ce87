// MovieAdded → project the movie (its running time decides when a screening ends).
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const projectMovieOnMovieAdded: Handler<"MovieAdded", Screenings> = (movie) =>
  Screenings.use((s) => s.projectMovie(movie))
