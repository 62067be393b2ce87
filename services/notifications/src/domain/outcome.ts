// What happened to a booking, as the user is told it: the outcome kinds, their subjects and human messages.
import type { NotificationsApi } from "@bat/contracts"
import { formatMoney as formatMoneyText } from "@bat/contracts/money"
import { formatLocal, localParts } from "./localTime.ts"

export type NotificationKind = NotificationsApi.NotificationKind

/**
 * What a person needs to recognise a screening, as booking states it on its Ticket* events
 * (`Booking.ScreeningFacts`, ids unbranded as they are read back from storage): names as of the
 * booking, the start in UTC and the cinema's zone.
 */
export interface ScreeningFacts {
  readonly screeningId: string
  readonly startsAt: string
  readonly movieTitle: string
  readonly cinemaName: string
  readonly hallName: string
  readonly timeZone: string
}

/** Money in integer minor units with its ISO-4217 currency. */
export interface Money {
  readonly amount: number
  readonly currency: string
}

interface Seat {
  readonly ticketId: string
  readonly seatNumber: string
}

/** A booked ticket with the code a door scans (a compact JWS, DESIGN §10); absent on events of an earlier version. */
interface BookedSeat extends Seat {
  readonly code?: string | undefined
}

/** A ticket's code as the `booked` e-mail shows it: the seat, the code in text, and its QR image. */
export interface TicketCode {
  readonly ticketId: string
  readonly seatNumber: string
  readonly code: string
}

interface Base {
  readonly bookingId: string
  readonly userId: string
  readonly screeningId: string
  /** Absent on events made before booking carried them: the notice then says "your screening". */
  readonly screening?: ScreeningFacts | undefined
}

/** What earlier notices of the same booking said: the screening and the money, for events that lack them. */
export interface BookingFacts {
  readonly screeningId: string | null
  readonly ticketIds: ReadonlyArray<string>
  readonly seatNumbers: ReadonlyArray<string>
  readonly screening: ScreeningFacts | undefined
  readonly money: Money | undefined
  /** A `booked` notice of the booking exists: it was paid for. */
  readonly booked: boolean
}

/** The facts each kind of notification is made from (from the Ticket* events and PaymentRefunded). */
export type Outcome =
  | (Base & { readonly kind: "reserved"; readonly tickets: ReadonlyArray<Seat>; readonly amount: number; readonly currency: string; readonly expiresAt: string })
  | (Base & { readonly kind: "reservation_failed"; readonly seatNumbers: ReadonlyArray<string>; readonly reason: string; readonly unavailableSeats: ReadonlyArray<string> })
  | (Base & { readonly kind: "booked"; readonly tickets: ReadonlyArray<BookedSeat> })
  | (Base & { readonly kind: "booking_failed"; readonly tickets: ReadonlyArray<Seat>; readonly reason: string })
  | (Base & { readonly kind: "cancelled"; readonly tickets: ReadonlyArray<Seat>; readonly reason: string })
  | {
      readonly kind: "refunded"
      readonly bookingId: string
      readonly userId: string
      readonly paymentId: string
      readonly amount: number
      readonly currency: string
    }

/** A booking that reached one of these has ended: a later `reserved` notice is stale and dropped. */
export const terminalKinds: ReadonlyArray<NotificationKind> = ["reservation_failed", "booked", "booking_failed", "cancelled"]
export const isTerminal = (kind: NotificationKind): boolean => terminalKinds.includes(kind)

/** Why a booking did not go through, as a clause that reads after "because" and after "Not booked:". */
const reasonSentences: Readonly<Record<string, string>> = {
  seat_unavailable: "some of the seats were taken by someone else",
  unknown_seat: "some of the seats do not exist in this hall",
  unknown_screening: "the screening could not be found",
  screening_started: "the screening has already started",
  screening_cancelled: "the screening was cancelled",
  seat_limit: "you would go over the limit of 10 seats per person for this screening",
  user_unregistered: "your account was closed",
  payment_declined: "your card was declined",
  payment_insufficient_funds: "your card had insufficient funds",
  payment_expired: "the hold ran out before payment was received",
  customer_cancelled: "you asked us to cancel it"
}

const isCode = (reason: string) => /^[a-z][a-z0-9_]{0,63}$/.test(reason)

