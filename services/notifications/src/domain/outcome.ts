// What happened to a booking, as the user is told it: the outcome kinds and their human messages.
import type { NotificationsApi } from "@bat/contracts"

export type NotificationKind = NotificationsApi.NotificationKind

interface Seat {
  readonly ticketId: string
  readonly seatNumber: string
}

interface Base {
  readonly bookingId: string
  readonly userId: string
  readonly screeningId: string
}

/** The facts each kind of notification is made from (from the Ticket* events and PaymentRefunded). */
export type Outcome =
  | (Base & { readonly kind: "reserved"; readonly tickets: ReadonlyArray<Seat>; readonly amount: number; readonly currency: string; readonly expiresAt: string })
  | (Base & { readonly kind: "reservation_failed"; readonly seatNumbers: ReadonlyArray<string>; readonly reason: string; readonly unavailableSeats: ReadonlyArray<string> })
  | (Base & { readonly kind: "booked"; readonly tickets: ReadonlyArray<Seat> })
  | (Base & { readonly kind: "booking_failed"; readonly tickets: ReadonlyArray<Seat>; readonly reason: string })
  | (Base & { readonly kind: "cancelled"; readonly tickets: ReadonlyArray<Seat>; readonly reason: string })
  | {
      readonly kind: "refunded"
      readonly bookingId: string
      readonly userId: string
      readonly paymentId: string
      readonly amount: number
      readonly currency: string
      /** What is known of the booking from its earlier notifications, if any. */
      readonly booking?: { readonly screeningId: string; readonly ticketIds: ReadonlyArray<string>; readonly seatNumbers: ReadonlyArray<string> }
    }

/** A booking that reached one of these has ended: a later `reserved` notice is stale and dropped. */
export const terminalKinds: ReadonlyArray<NotificationKind> = ["reservation_failed", "booked", "booking_failed", "cancelled"]
export const isTerminal = (kind: NotificationKind): boolean => terminalKinds.includes(kind)

/** Why a booking did not go through, as the end of a sentence ("... because <reason>"). */
const reasonSentences: Readonly<Record<string, string>> = {
  seat_unavailable: "some of the seats were taken by someone else",
  unknown_seat: "some of the seats do not exist in this hall",
  unknown_screening: "the screening could not be found",
  screening_started: "the screening has already started",
  screening_cancelled: "the screening was cancelled",
  seat_limit: "it would take you over the limit of 10 seats per person for this screening",
  user_unregistered: "your account was closed",
  payment_declined: "your card was declined",
  payment_insufficient_funds: "your card had insufficient funds",
  payment_expired: "the hold ran out before payment was received"
}

export const reasonSentence = (reason: string): string =>
  Object.hasOwn(reasonSentences, reason)
    ? reasonSentences[reason]!
    : /^[a-z][a-z0-9_]{0,63}$/.test(reason)
      ? `of ${reason.replaceAll("_", " ")}`
      : "of an unspecified problem"

const seatList = (seats: ReadonlyArray<string>): string =>
  seats.length === 0 ? "no seats" : seats.length === 1 ? `seat ${seats[0]}` : `seats ${seats.join(", ")}`

/** Money in minor units as a readable amount with its currency code, e.g. `EUR 25.00`. */
export const formatMoney = (amount: number, currency: string): string => {
  try {
    const format = new Intl.NumberFormat("en-GB", { style: "currency", currency, currencyDisplay: "code" })
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2
    // Intl puts a no-break space after the code; a plain one reads the same and survives every mail client.
    return format.format(amount / 10 ** digits).replace(/\u00a0/g, " ")
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency}`
  }
}

const pad = (n: number) => String(n).padStart(2, "0")
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** `18:42 UTC on 24 Nov 2026`. */
export const formatUtc = (iso: string): string => {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC on ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`
}

