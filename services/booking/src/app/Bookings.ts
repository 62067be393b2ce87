// The booking use cases, shared by the HTTP routes and the event handlers. Each one is a single
// transaction: the guarded state change and the events it causes commit together or not at all.
import {
  IDEMPOTENCY_KEY_TTL_MS,
  toIso,
  type Booking,
  type BookingApi,
  type BookingId,
  type Envelope,
  type EventData,
  type EventPayload,
  type EventType
} from "@bat/contracts"
import { countBookingDecision, countLimited } from "@bat/http"
import { eventMessage } from "@bat/messaging"
import { Store, type StoreShape } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import {
  AlreadyAdmitted,
  BookingNotFound,
  CheckinTooEarly,
  CheckinTooLate,
  InvalidTicketCode,
  HeldSeatsQuota,
  IdempotencyKeyReused,
  ScreeningNotYetKnown,
  TicketNotFound,
  ScreeningNotFound,
  TicketNotValid,
  WrongScreening,
  cancellableUntil,
  checkinWindow,
  decide,
  paymentFailureReason,
  refuseCancellation,
  type CancellationRefusal,
  type ScreeningFacts
} from "../domain/Booking.ts"
import {
  BookingRepo,
  type BookingRow,
  type ScreeningNames,
  type ScreeningRow,
  type TicketRow,
  type TicketStateRow
} from "../store/BookingRepo.ts"
import { dayWindow, localDateOf, totalsOf } from "../domain/Reports.ts"
import { BookingSettings, Ids } from "./BookingSettings.ts"
import { TicketCodes } from "./TicketCodes.ts"

const PRODUCER = "booking"
const BOOK_ROUTE = "POST /tickets/book"
const CHECKIN_ROUTE = "POST /tickets/checkin"

export interface BookInput {
  readonly userId: string
  readonly request: BookingApi.BookRequest
  readonly idempotencyKey?: string | undefined
  /** A keyed hash of the client's address, for the held-seat quota per address. */
  readonly clientKey?: string | undefined
  /** Not held to the held-seat quotas (staff at the box office). */
  readonly quotaExempt?: boolean | undefined
}

/** The HTTP answer to a booking request; a repeated idempotency key gets the first one again. */
export interface BookOutcome {
  readonly status: number
  readonly body: BookingApi.BookAccepted
}

/** What a handler knows of the message it applies. */
export interface Delivery {
  readonly envelope: Envelope
  readonly attempt: number
  readonly maxAttempts: number
}

export interface Viewer {
  readonly userId: string
  readonly role: "customer" | "staff"
}

export interface CheckinInput {
  /** The staff member scanning: idempotency keys are theirs. */
  readonly scannerId: string
  readonly request: BookingApi.CheckinRequest
  readonly idempotencyKey?: string | undefined
}

const sha256 = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex")

const requestHash = (r: BookingApi.BookRequest): string => sha256({ screeningId: r.screeningId, seatNumbers: r.seatNumbers })

const checkinHash = (r: BookingApi.CheckinRequest): string => sha256({ code: r.code, screeningId: r.screeningId ?? null })

const visibleTo = (b: BookingRow, viewer: Viewer): boolean => b.user_id === viewer.userId || viewer.role === "staff"

/**
 * The names a ScreeningScheduled/ScreeningUpdated carries (DESIGN §9); an event published before the
 * names were, or without one of them, leaves that name null.
 */
const namesOf = (data: EventData<"ScreeningScheduled"> | EventData<"ScreeningUpdated">): ScreeningNames => ({
  movieTitle: data.movieTitle ?? null,
  cinemaName: data.cinemaName ?? null,
  hallName: data.hallName ?? null,
  timeZone: data.timeZone ?? null
})

/** The screening as the booking view shows it: every part the projection knows, null for the rest. */
const screeningViewOf = (screeningId: string, sc: ScreeningRow | undefined): BookingApi.BookingScreening => ({
  screeningId,
  startsAt: sc?.starts_at == null ? null : toIso(sc.starts_at),
  movieTitle: sc?.movie_title ?? null,
  cinemaName: sc?.cinema_name ?? null,
  hallName: sc?.hall_name ?? null,
  timeZone: sc?.time_zone ?? null
})

