// CinemaDeleted → tombstone the cinema and cancel its future screenings (ScreeningCancelled each).
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const cancelScreeningsOnCinemaDeleted: Handler<"CinemaDeleted", Screenings> = (data, { envelope }) =>
  Screenings.use((s) => s.deleteCinema(data.cinemaId, { correlationId: envelope.correlationId, causationId: envelope.id }))