/** Why, as the end of a sentence ("... because <reason>"). */
export const reasonSentence = (reason: string): string =>
  Object.hasOwn(reasonSentences, reason)
    ? reasonSentences[reason]!
    : isCode(reason)
      ? `of ${reason.replaceAll("_", " ")}`
      : "of an unspecified problem"

/** Why, as a headline ("Not booked: <reason>"). */
export const reasonHeadline = (reason: string): string =>
  Object.hasOwn(reasonSentences, reason)
    ? reasonSentences[reason]!
    : isCode(reason)
      ? reason.replaceAll("_", " ")
      : "something went wrong"

const seatList = (seats: ReadonlyArray<string>): string =>
  seats.length === 0 ? "no seats" : seats.length === 1 ? `seat ${seats[0]}` : `seats ${seats.join(", ")}`

/** Money in minor units as a readable amount with its currency code, e.g. `EUR 25.00` (packages/contracts). */
export const formatMoney = (amount: number, currency: string): string => formatMoneyText(amount, currency)

/** The screening in a sentence: `Dune (Kino Mitte, Saal 1, Sat 5 Dec, 19:30 CET)`, or `your screening`. */
export const screeningPhrase = (s: ScreeningFacts | undefined): string =>
  s ? `${s.movieTitle} (${s.cinemaName}, ${s.hallName}, ${formatLocal(s.startsAt, s.timeZone)})` : "your screening"

/** The screening in a subject: `Dune, Sat 5 Dec 19:30` (the zone is in the body). */
export const screeningHeadline = (s: ScreeningFacts | undefined): string => {
  const start = s && localParts(s.startsAt, s.timeZone)
  return s && start ? `${s.movieTitle}, ${start.day} ${start.time}` : "your screening"
}

/** The payment deadline in a subject: the time alone on the screening's day, else with its day; the zone when no screening is known. */
const deadlineHeadline = (expiresAt: string, s: ScreeningFacts | undefined): string => {
  const at = localParts(expiresAt, s?.timeZone ?? "UTC")
  if (!at) return expiresAt
  if (!s) return `${at.day} ${at.time} ${at.zone}`
  return localParts(s.startsAt, s.timeZone)?.day === at.day ? at.time : `${at.day} ${at.time}`
}

export interface Notice {
  readonly kind: NotificationKind
  readonly bookingId: string
  readonly userId: string
  readonly screeningId: string | null
  readonly ticketIds: ReadonlyArray<string>
  readonly seatNumbers: ReadonlyArray<string>
  /** The screening as the notice names it, when known. */
  readonly screening: ScreeningFacts | undefined
  /** The money the notice speaks of (to pay, charged, refunded), when any. */
  readonly money: Money | undefined
  /** The tickets' codes, on a `booked` notice whose event carried them; the e-mail shows each as a QR code. */
  readonly ticketCodes: ReadonlyArray<TicketCode>
  /** The e-mail subject line. */
  readonly subject: string
  /** The human message, shown in lists and the stream and used as the e-mail body. */
  readonly message: string
}

const seatsOf = (tickets: ReadonlyArray<Seat>) => ({
  ticketIds: tickets.map((t) => t.ticketId),
  seatNumbers: tickets.map((t) => t.seatNumber)
})

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/**
 * The notice for an outcome: which booking, screening and seats, a subject and a message a person
 * can read. `earlier` is what this booking's earlier notices said; it fills what the event lacks
 * (the screening on an old event, the amount on a booked or cancelled one, everything on a refund).
 */