/** The facts a Ticket* event carries about its screening: all of them, or none while any is unknown. */
const screeningFactsOf = (
  screeningId: string,
  sc: ScreeningRow | undefined
): { screening?: (typeof Booking.ScreeningFacts)["Encoded"] } => {
  if (sc === undefined || sc.starts_at === null) return {}
  const { movie_title: movieTitle, cinema_name: cinemaName, hall_name: hallName, time_zone: timeZone } = sc
  if (movieTitle === null || cinemaName === null || hallName === null || timeZone === null) return {}
  return { screening: { screeningId, startsAt: toIso(sc.starts_at), movieTitle, cinemaName, hallName, timeZone } }
}

/**
 * A ticket as the booking view shows it: its code while it is booked (a cancelled ticket's code admits no
 * one, so it is not shown), and when it was admitted, if it was.
 */
const ticketViewOf = (t: TicketStateRow): BookingApi.TicketView => ({
  ticketId: t.ticket_id,
  seatNumber: t.seat_number,
  ...(t.status === "booked" && t.code !== null ? { code: t.code } : {}),
  ...(t.admitted_at !== null ? { admittedAt: toIso(t.admitted_at) } : {})
})

/**
 * Until when the customer may cancel: a reserved booking until its hold ends, a booked one until the
 * cut-off before the start (unless a ticket was admitted, or the start is unknown); otherwise never.
 */
const cancellableUntilOf = (
  row: BookingRow,
  tickets: ReadonlyArray<TicketStateRow>,
  screening: ScreeningRow | undefined,
  cutoffMs: number
): { cancellableUntil?: string } => {
  if (row.status === "reserved" && row.expires_at !== null) return { cancellableUntil: toIso(row.expires_at) }
  if (row.status !== "booked" || tickets.some((t) => t.admitted_at !== null)) return {}
  const until = cancellableUntil(screening?.starts_at ?? null, cutoffMs)
  return until === null ? {} : { cancellableUntil: toIso(until) }
}

const viewOf = (
  row: BookingRow,
  tickets: ReadonlyArray<TicketStateRow>,
  screening: ScreeningRow | undefined,
  cutoffMs: number
): BookingApi.BookingView => ({
  bookingId: row.booking_id,
  userId: row.user_id,
  screeningId: row.screening_id,
  screening: screeningViewOf(row.screening_id, screening),
  status: row.status,
  seatNumbers: JSON.parse(row.seat_numbers) as Array<string>,
  tickets: tickets.map(ticketViewOf),
  amount: row.amount,
  currency: row.currency,
  ...(row.status === "reserved" && row.expires_at !== null ? { expiresAt: toIso(row.expires_at) } : {}),
  ...(row.reason !== null ? { reason: row.reason as BookingApi.BookingReason } : {}),
  ...cancellableUntilOf(row, tickets, screening, cutoffMs),
  createdAt: toIso(row.created_at)
})

