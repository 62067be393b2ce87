// Every error a person can cause, in a plain sentence: never a code, never an id.
import type { FieldError, Problem } from "./api.ts"
import { seatList } from "./format.ts"

/** Seats that someone else took: `Sorry, seat A3 was just taken by someone else. Please choose another seat.` */
export const seatsTaken = (seats: readonly string[]): string =>
  seats.length === 0
    ? "Sorry, those seats were just taken by someone else. Please choose other seats."
    : seats.length === 1
      ? `Sorry, seat ${seats[0]} was just taken by someone else. Please choose another seat.`
      : `Sorry, seats ${seatList(seats)} were just taken by someone else. Please choose other seats.`

export const DECLINED = "Your card was declined. No money was taken; your seats are released."
export const INSUFFICIENT = "Your card was declined for insufficient funds. No money was taken; your seats are released."
export const HOLD_EXPIRED = "Your hold expired before payment, so the seats were released."

/** Why a booking ended, from its `reason` (DESIGN §4 failure reasons, §6/§10 cancellation reasons). */
export const bookingEnded = (reason: string | undefined, seats: readonly string[]): string => {
  switch (reason) {
    case "seat_unavailable":
      return seatsTaken(seats)
    case "unknown_seat":
      return "One of those seats does not exist in this hall. Please choose again."
    case "unknown_screening":
      return "This screening could not be found. It may have been removed; please choose another."
    case "screening_started":
      return "This screening has already started, so it can no longer be booked."
    case "screening_cancelled":
      return "This screening was cancelled by the cinema. Anything you paid is refunded."
    case "seat_limit":
      return "You can hold at most 10 seats for one screening. Please choose fewer seats."
    case "user_unregistered":
      return "This account was closed, so the booking could not go ahead."
    case "payment_declined":
      return DECLINED
    case "payment_insufficient_funds":
      return INSUFFICIENT
    case "payment_expired":
      return HOLD_EXPIRED
    case "customer_cancelled":
      return "You cancelled this booking. The seats are free again; anything you paid is refunded."
    default:
      return "Sorry, this booking could not go ahead. Please try again."
  }
}

const GENERAL: Record<string, string> = {
  network_error: "We could not reach Book a Ticket. Check your connection and try again.",
  invalid_credentials: "That email and password do not match an account. Please check them and try again.",
  email_taken: "An account with this email already exists. Please log in instead.",
  token_expired: "Your session has expired. Please log in again.",
  invalid_token: "Please log in again.",
  unauthorized: "Please log in to continue.",
  forbidden: "This is not yours to change.",
  seat_limit: "You can hold at most 10 seats for one screening. Please choose fewer seats.",
  screening_not_found: "This screening could not be found. It may have been removed.",
  booking_not_found: "This booking could not be found.",
  reservation_expired: HOLD_EXPIRED,
  already_paid: "This booking is paid already.",
  payment_in_progress: "Your payment is already being processed. Please wait a moment.",
  reservation_closed: "This booking can no longer be paid for.",
  reservation_not_found_yet: "Your seats are still being held. Please try paying again in a moment.",
  payment_gateway_unavailable: "The card service is not answering right now. No money was taken; please try again.",
  cancellation_closed: "This booking can no longer be cancelled: cancelling closes an hour before the screening starts.",
  booking_pending: "Your booking is still being processed. Please try again in a moment.",
  booking_not_cancellable: "This booking has already ended, so there is nothing to cancel.",
  already_admitted: "A ticket of this booking was already used at the door, so it cannot be cancelled.",
  idempotency_key_reused: "Something went wrong sending that twice. Please try again.",
  rate_limited: "Too many attempts. Please wait a moment and try again.",
  too_many_held_seats: "You are holding as many unpaid seats as you may. Please pay for a booking you hold, or wait for a hold to end.",
  too_many_streams: "Book a Ticket is open in too many tabs. Please close a few and reload.",
}

/** A sentence for a problem the person caused or can do something about. */
export const sentence = (problem: Problem): string => {
  const known = GENERAL[problem.code]
  if (known) return known
  if (problem.code === "invalid_input") return "Some of the details are not right. Please check the highlighted fields."
  if (problem.status === 401) return "Please log in to continue."
  if (problem.status >= 500 || problem.status === 0) return "Something went wrong on our side. Please try again in a moment."
  return "Sorry, that did not work. Please try again."
}

const FIELD: Record<string, string> = {
  email: "Enter an email address, such as ann@example.com.",
  password: "Use a password of at least 8 characters.",
  fullName: "Enter your name, without spaces at the start or end.",
  "card.number": "This card number is not valid. Please check the digits.",
  "card.expMonth": "Enter the expiry month as a number from 1 to 12.",
  "card.expYear": "Enter a four-digit expiry year that has not passed, such as 2030.",
  "card.cvc": "Enter the 3 or 4 digits on the back of the card.",
}

/** Field errors of a 422, by field path, as sentences (the card's own expiry check included). */
export const fieldSentences = (problem: Problem): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const e of (problem.errors ?? []) as FieldError[]) {
    const path = e.path.replace(/^\//, "").replace(/\//g, ".")
    if (out[path]) continue
    const expired = path.startsWith("card.exp") && /expire|passed/i.test(e.message)
    out[path] = expired ? "This card has expired. Please use another card." : (FIELD[path] ?? "Please check this field.")
  }
  return out
}
