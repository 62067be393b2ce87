// A booking's lifecycle as one decider (DESIGN §4, §6, §10): `decide(command, state)` answers every command with
// the events it causes (the contract payloads, each built here and nowhere else) or a typed refusal, and
// `evolve(state, event)` is what each event does to the booking. Pure: the facts a decision needs (the screening
// projection, seats taken, held-seat quotas, the clock, new ids, a ticket signer) come in the state and the command.
import { toIso, type Booking, type EventPayload } from "@bat/contracts"
import {
  AlreadyAdmitted,
  BookingNotFound,
  CheckinTooEarly,
  CheckinTooLate,
  HeldSeatsQuota,
  InvalidTicketCode,
  ScreeningNotYetKnown,
  TicketNotValid,
  WrongScreening,
  attemptVerdict,
  checkinWindow,
  paymentFailureReason,
  refuseCancellation,
  type CancellationRefusal
} from "./Booking.ts"

export type BookingStatus = "pending" | "reserved" | "booked" | "failed" | "cancelled"
export type TicketStatus = "reserved" | "booked" | "failed" | "cancelled"

/** The events a booking's lifecycle emits, each with its contract payload. */
export type BookingEventType =
  | "TicketBookingAttempted"
  | "TicketReserved"
  | "TicketReservingFailed"
  | "TicketBooked"
  | "TicketBookingFailed"
  | "TicketCancelled"
  | "TicketAdmitted"
export type BookingEvent = {
  readonly [T in BookingEventType]: { readonly type: T; readonly data: EventPayload<T> }
}[BookingEventType]

export interface TicketState {
  readonly ticketId: string
  readonly seatNumber: string
  readonly status: TicketStatus
  readonly code: string | null
  readonly admittedAt: number | null
}

export interface BookingRecord {
  readonly bookingId: string
  readonly userId: string
  readonly screeningId: string
  readonly status: BookingStatus
  readonly seatNumbers: ReadonlyArray<string>
  readonly tickets: ReadonlyArray<TicketState>
  readonly amount: number | null
  readonly currency: string | null
  readonly expiresAt: number | null
  readonly reason: string | null
}

/** What the projection knows of the booking's screening. */
export interface ScreeningState {
  readonly status: "scheduled" | "cancelled"
  /** False until ScreeningScheduled (with the hall's seats) has been applied. */
  readonly seatsKnown: boolean
  readonly startsAt: number | null
  readonly endsAt: number | null
  readonly price: { readonly amount: number; readonly currency: string } | null
  readonly movieTitle: string | null
  readonly cinemaName: string | null
  readonly hallName: string | null
  readonly timeZone: string | null
}

/** Unpaid seats held (pending or reserved) and the earliest expiry among them (null while all are pending). */
export interface Held {
  readonly seats: number
  readonly firstExpiry: number | null
}

/** What a decision is made on: the booking (none before its request), its screening and the facts around it. */
export interface BookingState {
  readonly booking: BookingRecord | undefined
  readonly screening: ScreeningState | undefined
  /** For an attempt: the user is unregistered. */
  readonly userUnregistered?: boolean
  /** For an attempt on a known screening: requested seats the hall lacks, those a live ticket holds, the user's live seats. */
  readonly seats?: { readonly unknown: ReadonlyArray<string>; readonly taken: ReadonlyArray<string>; readonly liveOfUser: number }
  /** For a request: unpaid seats held by the account and by the client address. */
  readonly held?: { readonly account: Held; readonly address: Held | undefined }
}

export const initialState: BookingState = { booking: undefined, screening: undefined }

export interface Viewer {
  readonly userId: string
  readonly role: "customer" | "staff"
}

