// tickets show <bookingId>: one booking in detail and, once it is booked, each ticket's QR code for the door.
import type { Command } from "commander"
import QRCode from "qrcode"
import { amountOf, describeReason, localTime, minutesLeft, movieOf, seatsOf } from "../bookingText.ts"
import { withContext, type CommandContext } from "../context.ts"
import { parseId } from "../parse.ts"
import type { Booking } from "../shapes.ts"

export const readBooking = (ctx: CommandContext, bookingId: string) =>
  ctx.api.request<Booking>("GET", `/tickets/bookings/${bookingId}`)

/** A ticket's QR code drawn with half-block characters (two modules per character row). */
export const terminalQr = (code: string): Promise<string> => QRCode.toString(code, { type: "terminal", small: true })

/**
 * Prints a booking: what it is for (names, the start local to the cinema), seats, money, deadlines, and
 * for each ticket with a code its QR code and the code itself (a door can also take it typed or pasted).
 * With --json, the booking view as the API gives it.
 */
export const showBooking = async (ctx: CommandContext, b: Booking): Promise<void> => {
  ctx.out.data(b)
  if (ctx.out.json) return
  const withCode = b.tickets.filter((t) => t.code !== undefined)
  ctx.out.fields([
    ["booking", b.bookingId],
    ["status", b.status],
    ["movie", movieOf(b)],
    ...(b.screening.cinemaName ? [["cinema", b.screening.cinemaName] as const] : []),
    ...(b.screening.hallName ? [["hall", b.screening.hallName] as const] : []),
    ...(b.screening.startsAt ? [["starts", localTime(b, b.screening.startsAt)] as const] : []),
    // Until booking knows the screening's names, its id is the only way to tell which one it is.
    ...(b.screening.movieTitle === null ? [["screening", b.screeningId] as const] : []),
    ["seats", seatsOf(b).join(", ")],
    ["amount", amountOf(b)],
    ...(b.expiresAt && b.status === "reserved" ? [["pay before", `${localTime(b, b.expiresAt)}${minutesLeft(b.expiresAt)}`] as const] : []),
    ...(b.cancellableUntil ? [["cancel until", localTime(b, b.cancellableUntil)] as const] : []),
    ...(b.reason ? [["reason", `${b.reason} — ${describeReason(b.reason)}`] as const] : []),
    ...b.tickets.map(
      (t) => [`ticket ${t.seatNumber}`, `${t.ticketId}${t.admittedAt ? ` — admitted ${localTime(b, t.admittedAt)}` : ""}`] as const,
    ),
  ])
  for (const t of withCode) {
    ctx.out.line()
    ctx.out.line(ctx.out.c.bold(`Seat ${t.seatNumber}${t.admittedAt ? ` — admitted ${localTime(b, t.admittedAt)}` : " — show this at the door"}`))
    ctx.out.line((await terminalQr(t.code!)).replace(/\n+$/, ""))
    ctx.out.line(t.code!)
  }
  if (b.status === "booked" && withCode.length === 0) ctx.out.line(ctx.out.c.dim("(the tickets' codes are not issued yet)"))
}

export const registerTicketsShow = (tickets: Command): void => {
  tickets
    .command("show")
    .argument("<bookingId>")
    .description("one booking in detail, with each ticket's QR code to show at the door (owner or staff)")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket tickets show <bookingId>
  $ bookaticket tickets show <bookingId> --json | jq -r '.tickets[].code'

Each booked ticket's code is drawn as a QR code and printed as text; \`bookaticket checkin <code>\` admits it.`,
    )
    .action(
      withContext(async (ctx, id: string) => {
        await showBooking(ctx, await readBooking(ctx, parseId(id, "bookingId")))
      }),
    )
}
