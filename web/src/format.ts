// How the page names things for a person: local times of the cinema (DESIGN §9), money, seats.
import { localParts } from "../../packages/contracts/src/localTime.ts"
import { formatMoney } from "../../packages/contracts/src/money.ts"
import type { Screening, SeatStatus } from "./views.ts"

export { localParts }

const UTC = "UTC"

/** `Sat 5 Dec` in the cinema's zone. */
export const localDay = (iso: string, timeZone: string | null): string => localParts(iso, timeZone ?? UTC)?.day ?? ""
/** `19:30` in the cinema's zone. */
export const localTime = (iso: string, timeZone: string | null): string => localParts(iso, timeZone ?? UTC)?.time ?? ""
/** `CET` (or an offset) for the moment in the cinema's zone. */
export const localZone = (iso: string, timeZone: string | null): string => localParts(iso, timeZone ?? UTC)?.zone ?? ""

export const movieTitle = (s: Screening): string => s.movie.title ?? "A film"
export const cinemaName = (s: Screening): string => s.cinema.name ?? "Cinema"
export const hallName = (s: Screening): string => s.hall.name ?? "Hall"

/** The accessible name of a screening link (DESIGN §11): `Dune, Sat 5 Dec, 19:30, Kino Mitte, Hall 1`. */
export const screeningName = (s: Screening): string =>
  [movieTitle(s), localDay(s.startsAt, s.cinema.timeZone), localTime(s.startsAt, s.cinema.timeZone), cinemaName(s), hallName(s)].join(", ")

/** `€12.50` from 1250 EUR minor units. */
export const money = (amount: number | null, currency: string | null): string =>
  amount === null || currency === null ? "" : formatMoney(amount, currency, "symbol")

/** How a seat's state is said: `available`, `held`, `sold`. */
export const seatWord = (status: SeatStatus): string =>
  status === "available" ? "available" : status === "reserved" ? "held" : "sold"

/** `A3`, `A3 and A4`, `A3, A4 and A5`. */
export const seatList = (seats: readonly string[]): string =>
  seats.length <= 1 ? (seats[0] ?? "") : `${seats.slice(0, -1).join(", ")} and ${seats[seats.length - 1]}`

export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/** `14:05` from milliseconds, rounding up so the last second shows `0:01`. */
export const minutesSeconds = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`
}
