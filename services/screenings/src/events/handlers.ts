// The screenings inbox: one handler per subscribed event type (contracts' `subscriptions.screenings`).
import type { Handlers } from "@bat/messaging"
import type { Screenings } from "../app/Screenings.ts"
import { bookSeatsOnTicketBooked } from "./BookSeatsOnTicketBooked.ts"
import { cancelScreeningsOnCinemaDeleted } from "./CancelScreeningsOnCinemaDeleted.ts"
import { cancelScreeningsOnMovieRemoved } from "./CancelScreeningsOnMovieRemoved.ts"
import { freeSeatsOnTicketBookingFailed } from "./FreeSeatsOnTicketBookingFailed.ts"
import { freeSeatsOnTicketCancelled } from "./FreeSeatsOnTicketCancelled.ts"
import { holdSeatsOnTicketReserved } from "./HoldSeatsOnTicketReserved.ts"
import { projectCinemaOnCinemaCreated } from "./ProjectCinemaOnCinemaCreated.ts"
import { projectCinemaOnCinemaUpdated } from "./ProjectCinemaOnCinemaUpdated.ts"
import { projectMovieOnMovieAdded } from "./ProjectMovieOnMovieAdded.ts"
import { projectMovieOnMovieUpdated } from "./ProjectMovieOnMovieUpdated.ts"
import { recordHallOnHallCreated } from "./RecordHallOnHallCreated.ts"

export const screeningsHandlers: Handlers<Screenings> = {
  CinemaCreated: projectCinemaOnCinemaCreated,
  CinemaUpdated: projectCinemaOnCinemaUpdated,
  HallCreated: recordHallOnHallCreated,
  CinemaDeleted: cancelScreeningsOnCinemaDeleted,
  MovieAdded: projectMovieOnMovieAdded,
  MovieUpdated: projectMovieOnMovieUpdated,
  MovieRemoved: cancelScreeningsOnMovieRemoved,
  TicketReserved: holdSeatsOnTicketReserved,
  TicketBooked: bookSeatsOnTicketBooked,
  TicketBookingFailed: freeSeatsOnTicketBookingFailed,
  TicketCancelled: freeSeatsOnTicketCancelled
}
