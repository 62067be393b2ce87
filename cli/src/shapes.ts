// Response bodies of the HTTP API, as the services publish them: the types come from @bat/contracts,
// the schemas the routes answer with, so the CLI cannot drift from the API.
import type { BookingApi, CinemasApi, MoviesApi, NotificationsApi, OpsApi, PaymentsApi, ScreeningsApi, UsersApi } from "@bat/contracts"

export type User = UsersApi.User
export type LoginResponse = UsersApi.LoginResponse
export type RowLayout = CinemasApi.Hall["rows"][number]
/** A new hall, as `POST /cinemas/{id}/halls` answers it. */
export type Hall = CinemasApi.Hall
/** A hall as listed inside its cinema. */
export type CinemaHall = CinemasApi.CinemaHall
export type Cinema = CinemasApi.Cinema
export type CinemaPage = CinemasApi.CinemaPage
export type Movie = MoviesApi.Movie
export type MoviePage = MoviesApi.MoviePage
export type Price = ScreeningsApi.Price
export type Screening = ScreeningsApi.Screening
export type ScreeningPage = ScreeningsApi.ScreeningPage
export type SeatMap = ScreeningsApi.SeatMap
export type BookAccepted = BookingApi.BookAccepted
export type BookingStatus = BookingApi.BookingStatus
export type Booking = BookingApi.BookingView
export type BookingPage = BookingApi.BookingPage
export type Ticket = Booking["tickets"][number]
/** The answer to `POST /payments`. */
export type PayResponse = PaymentsApi.PayResponse
/** A payment as `GET /payments/{paymentId}` shows it. */
export type Payment = PaymentsApi.Payment
export type Notification = NotificationsApi.Notification

/** A parked message as `GET <prefix>/_ops/dlq` lists it. */
export type ParkedMessage = OpsApi.ParkedMessage

/** The screening of a booking as booking names it (parts null while it does not know them). */
export type BookingScreening = BookingApi.BookingScreening
/** The answer to `POST /tickets/checkin`: the ticket admitted now. */
export type Admission = BookingApi.Admission
export type CheckinRequest = BookingApi.CheckinRequest
export type Revenue = BookingApi.Revenue
export type ScreeningReport = BookingApi.ScreeningReport
export type DayReport = BookingApi.DayReport