export type BookingCommand =
  | {
      readonly kind: "Request"
      readonly bookingId: string
      readonly userId: string
      readonly screeningId: string
      readonly seatNumbers: ReadonlyArray<string>
      /** The held-seat quotas that apply (none for staff at the box office). */
      readonly quotas: { readonly account?: number | undefined; readonly address?: number | undefined }
      readonly now: number
    }
  | {
      readonly kind: "Attempt"
      /** The ids the tickets get if the seats are reserved, one per requested seat. */
      readonly ticketIds: ReadonlyArray<string>
      readonly maxSeatsPerUser: number
      readonly holdTtlMs: number
      /** The last delivery allowed to wait for an unknown screening has come. */
      readonly giveUpOnUnknownScreening: boolean
      readonly attempt: number
      readonly now: number
    }
  | { readonly kind: "PaymentSucceeded"; readonly sign: (claims: (typeof Booking.TicketClaims)["Encoded"]) => string }
  | { readonly kind: "PaymentFailed"; readonly reason: "declined" | "insufficient_funds" | "expired" }
  | { readonly kind: "Cancel"; readonly bookingId: string; readonly viewer: Viewer; readonly cutoffMs: number; readonly now: number }
  | { readonly kind: "CancelScreening" }
  | { readonly kind: "UnregisterUser" }
  | {
      readonly kind: "Admit"
      readonly claims: Booking.TicketClaims
      /** The screening the door is checking in. */
      readonly door: string
      readonly opensBeforeMs: number
      readonly now: number
    }

export type BookingRefusal =
  | BookingNotFound
  | HeldSeatsQuota
  | ScreeningNotYetKnown
  | CancellationRefusal
  | WrongScreening
  | CheckinTooEarly
  | CheckinTooLate
  | InvalidTicketCode
  | TicketNotValid

export type Decision = ReadonlyArray<BookingEvent> | BookingRefusal
export const isRefusal = (d: Decision): d is BookingRefusal => !Array.isArray(d)

/** The `screening` of a Ticket* event: all the facts, or none while any is unknown. */
export const screeningFactsOf = (
  screeningId: string,
  sc: ScreeningState | undefined
): { screening?: EventPayload<"TicketReserved">["screening"] } => {
  if (sc === undefined || sc.startsAt === null) return {}
  const { movieTitle, cinemaName, hallName, timeZone } = sc
  if (movieTitle === null || cinemaName === null || hallName === null || timeZone === null) return {}
  return { screening: { screeningId, startsAt: toIso(sc.startsAt), movieTitle, cinemaName, hallName, timeZone } }
}

const ids = (b: BookingRecord) => ({ bookingId: b.bookingId, userId: b.userId, screeningId: b.screeningId })
const ticketsOf = (b: BookingRecord) => b.tickets.map((t) => ({ ticketId: t.ticketId, seatNumber: t.seatNumber }))
const none: ReadonlyArray<BookingEvent> = []

// The events, each assembled once.
const reservingFailed = (s: BookingState, b: BookingRecord, reason: Booking.BookingFailureReason, unavailableSeats: ReadonlyArray<string> = []): BookingEvent => ({
  type: "TicketReservingFailed",
  data: { ...ids(b), seatNumbers: b.seatNumbers, reason, unavailableSeats, ...screeningFactsOf(b.screeningId, s.screening) }
})
const cancelled = (s: BookingState, b: BookingRecord, reason: Booking.CancellationReason): BookingEvent => ({
  type: "TicketCancelled",
  data: { ...ids(b), tickets: ticketsOf(b), reason, ...screeningFactsOf(b.screeningId, s.screening) }
})

/** The quota a request would break, if any: unpaid seats held by its account, then by its client address. */
const overQuota = (command: Extract<BookingCommand, { kind: "Request" }>, held: BookingState["held"]): HeldSeatsQuota | undefined => {
  const check = (scope: "account" | "address", max: number | undefined, h: Held | undefined) => {
    if (max === undefined || h === undefined || h.seats + command.seatNumbers.length <= max) return undefined
    // While every hold is still pending its decision comes within moments; else the first hold's expiry.
    const retryAfterMs = h.firstExpiry === null ? 5_000 : Math.max(1_000, h.firstExpiry - command.now)
    return new HeldSeatsQuota({ scope, max, retryAfterMs })
  }
  if (held === undefined) return undefined
  return check("account", command.quotas.account, held.account) ?? check("address", command.quotas.address, held.address)
}

