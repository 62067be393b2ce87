// Response bodies of the HTTP API as DESIGN §5 defines them; the CLI reads only these fields.

export interface User {
  readonly userId: string
  readonly fullName: string
  readonly email: string
  readonly role: "customer" | "staff"
}

export interface RowLayout {
  readonly label: string
  readonly seats: number
}

export interface Hall {
  readonly hallId: string
  readonly cinemaId?: string
  readonly name: string
  readonly rows: ReadonlyArray<RowLayout>
  readonly capacity: number
}

export interface Cinema {
  readonly cinemaId: string
  readonly name: string
  readonly address: string
  readonly halls: ReadonlyArray<Hall>
}

export interface Movie {
  readonly movieId: string
  readonly title: string
  readonly genre: string
  readonly durationMinutes: number
}

export interface Price {
  readonly amount: number
  readonly currency: string
}

export interface Screening {
  readonly screeningId: string
  readonly movieId: string
  readonly cinemaId: string
  readonly hallId: string
  readonly startsAt: string
  readonly endsAt: string
  readonly price: Price
  readonly status: "scheduled" | "cancelled"
}

export interface Ticket {
  readonly ticketId: string
  readonly seatNumber: string
}

export type BookingStatus = "pending" | "reserved" | "booked" | "failed" | "cancelled"

export interface Booking {
  readonly bookingId: string
  readonly screeningId: string
  readonly status: BookingStatus
  readonly tickets: ReadonlyArray<Ticket>
  readonly seatNumbers?: ReadonlyArray<string>
  readonly amount?: number | null
  readonly currency?: string | null
  readonly expiresAt?: string | null
  readonly reason?: string | null
}

export interface Payment {
  readonly paymentId: string
  readonly bookingId: string
  readonly status: "pending" | "charging" | "succeeded" | "failed" | "expired" | "refunded"
  readonly amount: number
  readonly currency: string
  readonly cardLast4?: string
  readonly reason?: string
}

export interface Notification {
  readonly notificationId: string
  readonly kind: string
  readonly bookingId: string
  readonly screeningId?: string
  readonly seatNumbers?: ReadonlyArray<string>
  readonly message: string
  readonly createdAt?: string
}

export interface ParkedMessage {
  readonly messageId: string
  readonly type: string
  readonly reason: string
  readonly error: string
  readonly attempts: number
  readonly originalQueue: string
  readonly parkedAt: string
  readonly body: unknown
}
