// Sales report arithmetic (DESIGN §10): local calendar days of screenings and the sums of their figures. No I/O.
import type { BookingApi } from "@bat/contracts"

const dayFormatters = new Map<string, Intl.DateTimeFormat>()

const dayFormatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = dayFormatters.get(timeZone)
  if (f === undefined) {
    // en-CA writes the calendar date as YYYY-MM-DD.
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    dayFormatters.set(timeZone, f)
  }
  return f
}

/** The calendar day (YYYY-MM-DD) of `ms` in `timeZone`; a zone the runtime does not know (or none) is read as UTC. */
export const localDateOf = (ms: number, timeZone: string | null): string => {
  let f: Intl.DateTimeFormat
  try {
    f = dayFormatter(timeZone ?? "UTC")
  } catch {
    f = dayFormatter("UTC")
  }
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {}
  for (const part of f.formatToParts(ms)) p[part.type] = part.value
  return `${p.year}-${p.month}-${p.day}`
}

/** Zone offsets lie within −12 h and +14 h: a local day is within this margin of the same UTC day. */
const MARGIN_MS = 15 * 3_600_000

/** The UTC instants [from, to) that hold every moment whose local date, in some zone, is `date` (YYYY-MM-DD). */
export const dayWindow = (date: string): { readonly from: number; readonly to: number } => {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number]
  const start = Date.UTC(y, m - 1, d)
  return { from: start - MARGIN_MS, to: start + 86_400_000 + MARGIN_MS }
}

type Report = BookingApi.ScreeningReport

/** The day's totals: figures summed over its screenings, revenue one row per currency (alphabetical). */
export const totalsOf = (reports: ReadonlyArray<Report>): BookingApi.DayReport["totals"] => {
  const seats = { available: 0, reserved: 0, booked: 0, admitted: 0 }
  const bookings = { pending: 0, reserved: 0, booked: 0, cancelled: 0, failed: 0 }
  const revenue = new Map<string, { gross: number; refunded: number; net: number; currency: string }>()
  let capacity = 0
  for (const r of reports) {
    capacity += r.capacity
    for (const k of Object.keys(seats) as Array<keyof typeof seats>) seats[k] += r.seats[k]
    for (const k of Object.keys(bookings) as Array<keyof typeof bookings>) bookings[k] += r.bookings[k]
    const c = r.revenue.currency
    if (c === null) continue
    const row = revenue.get(c) ?? { gross: 0, refunded: 0, net: 0, currency: c }
    row.gross += r.revenue.gross
    row.refunded += r.revenue.refunded
    row.net += r.revenue.net
    revenue.set(c, row)
  }
  return { capacity, seats, bookings, revenue: [...revenue.values()].sort((a, b) => a.currency.localeCompare(b.currency)) }
}