const admit = (command: Extract<BookingCommand, { kind: "Admit" }>, s: BookingState): Decision => {
  const { claims, door, now } = command
  if (door !== claims.screeningId) return new WrongScreening({ ticketId: claims.ticketId, screeningId: claims.screeningId, expected: door })
  // The right door, at the right time: from the opening before the start until the end (DESIGN §17).
  const sc = s.screening
  if (sc?.startsAt != null) {
    const w = checkinWindow(sc.startsAt, sc.endsAt, command.opensBeforeMs, now)
    if (w.verdict === "early") return new CheckinTooEarly({ screeningId: claims.screeningId, opensAt: toIso(w.opensAt) })
    if (w.verdict === "late") return new CheckinTooLate({ screeningId: claims.screeningId, endedAt: toIso(w.endsAt!) })
  }
  const b = s.booking
  const t = b?.tickets.find((x) => x.ticketId === claims.ticketId)
  if (b === undefined || t === undefined) return new TicketNotValid({ ticketId: claims.ticketId, status: "unknown" })
  // The ticket is the truth: a signed code admits only the ticket it was issued for.
  if (b.bookingId !== claims.bookingId || b.screeningId !== claims.screeningId || t.seatNumber !== claims.seatNumber) {
    return new InvalidTicketCode({ reason: "shape" })
  }
  if (t.admittedAt !== null) return new AlreadyAdmitted({ ticketId: t.ticketId, admittedAt: toIso(t.admittedAt) })
  if (t.status !== "booked") return new TicketNotValid({ ticketId: t.ticketId, status: t.status })
  return [
    {
      type: "TicketAdmitted",
      data: { bookingId: b.bookingId, ticketId: t.ticketId, screeningId: b.screeningId, seatNumber: t.seatNumber, admittedAt: toIso(now) }
    }
  ]
}

/** Every command of a booking's lifecycle: the events it causes, none when it changes nothing, or why it is refused. */
export const decide = (command: BookingCommand, s: BookingState): Decision => {
  const b = s.booking
  switch (command.kind) {
    case "Request": {
      if (b !== undefined) return none
      // Counted against the requests committed before it: parallel requests cannot slip past the quota together.
      const refused = overQuota(command, s.held)
      if (refused !== undefined) return refused
      const { bookingId, userId, screeningId, seatNumbers } = command
      return [{ type: "TicketBookingAttempted", data: { bookingId, userId, screeningId, seatNumbers } }]
    }
    case "Attempt": {
      if (b === undefined || b.status !== "pending") return none // decided already: a redelivery
      const sc = s.screening
      const verdict = attemptVerdict({
        seatNumbers: b.seatNumbers,
        screening: sc && { status: sc.status, seatsKnown: sc.seatsKnown, startsAt: sc.startsAt, price: sc.price },
        userUnregistered: s.userUnregistered === true,
        liveSeatsOfUser: s.seats?.liveOfUser ?? 0,
        maxSeatsPerUser: command.maxSeatsPerUser,
        unknownSeats: s.seats?.unknown ?? [],
        takenSeats: s.seats?.taken ?? [],
        giveUpOnUnknownScreening: command.giveUpOnUnknownScreening,
        now: command.now
      })
      switch (verdict._tag) {
        case "Wait":
          return new ScreeningNotYetKnown({ screeningId: b.screeningId, bookingId: b.bookingId, attempt: command.attempt })
        case "Reject":
          return [reservingFailed(s, b, verdict.reason, verdict.unavailableSeats)]
        case "Reserve":
          return [
            {
              type: "TicketReserved",
              data: {
                ...ids(b),
                tickets: b.seatNumbers.map((seatNumber, i) => ({ ticketId: command.ticketIds[i]!, seatNumber })),
                amount: verdict.amount,
                currency: verdict.currency,
                expiresAt: toIso(command.now + command.holdTtlMs),
                ...screeningFactsOf(b.screeningId, sc)
              }
            }
          ]
      }
    }
    // Payments refunds a payment for a booking that is no longer reserved: nothing changes here.
    case "PaymentSucceeded": {
      if (b === undefined || b.status !== "reserved") return none
      const startsAt = s.screening?.startsAt ?? null
      // A reserved booking's screening always has its start; without one there is nothing true to sign.
      const tickets = ticketsOf(b).map((t) =>
        startsAt === null
          ? t
          : { ...t, code: command.sign({ ...t, bookingId: b.bookingId, screeningId: b.screeningId, startsAt: toIso(startsAt) }) }
      )
      return [{ type: "TicketBooked", data: { ...ids(b), tickets, ...screeningFactsOf(b.screeningId, s.screening) } }]
    }
    case "PaymentFailed": {
      if (b === undefined || b.status !== "reserved") return none
      const reason = paymentFailureReason(command.reason)
      return [{ type: "TicketBookingFailed", data: { ...ids(b), tickets: ticketsOf(b), reason, ...screeningFactsOf(b.screeningId, s.screening) } }]
    }
    case "Cancel": {
      const { viewer } = command
      if (b === undefined || (b.userId !== viewer.userId && viewer.role !== "staff")) {
        return new BookingNotFound({ bookingId: command.bookingId })
      }
      const admitted = b.tickets.filter((t) => t.admittedAt !== null).sort((x, y) => x.admittedAt! - y.admittedAt! || (x.ticketId < y.ticketId ? -1 : 1))[0]
      const refusal = refuseCancellation({
        bookingId: b.bookingId,
        status: b.status,
        startsAt: s.screening?.startsAt ?? null,
        firstAdmission: admitted === undefined ? null : { ticketId: admitted.ticketId, admittedAt: admitted.admittedAt! },
        cutoffMs: command.cutoffMs,
        now: command.now
      })
      return refusal ?? [cancelled(s, b, "customer_cancelled")]
    }
    case "CancelScreening":
      return b !== undefined && (b.status === "reserved" || b.status === "booked") ? [cancelled(s, b, "screening_cancelled")] : none
    // A reserved (unpaid) booking is cancelled, a pending one fails as its decision would have; booked ones stay valid.
    case "UnregisterUser":
      if (b?.status === "reserved") return [cancelled(s, b, "user_unregistered")]
      if (b?.status === "pending") return [reservingFailed(s, b, "user_unregistered")]
      return none
    case "Admit":
      return admit(command, s)
  }
}