const make = Effect.gen(function* () {
  const store = yield* Store
  const repo = yield* BookingRepo
  const settings = yield* BookingSettings
  const ids = yield* Ids
  const codes = yield* TicketCodes
  const cutoffMs = settings.cancelCutoffMinutes * 60_000
  const checkinOpensMs = settings.checkinOpensMinutes * 60_000
  const bookingView = (b: BookingRow, screening: ScreeningRow | undefined = repo.findScreening(b.screening_id)) =>
    viewOf(b, repo.ticketStatesOf(b.booking_id), screening, cutoffMs)

  const emit = <T extends EventType>(type: T, data: EventPayload<T>, bookingId: string, causationId: string | null) =>
    store.appendOutbox([eventMessage(PRODUCER, type, data, { correlationId: bookingId, causationId })])

  const ticketsData = (tickets: ReadonlyArray<TicketRow>): EventPayload<"TicketBooked">["tickets"] => tickets
  /** `{ screening }` for a Ticket* event, as the projection knows the screening now. */
  const factsOf = (screeningId: string) => screeningFactsOf(screeningId, repo.findScreening(screeningId))

  /** booked or reserved → cancelled, its tickets too, and TicketCancelled; a no-op (false) for any other state. */
  const cancel = (b: BookingRow, reason: Booking.CancellationReason, causationId: string | null, now: number): boolean => {
    if (!repo.markCancelled(b.booking_id, reason, now)) return false
    repo.moveLiveTickets(b.booking_id, "cancelled", now)
    emit(
      "TicketCancelled",
      {
        bookingId: b.booking_id,
        userId: b.user_id,
        screeningId: b.screening_id,
        tickets: ticketsData(repo.ticketsOf(b.booking_id)),
        reason,
        ...factsOf(b.screening_id)
      },
      b.booking_id,
      causationId
    )
    return true
  }

  // A group of book requests still open when the service stops is committed (and answered) before the database closes.
  yield* Effect.addFinalizer(() => Effect.sync(() => store.flushGroup()))

  /** The quota a request would break, if any: unpaid seats held by its account, then by its client address. */
  const heldSeatsQuota = (input: BookInput, seats: number, now: number): HeldSeatsQuota | undefined => {
    if (input.quotaExempt === true) return undefined
    const check = (scope: "account" | "address", max: number | undefined, held: () => { seats: number; firstExpiry: number | null }) => {
      if (max === undefined) return undefined
      const h = held()
      if (h.seats + seats <= max) return undefined
      // While every hold is still pending its decision comes within moments; else the first hold's expiry.
      const retryAfterMs = h.firstExpiry === null ? 5_000 : Math.max(1_000, h.firstExpiry - now)
      countLimited(`held_seats_${scope}`)
      return new HeldSeatsQuota({ scope, max, retryAfterMs })
    }
    return (
      check("account", settings.maxHeldSeatsPerAccount, () => repo.heldSeatsOfUser(input.userId)) ??
      (input.clientKey === undefined ? undefined : check("address", settings.maxHeldSeatsPerAddress, () => repo.heldSeatsOfClient(input.clientKey!)))
    )
  }

  /** The booking row, TicketBookingAttempted and the idempotency key of one request; run inside a transaction. */
  const requestBody = (input: BookInput, now: number) =>
    Effect.suspend((): Effect.Effect<BookOutcome, IdempotencyKeyReused | HeldSeatsQuota> => {
      const key = input.idempotencyKey
      const hash = key === undefined ? "" : requestHash(input.request)
      if (key !== undefined) {
        const prior = repo.findIdempotencyKey(input.userId, BOOK_ROUTE, key)
        if (prior !== undefined && prior.created_at > now - IDEMPOTENCY_KEY_TTL_MS) {
          if (prior.request_hash !== hash) return Effect.fail(new IdempotencyKeyReused({ key }))
          return Effect.succeed({ status: prior.status_code, body: JSON.parse(prior.response) } as BookOutcome)
        }
      }
      const { screeningId, seatNumbers } = input.request
      // Counted in the request's own savepoint, after the requests committed before it: parallel requests cannot
      // slip past the quota together. A repeated idempotency key (above) still gets its first answer.
      const overQuota = heldSeatsQuota(input, seatNumbers.length, now)
      if (overQuota !== undefined) return Effect.fail(overQuota)
      const bookingId = ids.next()
      repo.insertBooking({ bookingId, userId: input.userId, screeningId, seatNumbers, now, clientKey: input.clientKey })
      emit("TicketBookingAttempted", { bookingId, userId: input.userId, screeningId, seatNumbers }, bookingId, null)
      const outcome: BookOutcome = { status: 202, body: { bookingId, status: "pending" } }
      if (key !== undefined) {
        repo.saveIdempotencyKey(input.userId, BOOK_ROUTE, key, hash, outcome.status, JSON.stringify(outcome.body), now)
      }
      return Effect.succeed(outcome)
    })

  /** Inserts the booking as `pending` with TicketBookingAttempted; the consumer decides later. */
  const request = Effect.fn("Bookings.request")(function* (input: BookInput) {
    const now = yield* Clock.currentTimeMillis
    // Book requests share commits (the store's group commit): each runs in its own savepoint of the group's
    // transaction, in arrival order, and is answered only after the group has committed.
    return yield* store.grouped(requestBody(input, now))
  })

  /** Decides a pending booking against the projection: seats reserved, or the booking failed with a reason. */
  const decideAttempt = Effect.fn("Bookings.decide")(function* (
    data: EventData<"TicketBookingAttempted">,
    delivery: Delivery
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.suspend(() => {
        const b = repo.findBooking(data.bookingId)
        if (b === undefined || b.status !== "pending") return Effect.void // decided already: redelivery
        const row = repo.findScreening(b.screening_id)
        const screening: ScreeningFacts | undefined = row && {
          status: row.status,
          seatsKnown: row.seats_known === 1,
          startsAt: row.starts_at,
          price: row.price_amount === null || row.currency === null ? null : { amount: row.price_amount, currency: row.currency }
        }
        const seatNumbers = JSON.parse(b.seat_numbers) as Array<string>
        const known = screening?.status === "scheduled" && screening.seatsKnown
        const decision = decide({
          seatNumbers,
          screening,
          userUnregistered: repo.isUnregistered(b.user_id),
          liveSeatsOfUser: known ? repo.liveSeatsOfUser(b.user_id, b.screening_id) : 0,
          maxSeatsPerUser: settings.maxSeatsPerUser,
          unknownSeats: known ? repo.unknownSeats(b.screening_id, b.seat_numbers) : [],
          takenSeats: known ? repo.takenSeats(b.screening_id, b.seat_numbers) : [],
          giveUpOnUnknownScreening: delivery.attempt >= Math.min(settings.unknownScreeningAttempts, delivery.maxAttempts),
          now
        })
        const base = { bookingId: b.booking_id, userId: b.user_id, screeningId: b.screening_id } as Pick<
          EventData<"TicketReserved">,
          "bookingId" | "userId" | "screeningId"
        >
        switch (decision._tag) {
          case "Wait":
            return Effect.fail(
              new ScreeningNotYetKnown({ screeningId: b.screening_id, bookingId: b.booking_id, attempt: delivery.attempt })
            )
          case "Reject":
            if (repo.markFailed(b.booking_id, "pending", decision.reason, now)) {
              countBookingDecision("rejected", decision.reason)
              emit(
                "TicketReservingFailed",
                {
                  ...base,
                  seatNumbers,
                  reason: decision.reason,
                  unavailableSeats: decision.unavailableSeats,
                  ...screeningFactsOf(b.screening_id, row)
                },
                b.booking_id,
                delivery.envelope.id
              )
            }
            return Effect.void
          case "Reserve": {
            const expiresAt = now + settings.holdTtlMs
            if (!repo.markReserved(b.booking_id, decision.amount, decision.currency, expiresAt, now)) return Effect.void
            countBookingDecision("reserved")
            const tickets = seatNumbers.map((seatNumber) => ({ ticketId: ids.next(), seatNumber }))
            repo.insertReservedTickets(b.booking_id, b.screening_id, tickets, now)
            emit(
              "TicketReserved",
              {
                ...base,
                tickets: ticketsData(tickets),
                amount: decision.amount,
                currency: decision.currency,
                expiresAt: toIso(expiresAt),
                ...screeningFactsOf(b.screening_id, row)
              },
              b.booking_id,
              delivery.envelope.id
            )
            return Effect.void
          }
        }
      })
    )
  })

  /**
   * PaymentSuccessful: a reserved booking becomes booked and each ticket gets its code (signed here, in the
   * transaction, and stored only when the transition happens); any other state ignores it (payments refunds).
   */
  const confirmPayment = Effect.fn("Bookings.confirmPayment")(function* (
    data: EventData<"PaymentSuccessful">,
    delivery: Delivery
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => {
        // Recorded whatever the booking's state: a payment for a booking no longer reserved is refunded by
        // payments, and the reports count it until then (and the refund after).
        repo.recordPayment(data, now)
        const b = repo.findBooking(data.bookingId)
        if (b === undefined || !repo.markBooked(b.booking_id, now)) return
        const startsAt = repo.findScreening(b.screening_id)?.starts_at ?? null
        type Coded = EventPayload<"TicketBooked">["tickets"][number]
        const tickets = repo.ticketsOf(b.booking_id).map((t): Coded => {
          // A reserved booking's screening always has its start; without one there is nothing true to sign.
          if (startsAt === null) return t
          const code = codes.sign({
            ticketId: t.ticketId,
            bookingId: b.booking_id,
            screeningId: b.screening_id,
            seatNumber: t.seatNumber,
            startsAt: toIso(startsAt)
          } as Booking.TicketClaims)
          repo.setTicketCode(t.ticketId, code)
          return { ...t, code }
        })
        repo.moveLiveTickets(b.booking_id, "booked", now)
        emit(
          "TicketBooked",
          {
            bookingId: b.booking_id,
            userId: b.user_id,
            screeningId: b.screening_id,
            tickets,
            ...factsOf(b.screening_id)
          },
          b.booking_id,
          delivery.envelope.id
        )
      })
    )
  })

  /** PaymentFailed: a reserved booking fails and its seats are freed; any other state ignores it. */
  const releaseOnPaymentFailure = Effect.fn("Bookings.releaseOnPaymentFailure")(function* (
    data: EventData<"PaymentFailed">,
    delivery: Delivery
  ) {
    const now = yield* Clock.currentTimeMillis
    const reason = paymentFailureReason(data.reason)
    return yield* store.transaction(
      Effect.sync(() => {
        const b = repo.findBooking(data.bookingId)
        if (b === undefined || !repo.markFailed(b.booking_id, "reserved", reason, now)) return
        repo.moveLiveTickets(b.booking_id, "failed", now)
        emit(
          "TicketBookingFailed",
          {
            bookingId: b.booking_id,
            userId: b.user_id,
            screeningId: b.screening_id,
            tickets: ticketsData(repo.ticketsOf(b.booking_id)),
            reason,
            ...factsOf(b.screening_id)
          },
          b.booking_id,
          delivery.envelope.id
        )
      })
    )
  })

  const projectScheduled = Effect.fn("Bookings.projectScheduled")(function* (data: EventData<"ScreeningScheduled">) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() =>
        repo.projectScheduled(
          {
            screeningId: data.screeningId,
            cinemaId: data.cinemaId,
            revision: data.revision,
            startsAt: Date.parse(data.startsAt),
            endsAt: Date.parse(data.endsAt),
            priceAmount: data.price.amount,
            currency: data.price.currency,
            seatNumbers: data.seatNumbers,
            names: namesOf(data)
          },
          now
        )
      )
    )
  })

  const projectUpdated = Effect.fn("Bookings.projectUpdated")(function* (data: EventData<"ScreeningUpdated">) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() =>
        repo.projectUpdated(
          {
            screeningId: data.screeningId,
            revision: data.revision,
            startsAt: Date.parse(data.startsAt),
            endsAt: Date.parse(data.endsAt),
            priceAmount: data.price.amount,
            currency: data.price.currency,
            names: namesOf(data)
          },
          now
        )
      )
    )
  })

  /** ScreeningCancelled: a tombstone, and every reserved or booked booking of it cancelled. */
  const cancelScreening = Effect.fn("Bookings.cancelScreening")(function* (
    data: EventData<"ScreeningCancelled">,
    delivery: Delivery
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => {
        repo.tombstone(data.screeningId, now)
        for (const b of repo.liveBookingsOfScreening(data.screeningId)) {
          cancel(b, "screening_cancelled", delivery.envelope.id, now)
        }
      })
    )
  })

  /**
   * UserUnregistered: remembered, and every open booking of the user ended at once: a reserved
   * (unpaid) one is cancelled, a pending one fails as its decision would have (`user_unregistered`
   * comes first); booked ones stay valid. Then UserBookingsClosed lists the ended bookings, so
   * notifications knows which notices it owes the user before it erases their address. Only the
   * first UserUnregistered of a user does this: a repeat finds nothing open and emits nothing, so
   * the list is never replaced by an empty one.
   */
  const unregisterUser = Effect.fn("Bookings.unregisterUser")(function* (
    data: EventData<"UserUnregistered">,
    delivery: Delivery
  ) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.sync(() => {
        if (!repo.recordUnregistered(data.userId, now)) return
        const causationId = delivery.envelope.id
        const closed: Array<BookingId> = []
        for (const b of repo.openBookingsOfUser(data.userId)) {
          if (b.status === "reserved") {
            if (cancel(b, "user_unregistered", causationId, now)) closed.push(b.booking_id as BookingId)
          } else if (repo.markFailed(b.booking_id, "pending", "user_unregistered", now)) {
            emit(
              "TicketReservingFailed",
              {
                ...({ bookingId: b.booking_id, userId: b.user_id, screeningId: b.screening_id } as Pick<
                  EventData<"TicketReservingFailed">,
                  "bookingId" | "userId" | "screeningId"
                >),
                seatNumbers: JSON.parse(b.seat_numbers) as Array<string>,
                reason: "user_unregistered",
                unavailableSeats: [],
                ...factsOf(b.screening_id)
              },
              b.booking_id,
              causationId
            )
            closed.push(b.booking_id as BookingId)
          }
        }
        store.appendOutbox([
          eventMessage(
            PRODUCER,
            "UserBookingsClosed",
            { userId: data.userId, bookingIds: closed },
            { correlationId: delivery.envelope.correlationId, causationId }
          )
        ])
      })
    )
  })

  /** The booking, for its owner or staff; anyone else is told it does not exist. */
  const view = Effect.fn("Bookings.view")(function* (bookingId: string, viewer: Viewer) {
    const b = repo.findBooking(bookingId)
    if (b === undefined || !visibleTo(b, viewer)) return yield* new BookingNotFound({ bookingId })
    return bookingView(b)
  })

  /** The user's bookings, newest first; `before` is the last booking id of the previous page. */
  const listOfUser = Effect.fn("Bookings.listOfUser")(function* (userId: string, before: string | undefined, limit: number) {
    const rows = repo.listOfUser(userId, before, limit + 1)
    const page = rows.slice(0, limit)
    // A page often names the same screening several times: look each one up once.
    const screenings = new Map<string, ScreeningRow | undefined>()
    const screeningOf = (id: string) => {
      if (!screenings.has(id)) screenings.set(id, repo.findScreening(id))
      return screenings.get(id)
    }
    return {
      items: page.map((b) => bookingView(b, screeningOf(b.screening_id))),
      nextLastId: rows.length > limit ? page[page.length - 1]!.booking_id : null
    }
  })

  /** A booked ticket's code, for its booking's owner or staff (the QR code shows it). */
  const ticketCode = Effect.fn("Bookings.ticketCode")(function* (bookingId: string, ticketId: string, viewer: Viewer) {
    const b = repo.findBooking(bookingId)
    if (b === undefined || !visibleTo(b, viewer)) return yield* new BookingNotFound({ bookingId })
    const t = repo.findTicket(ticketId)
    if (t === undefined || t.booking_id !== b.booking_id) return yield* new TicketNotFound({ bookingId, ticketId })
    if (t.status !== "booked" || t.code === null) return yield* new TicketNotValid({ ticketId, status: t.status })
    return t.code
  })

  /**
   * Admits the ticket a scanned code names (DESIGN §10): the signature and claims are checked first (no
   * database), then the ticket row must be the one the claims name (booking, screening, seat), and one guarded
   * UPDATE admits it only while booked and not admitted, with TicketAdmitted in
   * the same transaction. A scanner's repeat with its Idempotency-Key gets its first admission back.
   */
  const checkin = Effect.fn("Bookings.checkin")(function* (input: CheckinInput) {
    const key = input.idempotencyKey
    const hash = key === undefined ? "" : checkinHash(input.request)
    /** The admission this scanner's key already answered with, if any. */
    const replay = (now: number): Effect.Effect<BookingApi.Admission | undefined, IdempotencyKeyReused> => {
      if (key === undefined) return Effect.succeed(undefined)
      const prior = repo.findIdempotencyKey(input.scannerId, CHECKIN_ROUTE, key)
      if (prior === undefined || prior.created_at <= now - IDEMPOTENCY_KEY_TTL_MS) return Effect.succeed(undefined)
      if (prior.request_hash !== hash) return Effect.fail(new IdempotencyKeyReused({ key }))
      return Effect.succeed(JSON.parse(prior.response) as BookingApi.Admission)
    }
    const earlier = yield* replay(yield* Clock.currentTimeMillis)
    if (earlier !== undefined) return earlier
    const claims = yield* codes.verify(input.request.code)
    const door = input.request.screeningId
    if (door !== claims.screeningId) {
      return yield* new WrongScreening({ ticketId: claims.ticketId, screeningId: claims.screeningId, expected: door })
    }
    const now = yield* Clock.currentTimeMillis
    // The right door, at the right time: from CHECKIN_OPENS_MINUTES before the start until the end (DESIGN §17).
    const sc = repo.findScreening(claims.screeningId)
    if (sc?.starts_at != null) {
      const w = checkinWindow(sc.starts_at, sc.ends_at, checkinOpensMs, now)
      if (w.verdict === "early") return yield* new CheckinTooEarly({ screeningId: sc.screening_id, opensAt: toIso(w.opensAt) })
      if (w.verdict === "late") return yield* new CheckinTooLate({ screeningId: sc.screening_id, endedAt: toIso(w.endsAt!) })
    }
    return yield* store.transaction(
      Effect.flatMap(replay(now), (again): Effect.Effect<BookingApi.Admission, AlreadyAdmitted | TicketNotValid | InvalidTicketCode> => {
        // A concurrent repeat of the same key committed while this one verified the code.
        if (again !== undefined) return Effect.succeed(again)
        // The ticket row is the truth: a signed code admits only the ticket it was issued for.
        const issued = repo.findTicket(claims.ticketId)
        if (
          issued !== undefined &&
          (issued.booking_id !== claims.bookingId ||
            issued.screening_id !== claims.screeningId ||
            issued.seat_number !== claims.seatNumber)
        ) {
          return Effect.fail(new InvalidTicketCode({ reason: "shape" }))
        }
        const admitted = repo.admit(claims.ticketId, now)
        const t = repo.findTicket(claims.ticketId)
        if (!admitted || t === undefined) {
          if (t?.admitted_at != null) {
            return Effect.fail(new AlreadyAdmitted({ ticketId: t.ticket_id, admittedAt: toIso(t.admitted_at) }))
          }
          return Effect.fail(new TicketNotValid({ ticketId: claims.ticketId, status: t?.status ?? "unknown" }))
        }
        const admission: BookingApi.Admission = {
          ticketId: t.ticket_id,
          bookingId: t.booking_id,
          seatNumber: t.seat_number,
          screening: screeningViewOf(t.screening_id, repo.findScreening(t.screening_id)),
          admittedAt: toIso(now)
        }
        emit(
          "TicketAdmitted",
          {
            bookingId: t.booking_id,
            ticketId: t.ticket_id,
            screeningId: t.screening_id,
            seatNumber: t.seat_number,
            admittedAt: admission.admittedAt
          } as EventPayload<"TicketAdmitted">,
          t.booking_id,
          null
        )
        if (key !== undefined) {
          repo.saveIdempotencyKey(input.scannerId, CHECKIN_ROUTE, key, hash, 200, JSON.stringify(admission), now)
        }
        return Effect.succeed(admission)
      })
    )
  })

  /**
   * A customer (or staff) cancels a booking (DESIGN §10): the rules of `refuseCancellation`, then the same
   * guarded transition the cascades use, the tickets cancelled and TicketCancelled `customer_cancelled`, in
   * one transaction. Payments closes the hold or refunds the payment on that event.
   */
  const cancelByCustomer = Effect.fn("Bookings.cancelByCustomer")(function* (bookingId: string, viewer: Viewer) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.suspend((): Effect.Effect<BookingApi.BookingView, BookingNotFound | CancellationRefusal> => {
        const b = repo.findBooking(bookingId)
        if (b === undefined || !visibleTo(b, viewer)) return Effect.fail(new BookingNotFound({ bookingId }))
        const screening = repo.findScreening(b.screening_id)
        const refusal = refuseCancellation({
          bookingId,
          status: b.status,
          startsAt: screening?.starts_at ?? null,
          firstAdmission: repo.firstAdmission(bookingId) ?? null,
          cutoffMs,
          now
        })
        if (refusal !== undefined) return Effect.fail(refusal)
        cancel(b, "customer_cancelled", null, now)
        return Effect.succeed(bookingView(repo.findBooking(bookingId)!, screening))
      })
    )
  })

  /** PaymentRefunded: the refund is recorded against its payment (for the reports; nothing else changes). */
  const recordRefund = Effect.fn("Bookings.recordRefund")(function* (data: EventData<"PaymentRefunded">) {
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(Effect.sync(() => repo.recordRefund(data, now)))
  })

  /** One screening's report from booking's own data: seats, bookings by state, money as payments announced it. */
  const reportOf = (sc: ScreeningRow): BookingApi.ScreeningReport => {
    const f = repo.figuresOf(sc.screening_id)
    const { reserved, booked, admitted } = f.seats
    const { gross, refunded } = f.revenue
    // The payments' currency, else the screening's price currency; null when neither is known.
    const currency = f.revenue.currency ?? sc.currency
    return {
      screeningId: sc.screening_id,
      screening: screeningViewOf(sc.screening_id, sc),
      capacity: f.capacity,
      seats: { available: f.capacity - reserved - booked, reserved, booked, admitted },
      bookings: f.bookings,
      revenue: { gross, refunded, net: gross - refunded, currency }
    }
  }

  const screeningReport = Effect.fn("Bookings.screeningReport")(function* (screeningId: string) {
    const sc = repo.findScreening(screeningId)
    if (sc === undefined) return yield* new ScreeningNotFound({ screeningId })
    return reportOf(sc)
  })

  /** Every screening starting on `date` in its cinema's time zone (UTC when unknown), optionally one cinema's. */
  const dayReport = Effect.fn("Bookings.dayReport")(function* (date: string, cinemaId: string | undefined) {
    const { from, to } = dayWindow(date)
    const screenings = repo
      .screeningsStarting(from, to, cinemaId)
      .filter((sc) => sc.starts_at !== null && localDateOf(sc.starts_at, sc.time_zone) === date)
      .map(reportOf)
    return { date, cinemaId: cinemaId ?? null, screenings, totals: totalsOf(screenings) } satisfies BookingApi.DayReport
  })

  /** Forgets idempotency keys older than 24 h. */
  const pruneIdempotencyKeys = Effect.fn("Bookings.pruneIdempotencyKeys")(function* () {
    const now = yield* Clock.currentTimeMillis
    return repo.pruneIdempotencyKeys(now - IDEMPOTENCY_KEY_TTL_MS)
  })

  return {
    request,
    decide: decideAttempt,
    confirmPayment,
    releaseOnPaymentFailure,
    projectScheduled,
    projectUpdated,
    cancelScreening,
    unregisterUser,
    view,
    listOfUser,
    ticketCode,
    checkin,
    cancelByCustomer,
    recordRefund,
    screeningReport,
    dayReport,
    jwks: codes.jwks,
    pruneIdempotencyKeys
  }
})

export class Bookings extends Context.Service<Bookings, Effect.Success<typeof make>>()("booking/app/Bookings") {
  static readonly layer = Layer.effect(Bookings, make)
}
