// The shapes the page reads from the APIs (DESIGN §5, §9, §10, §11), as plain types: importing the
// contracts' schemas would pull Effect into the page.

export type SeatStatus = "available" | "reserved" | "booked"

export interface Screening {
  readonly screeningId: string
  readonly startsAt: string
  readonly endsAt: string
  readonly price: { readonly amount: number; readonly currency: string }
  readonly status: "scheduled" | "cancelled"
  readonly movie: { readonly movieId: string; readonly title: string | null; readonly durationMinutes: number | null }
  readonly cinema: { readonly cinemaId: string; readonly name: string | null; readonly timeZone: string }
  readonly hall: { readonly hallId: string; readonly name: string | null }
  readonly seatsAvailable: number
}

export interface Page<T> {
  readonly items: readonly T[]
  readonly nextCursor: string | null
}

export interface SeatRow {
  readonly label: string
  readonly seats: readonly { readonly seatNumber: string; readonly status: SeatStatus }[]
}

export interface SeatMap {
  readonly screeningId: string
  readonly rows: readonly SeatRow[]
  readonly version?: number
}

export interface SeatChanges {
  readonly version: number
  readonly changes: readonly { readonly seatNumber: string; readonly status: SeatStatus }[]
}

export type BookingStatus = "pending" | "reserved" | "booked" | "failed" | "cancelled"

export interface Booking {
  readonly bookingId: string
  readonly screeningId: string
  readonly screening: {
    readonly screeningId: string
    readonly startsAt: string | null
    readonly movieTitle: string | null
    readonly cinemaName: string | null
    readonly hallName: string | null
    readonly timeZone: string | null
  }
  readonly status: BookingStatus
  readonly seatNumbers: readonly string[]
  readonly tickets: readonly { readonly ticketId: string; readonly seatNumber: string; readonly code?: string; readonly admittedAt?: string }[]
  readonly amount: number | null
  readonly currency: string | null
  readonly expiresAt?: string
  readonly reason?: string
  readonly cancellableUntil?: string
  readonly createdAt: string
}

export interface Payment {
  readonly paymentId: string
  readonly bookingId: string
  readonly status: string
  readonly reason?: string
}

export interface Notification {
  readonly kind: string
  readonly bookingId: string
  readonly seatNumbers: readonly string[]
  readonly message: string
}
