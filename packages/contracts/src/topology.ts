// Exchanges, queues and bindings: the single source of truth for the broker layout (DESIGN §3).
import { catalog, type EventType } from "./events.ts"

export const services = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications"] as const
export type ServiceName = (typeof services)[number]

/** Every producer publishes to one durable topic exchange; the routing key is the event type. */
export const exchangeOf = (producer: string): string => `${producer}.events`
export const producers = ["users", "cinemas", "movies", "screenings", "booking", "payments"] as const

/** The event types each consuming service's inbox is bound to. */
export const subscriptions: Partial<Record<ServiceName, ReadonlyArray<EventType>>> = {
  screenings: [
    "CinemaCreated",
    "CinemaUpdated",
    "HallCreated",
    "CinemaDeleted",
    "MovieAdded",
    "MovieUpdated",
    "MovieRemoved",
    "TicketReserved",
    "TicketBooked",
    "TicketBookingFailed",
    "TicketCancelled",
    "UserUnregistered"
  ],
  booking: [
    "TicketBookingAttempted",
    "ScreeningScheduled",
    "ScreeningUpdated",
    "ScreeningCancelled",
    "PaymentSuccessful",
    "PaymentFailed",
    "PaymentRefunded",
    "UserUnregistered"
  ],
  payments: ["TicketReserved", "TicketCancelled", "UserUnregistered"],
  // Only to refuse an unregistered user's tokens at once (DESIGN §17, packages/http revocation).
  cinemas: ["UserUnregistered"],
  movies: ["UserUnregistered"],
  notifications: [
    "UserRegistered",
    "UserUnregistered",
    "TicketReserved",
    "TicketReservingFailed",
    "TicketBooked",
    "TicketBookingFailed",
    "TicketCancelled",
    "UserBookingsClosed",
    "PaymentRefunded"
  ]
}

export const inboxOf = (service: string): string => `${service}.inbox`
export const dlqOf = (service: string): string => `${service}.dlq`
export const retryQueueOf = (service: string, delayMs: number): string => `${service}.retry.${delayMs}ms`

/** Retry delays: growing to 60 s, then 60 s until the attempts span more than an hour. */
export const defaultRetryDelays: ReadonlyArray<number> = [
  1_000, 5_000, 15_000, 30_000, ...Array.from({ length: 60 }, () => 60_000)
]

/** The hold-timer queue carries its TTL in its name, so a changed setting never collides. */
export const holdQueueOf = (ttlMs: number): string => `payments.hold.${ttlMs}ms`
export const holdExpiredQueue = "payments.hold-expired"

export interface Binding {
  readonly exchange: string
  readonly routingKey: EventType
}
export const bindingsOf = (service: ServiceName): ReadonlyArray<Binding> =>
  (subscriptions[service] ?? []).map((type) => ({ exchange: exchangeOf(catalog[type].producer), routingKey: type }))