export const noticeOf = (o: Outcome, earlier?: BookingFacts): Notice => {
  if (o.kind === "refunded") {
    const money = { amount: o.amount, currency: o.currency }
    const screening = earlier?.screening
    const seats = earlier && earlier.seatNumbers.length > 0 ? ` for ${seatList(earlier.seatNumbers)}` : ""
    return {
      kind: o.kind,
      bookingId: o.bookingId,
      userId: o.userId,
      screeningId: earlier?.screeningId ?? screening?.screeningId ?? null,
      ticketIds: earlier?.ticketIds ?? [],
      seatNumbers: earlier?.seatNumbers ?? [],
      screening,
      money,
      ticketCodes: [],
      subject: `Refunded: ${formatMoney(o.amount, o.currency)} — ${screeningHeadline(screening)}`,
      message:
        `We refunded ${formatMoney(o.amount, o.currency)} to your card${seats} at ${screeningPhrase(screening)}. ` +
        `It may take a few days to show on your statement.`
    }
  }
  const screening = o.screening ?? earlier?.screening
  const at = screeningPhrase(screening)
  const head = screeningHeadline(screening)
  const common = { kind: o.kind, bookingId: o.bookingId, userId: o.userId, screeningId: o.screeningId, screening, ticketCodes: [] }
  switch (o.kind) {
    case "reserved": {
      const seats = seatsOf(o.tickets)
      const zone = screening?.timeZone ?? "UTC"
      const one = seats.seatNumbers.length === 1
      return {
        ...common,
        ...seats,
        money: { amount: o.amount, currency: o.currency },
        subject: `Held: ${head} — pay by ${deadlineHeadline(o.expiresAt, screening)}`,
        message:
          `${capitalise(seatList(seats.seatNumbers))} for ${at} ${one ? "is" : "are"} held for you until ${formatLocal(o.expiresAt, zone)}. ` +
          `Pay ${formatMoney(o.amount, o.currency)} before then to keep ${one ? "it" : "them"}.`
      }
    }
    case "reservation_failed": {
      const unavailable = o.unavailableSeats.length > 0 ? ` Unavailable: ${o.unavailableSeats.join(", ")}.` : ""
      return {
        ...common,
        ticketIds: [],
        seatNumbers: o.seatNumbers,
        money: undefined,
        subject: `Not booked: ${reasonHeadline(o.reason)}`,
        message: `We could not reserve ${seatList(o.seatNumbers)} for ${at} because ${reasonSentence(o.reason)}.${unavailable} Nothing was charged.`
      }
    }
    case "booked": {
      const seats = seatsOf(o.tickets)
      const money = earlier?.money
      const ticketCodes = o.tickets.flatMap((t) =>
        t.code ? [{ ticketId: t.ticketId, seatNumber: t.seatNumber, code: t.code }] : []
      )
      // The codes themselves go only into the e-mail: the message is read in lists and the stream.
      const ready =
        ticketCodes.length === 0
          ? ""
          : ticketCodes.length === 1
            ? " Your ticket is ready: show its QR code at the door."
            : ` Your tickets (${ticketCodes.length}) are ready: show their QR codes at the door.`
      return {
        ...common,
        ...seats,
        money,
        ticketCodes,
        subject: `Booked: ${head} — ${seatList(seats.seatNumbers)}`,
        message:
          `Your booking is confirmed: ${seatList(seats.seatNumbers)} for ${at}.` +
          `${money ? ` We charged ${formatMoney(money.amount, money.currency)} to your card.` : ""}${ready} Enjoy the film!`
      }
    }
    case "booking_failed": {
      const seats = seatsOf(o.tickets)
      return {
        ...common,
        ...seats,
        money: undefined,
        subject: `Not booked: ${reasonHeadline(o.reason)}`,
        message:
          `Your booking of ${seatList(seats.seatNumbers)} for ${at} did not go through because ${reasonSentence(o.reason)}. ` +
          `The seats have been released and nothing was charged.`
      }
    }
    case "cancelled": {
      const seats = seatsOf(o.tickets)
      const money = earlier?.money
      if (o.reason === "customer_cancelled") {
        // The customer asked for it (DESIGN §10): say so plainly, and what happens to the money.
        const refund = earlier?.booked
          ? money
            ? `The ${formatMoney(money.amount, money.currency)} you paid will be refunded to your card; we will tell you when it is.`
            : "What you paid will be refunded to your card; we will tell you when it is."
          : money
            ? `If you paid the ${formatMoney(money.amount, money.currency)}, a refund to your card will follow.`
            : "If you paid, a refund to your card will follow."
        return {
          ...common,
          ...seats,
          money,
          subject: `Cancelled: ${head} — as you asked`,
          message: `You cancelled your booking of ${seatList(seats.seatNumbers)} for ${at}. ${refund}`
        }
      }
      return {
        ...common,
        ...seats,
        money,
        subject: `Cancelled: ${head} — ${seatList(seats.seatNumbers)}`,
        message:
          `Your booking of ${seatList(seats.seatNumbers)} for ${at} was cancelled because ${reasonSentence(o.reason)}. ` +
          (money
            ? `If you paid the ${formatMoney(money.amount, money.currency)}, it will be refunded to your card.`
            : "If you paid, the money will be refunded to your card.")
      }
    }
  }
}
