// The e-mail for a notice: a plain-text part and a simple HTML part saying the same, with every value escaped.
import { formatLocal } from "./localTime.ts"
import { formatMoney, type Money, type NotificationKind, type ScreeningFacts, type TicketCode } from "./outcome.ts"

export interface EmailFacts {
  readonly fullName: string | null
  readonly kind: NotificationKind
  readonly bookingId: string
  /** The notice's message: the same sentences as the list and the stream. */
  readonly message: string
  readonly screening: ScreeningFacts | undefined
  readonly seatNumbers: ReadonlyArray<string>
  readonly money: Money | undefined
  /** On a `booked` e-mail: each ticket's code, shown in text and as an inline QR image (see `ticketImageCid`). */
  readonly ticketCodes?: ReadonlyArray<TicketCode> | undefined
}

/** The Content-ID of a ticket's inline QR image: the HTML part refers to it as `cid:<id>`. */
export const ticketImageCid = (ticketId: string): string => `ticket-${ticketId}@bookaticket`

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

const codesOf = (f: EmailFacts): ReadonlyArray<TicketCode> => (f.kind === "booked" ? (f.ticketCodes ?? []) : [])

/** A `booked` e-mail without codes (its event was made before tickets had them) points to the booking. */
const NO_CODES = "Your tickets are in your booking: open it with the booking reference below to see them."

/** The text part's tickets: one line per seat with its code, or where to find the tickets. */
const ticketsText = (f: EmailFacts): string => {
  if (f.kind !== "booked") return ""
  const codes = codesOf(f)
  if (codes.length === 0) return `${NO_CODES}\n\n`
  return `${codes.map((t) => `Seat ${t.seatNumber} — show this code at the door: ${t.code}`).join("\n\n")}\n\n`
}

/** The text part: a greeting, the message, the tickets' codes, the booking reference, and why the person got it. */
export const emailText = (f: EmailFacts): string =>
  `Hello${f.fullName ? ` ${f.fullName}` : ""},\n\n${f.message}\n\n${ticketsText(f)}Booking reference: ${f.bookingId}\n\n— Book a Ticket\n(${WHY})\n`

/** The HTML part's tickets: each seat's QR code (an inline image) above its code in small print. */
const ticketsHtml = (f: EmailFacts): string => {
  if (f.kind !== "booked") return ""
  const codes = codesOf(f)
  if (codes.length === 0) return `<p>${escapeHtml(NO_CODES)}</p>`
  return codes
    .map(
      (t) =>
        `<div style="margin:12px 0"><p style="margin:0"><strong>Seat ${escapeHtml(t.seatNumber)}</strong> — show this code at the door</p>` +
        `<img src="cid:${escapeHtml(ticketImageCid(t.ticketId))}" alt="Ticket ${escapeHtml(t.seatNumber)} QR code" width="240" height="240">` +
        `<p style="margin:0;font-family:monospace;font-size:9px;word-break:break-all;color:#555">${escapeHtml(t.code)}</p></div>`
    )
    .join("")
}

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
    ticketsHtml(f) +
    `<p>— Book a Ticket<br><small>${escapeHtml(WHY)}</small></p>` +
    `</body></html>`
  )
}