export interface Notice {
  readonly kind: NotificationKind
  readonly bookingId: string
  readonly userId: string
  readonly screeningId: string | null
  readonly ticketIds: ReadonlyArray<string>
  readonly seatNumbers: ReadonlyArray<string>
  /** The e-mail subject line. */
  readonly subject: string
  /** The human message, shown in lists and the stream and used as the e-mail body. */
  readonly message: string
}

const seatsOf = (tickets: ReadonlyArray<Seat>) => ({
  ticketIds: tickets.map((t) => t.ticketId),
  seatNumbers: tickets.map((t) => t.seatNumber)
})

/** The notice for an outcome: which booking and seats, a subject and a message a person can read. */
export const noticeOf = (o: Outcome): Notice => {
  switch (o.kind) {
    case "reserved": {
      const seats = seatsOf(o.tickets)
      const until = formatUtc(o.expiresAt)
      return {
        ...o,
        ...seats,
        subject: `${capitalise(seatList(seats.seatNumbers))} held for you until ${until}`,
        message:
          `${capitalise(seatList(seats.seatNumbers))} for screening ${o.screeningId} ${seats.seatNumbers.length === 1 ? "is" : "are"} held for you until ${until}. ` +
          `Pay ${formatMoney(o.amount, o.currency)} before then to keep ${seats.seatNumbers.length === 1 ? "it" : "them"} (booking ${o.bookingId}).`
      }
    }
    case "reservation_failed": {
      const unavailable = o.unavailableSeats.length > 0 ? ` Unavailable: ${o.unavailableSeats.join(", ")}.` : ""
      return {
        ...o,
        ticketIds: [],
        seatNumbers: o.seatNumbers,
        subject: "We could not reserve your seats",
        message:
          `We could not reserve ${seatList(o.seatNumbers)} for screening ${o.screeningId} because ${reasonSentence(o.reason)}.` +
          `${unavailable} Nothing was charged (booking ${o.bookingId}).`
      }
    }
    case "booked": {
      const seats = seatsOf(o.tickets)
      return {
        ...o,
        ...seats,
        subject: `Booking confirmed: ${seatList(seats.seatNumbers)}`,
        message: `Your booking is confirmed: ${seatList(seats.seatNumbers)} for screening ${o.screeningId} (booking ${o.bookingId}). Enjoy the film!`
      }
    }
    case "booking_failed": {
      const seats = seatsOf(o.tickets)
      return {
        ...o,
        ...seats,
        subject: "Your booking did not go through",
        message:
          `Your booking of ${seatList(seats.seatNumbers)} for screening ${o.screeningId} did not go through because ${reasonSentence(o.reason)}. ` +
          `The seats have been released and nothing was charged (booking ${o.bookingId}).`
      }
    }
    case "cancelled": {
      const seats = seatsOf(o.tickets)
      return {
        ...o,
        ...seats,
        subject: "Your booking was cancelled",
        message:
          `Your booking of ${seatList(seats.seatNumbers)} for screening ${o.screeningId} was cancelled because ${reasonSentence(o.reason)}. ` +
          `If you paid, the money will be refunded (booking ${o.bookingId}).`
      }
    }
    case "refunded": {
      const money = formatMoney(o.amount, o.currency)
      return {
        kind: o.kind,
        bookingId: o.bookingId,
        userId: o.userId,
        screeningId: o.booking?.screeningId ?? null,
        ticketIds: o.booking?.ticketIds ?? [],
        seatNumbers: o.booking?.seatNumbers ?? [],
        subject: `Refund of ${money}`,
        message: `We refunded ${money} to your card for booking ${o.bookingId} (payment ${o.paymentId}). It may take a few days to show on your statement.`
      }
    }
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** The e-mail text: a greeting, the message, and why the person got it. */
export const emailText = (fullName: string | null, message: string): string =>
  `Hello${fullName ? ` ${fullName}` : ""},\n\n${message}\n\n— Book a Ticket\n(You get this e-mail because you booked with your account.)\n`
