// How a booking, its screening and its money read to a person: names, times local to the cinema, sentences.
import { formatLocalShort, localParts } from "@bat/contracts"
import { formatTime } from "./Output.ts"
import { formatMoney } from "./parse.ts"
import type { Booking, BookingScreening } from "./shapes.ts"

/** The closed list of booking reasons (DESIGN §4, §10), in words. */
export const REASONS: Record<string, string> = {
  seat_unavailable: "some of the seats are already taken",
  unknown_seat: "a seat does not exist in this hall",
  unknown_screening: "the screening is not known",
  screening_started: "the screening has already started",
  screening_cancelled: "the screening was cancelled",
  seat_limit: "you would hold more than 10 seats for this screening",
  user_unregistered: "the account was unregistered",
  payment_declined: "the card was declined",
  payment_insufficient_funds: "the card has insufficient funds",
  payment_expired: "the hold expired before it was paid",
  customer_cancelled: "the customer cancelled it",
}
export const describeReason = (reason: string | null | undefined): string =>
  reason ? (REASONS[reason] ?? reason.replaceAll("_", " ")) : "no reason given"

export const seatsOf = (b: Booking): string[] =>
  b.tickets.length > 0 ? b.tickets.map((t) => t.seatNumber) : [...(b.seatNumbers ?? [])]

export const amountOf = (b: Booking): string =>
  typeof b.amount === "number" && typeof b.currency === "string" ? formatMoney(b.amount, b.currency) : ""

/**
 * A time as the screening's customers read it: local to its cinema with the zone's abbreviation or
 * offset (`Sat 5 Dec, 19:30 CET`); in UTC while booking does not know the zone yet.
 */
export const localTimeIn = (s: BookingScreening, iso: string | null | undefined): string =>
  !iso ? "" : s.timeZone ? formatLocalShort(iso, s.timeZone) : formatTime(iso)
export const localTime = (b: Booking, iso: string | null | undefined): string => localTimeIn(b.screening, iso)

/** The movie, or a word saying it is not known yet: a table never shows the screening's id. */
export const movieOf = (b: { screening: BookingScreening }): string => b.screening.movieTitle ?? "(not known yet)"

/** `Dune at Kino am Ufer, Saal 1 — Sat 5 Dec, 19:30 CET`, as far as booking knows the screening. */
export const screeningLine = (b: Booking): string => {
  const place = [b.screening.cinemaName, b.screening.hallName].filter((x) => x !== null).join(", ")
  const starts = localTime(b, b.screening.startsAt)
  return `${movieOf(b)}${place ? ` at ${place}` : ""}${starts ? ` — ${starts}` : ""}`
}

/** `Dune, Sat 5 Dec 19:30, Hall 1`: the screening in one short phrase, as a door reads it. */
export const screeningShort = (s: BookingScreening): string => {
  const start = s.startsAt ? (s.timeZone ? localParts(s.startsAt, s.timeZone) : localParts(s.startsAt, "UTC")) : undefined
  return [s.movieTitle ?? "(screening not known yet)", start ? `${start.day} ${start.time}` : undefined, s.hallName ?? undefined]
    .filter((x) => x !== undefined)
    .join(", ")
}

/** A moment at the door: the time alone when it is today in the cinema's zone, else with its day (`19:02`, `Fri 4 Dec 19:02`). */
export const doorTime = (iso: string, timeZone: string | null, now: Date = new Date()): string => {
  const zone = timeZone ?? "UTC"
  const at = localParts(iso, zone)
  if (!at) return iso
  const today = localParts(now.toISOString(), zone)
  return today?.day === at.day ? at.time : `${at.day} ${at.time}`
}

/** ` (in 12 min)` or ` (already past)`: how long until a deadline. */
export const minutesLeft = (iso: string, now: number = Date.now()): string => {
  const ms = Date.parse(iso) - now
  if (Number.isNaN(ms)) return ""
  return ms <= 0 ? " (already past)" : ` (in ${Math.max(1, Math.round(ms / 60_000))} min)`
}