const moveLive = (tickets: ReadonlyArray<TicketState>, status: TicketStatus) =>
  tickets.map((t) => (t.status === "reserved" || t.status === "booked" ? { ...t, status } : t))

/** What each event does to the booking. */
export const evolve = (s: BookingState, e: BookingEvent): BookingState => {
  const b = s.booking
  if (e.type === "TicketBookingAttempted") {
    const { bookingId, userId, screeningId, seatNumbers } = e.data
    const booking: BookingRecord = {
      bookingId, userId, screeningId, seatNumbers, status: "pending", tickets: [], amount: null, currency: null, expiresAt: null, reason: null
    }
    return { ...s, booking }
  }
  if (b === undefined) return s
  const next = (over: Partial<BookingRecord>): BookingState => ({ ...s, booking: { ...b, ...over } })
  switch (e.type) {
    case "TicketReserved":
      return next({
        status: "reserved",
        amount: e.data.amount,
        currency: e.data.currency,
        expiresAt: Date.parse(e.data.expiresAt),
        tickets: e.data.tickets.map((t) => ({ ...t, status: "reserved", code: null, admittedAt: null }))
      })
    case "TicketReservingFailed":
      return next({ status: "failed", reason: e.data.reason })
    case "TicketBooked": {
      const codes = new Map(e.data.tickets.map((t) => [t.ticketId, t.code ?? null]))
      return next({ status: "booked", tickets: moveLive(b.tickets, "booked").map((t) => ({ ...t, code: codes.get(t.ticketId) ?? t.code })) })
    }
    case "TicketBookingFailed":
      return next({ status: "failed", reason: e.data.reason, tickets: moveLive(b.tickets, "failed") })
    case "TicketCancelled":
      return next({ status: "cancelled", reason: e.data.reason, tickets: moveLive(b.tickets, "cancelled") })
    case "TicketAdmitted": {
      const at = Date.parse(e.data.admittedAt)
      return next({ tickets: b.tickets.map((t) => (t.ticketId === e.data.ticketId ? { ...t, admittedAt: at } : t)) })
    }
  }
}
