// The event catalog: each event type, its producer and its data schema (DESIGN §4).
import { Schema } from "effect"
import * as Booking from "./booking.ts"
import * as Cinemas from "./cinemas.ts"
import * as Movies from "./movies.ts"
import * as Payments from "./payments.ts"
import * as Screenings from "./screenings.ts"
import * as Users from "./users.ts"

export const catalog = {
  UserRegistered: { producer: "users", schema: Users.UserRegistered },
  UserLoggedIn: { producer: "users", schema: Users.UserLoggedIn },
  UserUnregistered: { producer: "users", schema: Users.UserUnregistered },
  CinemaCreated: { producer: "cinemas", schema: Cinemas.CinemaCreated },
  CinemaUpdated: { producer: "cinemas", schema: Cinemas.CinemaUpdated },
  CinemaDeleted: { producer: "cinemas", schema: Cinemas.CinemaDeleted },
  HallCreated: { producer: "cinemas", schema: Cinemas.HallCreated },
  MovieAdded: { producer: "movies", schema: Movies.MovieAdded },
  MovieUpdated: { producer: "movies", schema: Movies.MovieUpdated },
  MovieRemoved: { producer: "movies", schema: Movies.MovieRemoved },
  ScreeningScheduled: { producer: "screenings", schema: Screenings.ScreeningScheduled },
  ScreeningUpdated: { producer: "screenings", schema: Screenings.ScreeningUpdated },
  ScreeningCancelled: { producer: "screenings", schema: Screenings.ScreeningCancelled },
  TicketBookingAttempted: { producer: "booking", schema: Booking.TicketBookingAttempted },
  TicketReserved: { producer: "booking", schema: Booking.TicketReserved },
  TicketReservingFailed: { producer: "booking", schema: Booking.TicketReservingFailed },
  TicketBooked: { producer: "booking", schema: Booking.TicketBooked },
  TicketBookingFailed: { producer: "booking", schema: Booking.TicketBookingFailed },
  TicketCancelled: { producer: "booking", schema: Booking.TicketCancelled },
  TicketAdmitted: { producer: "booking", schema: Booking.TicketAdmitted },
  UserBookingsClosed: { producer: "booking", schema: Booking.UserBookingsClosed },
  PaymentAttempted: { producer: "payments", schema: Payments.PaymentAttempted },
  PaymentSuccessful: { producer: "payments", schema: Payments.PaymentSuccessful },
  PaymentFailed: { producer: "payments", schema: Payments.PaymentFailed },
  PaymentRefunded: { producer: "payments", schema: Payments.PaymentRefunded },
  HoldTimerElapsed: { producer: "payments", schema: Payments.HoldTimerElapsed }
} as const

export type EventType = keyof typeof catalog
export type EventData<T extends EventType> = (typeof catalog)[T]["schema"]["Type"]
/** An event's data as written to the wire (ids as plain strings): what producers pass, checked field by field. */
export type EventPayload<T extends EventType> = (typeof catalog)[T]["schema"]["Encoded"]
export type Producer = (typeof catalog)[EventType]["producer"]

export const isEventType = (t: string): t is EventType => Object.hasOwn(catalog, t)

/** Decodes an event's data against its schema; every issue is reported, not only the first. */
export const decodeEventData = <T extends EventType>(type: T, data: unknown) =>
  Schema.decodeUnknownResult(catalog[type].schema as Schema.Codec<EventData<T>, unknown>)(data, {
    errors: "all"
  })
