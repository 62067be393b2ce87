// The e-mail for a notice: a plain-text part and a simple HTML part saying the same, with every value escaped.
import { formatLocal } from "./localTime.ts"
import { formatMoney, type Money, type NotificationKind, type ScreeningFacts } from "./outcome.ts"

export interface EmailFacts {
  readonly fullName: string | null
  readonly kind: NotificationKind
  readonly bookingId: string
  /** The notice's message: the same sentences as the list and the stream. */
  readonly message: string
  readonly screening: ScreeningFacts | undefined
  readonly seatNumbers: ReadonlyArray<string>
  readonly money: Money | undefined
}

const moneyLabel: Partial<Record<NotificationKind, string>> = {
  reserved: "To pay",
  booked: "Charged",
  cancelled: "Refundable if paid",
  refunded: "Refunded"
}

/** The facts as label/value rows, for the HTML part's table. */
const rowsOf = (f: EmailFacts): Array<readonly [string, string]> => {
  const rows: Array<readonly [string, string]> = []
  if (f.screening) {
    rows.push(["Movie", f.screening.movieTitle])
    rows.push(["Cinema", f.screening.cinemaName])
    rows.push(["Hall", f.screening.hallName])
    rows.push(["Starts", formatLocal(f.screening.startsAt, f.screening.timeZone)])
  }
  if (f.seatNumbers.length > 0) rows.push([f.seatNumbers.length === 1 ? "Seat" : "Seats", f.seatNumbers.join(", ")])
  const label = moneyLabel[f.kind]
  if (f.money && label) rows.push([label, formatMoney(f.money.amount, f.money.currency)])
  rows.push(["Booking reference", f.bookingId])
  return rows
}

const WHY = "You get this e-mail because you booked with your account."

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

/** The text part: a greeting, the message, the booking reference, and why the person got it. */
export const emailText = (f: EmailFacts): string =>
  `Hello${f.fullName ? ` ${f.fullName}` : ""},\n\n${f.message}\n\nBooking reference: ${f.bookingId}\n\n— Book a Ticket\n(${WHY})\n`

/** The HTML part: the same message, then the facts as a small table. */
export const emailHtml = (f: EmailFacts): string => {
  const rows = rowsOf(f)
    .map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("")
  return (
    `<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">` +
    `<p>Hello${f.fullName ? ` ${escapeHtml(f.fullName)}` : ""},</p>` +
    `<p>${escapeHtml(f.message)}</p>` +
    `<table>${rows}</table>` +
    `<p>— Book a Ticket<br><small>${escapeHtml(WHY)}</small></p>` +
    `</body></html>`
  )
}
