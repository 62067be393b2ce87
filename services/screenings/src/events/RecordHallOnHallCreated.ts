// HallCreated → remember the hall's cinema and seat layout, so screenings can be scheduled in it.
import type { Handler } from "@bat/messaging"
import { Screenings } from "../app/Screenings.ts"

export const recordHallOnHallCreated: Handler<"HallCreated", Screenings> = (hall) =>
  Screenings.use((s) => s.recordHall(hall))
