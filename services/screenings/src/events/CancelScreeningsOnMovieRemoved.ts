// MovieRemoved → tombstone the movie and cancel its future screenings (ScreeningCancelled each).
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const cancelScreeningsOnMovieRemoved: Handler<"MovieRemoved", Screenings> = (data, { envelope }) =>
  Screenings.use((s) => s.removeMovie(data.movieId, { correlationId: envelope.correlationId, causationId: envelope.id }))
