// report screening|day: sales for staff — seats, bookings and money of a screening, or of every screening on a day.
import type { Command } from "commander"
import { localParts } from "@bat/contracts"
import { localTimeIn } from "../bookingText.ts"
import { withContext } from "../context.ts"
import { usageError } from "../errors.ts"
import type { Output } from "../Output.ts"
import { formatMoney, parseId } from "../parse.ts"
import type { Cinema, DayReport, Revenue, ScreeningReport } from "../shapes.ts"

const LOCAL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/

export const parseLocalDate = (raw: string): string => {
  const value = raw.trim()
  if (!LOCAL_DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw usageError(`--date must be a day such as 2026-12-05, not "${raw}"`)
  }
  return value
}

/** Today as `YYYY-MM-DD` in `timeZone`, or in the machine's own zone when none is given. */
export const todayIn = (timeZone: string | undefined, now: Date = new Date()): string => {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now)
  } catch {
    return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(now)
  }
}

/** Money of a report: `EUR 25.00`, or `—` while nothing was priced. */
export const money = (amount: number, currency: string | null): string => (currency ? formatMoney(amount, currency) : amount === 0 ? "—" : String(amount))
const moneyOf = (r: Revenue, key: "gross" | "refunded" | "net") => money(r[key], r.currency)

const printScreening = (out: Output, r: ScreeningReport): void => {
  const s = r.screening
  out.fields([
    ["movie", s.movieTitle ?? "(not known yet)"],
    ...(s.cinemaName ? [["cinema", s.cinemaName] as const] : []),
    ...(s.hallName ? [["hall", s.hallName] as const] : []),
    ...(s.startsAt ? [["starts", localTimeIn(s, s.startsAt)] as const] : []),
    ...(s.movieTitle === null ? [["screening", r.screeningId] as const] : []),
    ["capacity", String(r.capacity)],
    ["seats", `${r.seats.available} available, ${r.seats.reserved} held, ${r.seats.booked} booked, ${r.seats.admitted} admitted`],
    [
      "bookings",
      `${r.bookings.booked} booked, ${r.bookings.reserved} held, ${r.bookings.pending} pending, ${r.bookings.cancelled} cancelled, ${r.bookings.failed} failed`,
    ],
    ["taken", moneyOf(r.revenue, "gross")],
    ["refunded", moneyOf(r.revenue, "refunded")],
    ["net", moneyOf(r.revenue, "net")],
  ])
}

/** The start of a screening in a day's table: the time with its zone (`19:30 CET`), the day being the report's. */
const startOf = (r: ScreeningReport): string => {
  const s = r.screening
  if (!s.startsAt) return ""
  const at = localParts(s.startsAt, s.timeZone ?? "UTC")
  return at ? `${at.time} ${at.zone}` : localTimeIn(s, s.startsAt)
}

const totalsMoney = (revenue: ReadonlyArray<Revenue>, key: "gross" | "refunded" | "net"): string =>
  revenue.filter((r) => r.currency !== null).map((r) => moneyOf(r, key)).join(", ") || "—"

export const registerReportCommands = (program: Command): void => {
  const report = program
    .command("report")
    .description("sales reports (staff): seats, bookings and money of a screening or of a day")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket report screening <screeningId>
  $ bookaticket report day --cinema <cinemaId>               # today in the cinema's time zone
  $ bookaticket report day --date 2026-12-05 --json`,
    )

  report
    .command("screening")
    .argument("<screeningId>")
    .description("one screening: capacity, seats by state, bookings by state, money taken, refunded and net")
    .addHelpText("after", "\nExample:\n  $ bookaticket report screening <screeningId>")
    .action(
      withContext(async (ctx, id: string) => {
        const r = await ctx.api.request<ScreeningReport>("GET", `/tickets/reports/screenings/${parseId(id, "screeningId")}`)
        ctx.out.data(r)
        if (!ctx.out.json) printScreening(ctx.out, r)
      }),
    )

  report
    .command("day")
    .description("every screening starting on a day (local to its cinema), with totals")
    .option("--date <YYYY-MM-DD>", "the day (default: today — in the cinema's time zone with --cinema, else this machine's)")
    .option("--cinema <cinemaId>", "only this cinema")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket report day --cinema <cinemaId>
  $ bookaticket report day --date 2026-12-05

A screening belongs to the day it starts on in its own cinema's time zone. Without --date the day is
today: in the cinema's time zone when --cinema is given, else in this machine's time zone.`,
    )
    .action(
      withContext(async (ctx, opts: { date?: string; cinema?: string }) => {
        const cinemaId = opts.cinema === undefined ? undefined : parseId(opts.cinema, "--cinema")
        const cinema = cinemaId ? await ctx.api.request<Cinema>("GET", `/cinemas/${cinemaId}`, { auth: "optional" }) : undefined
        const date = opts.date === undefined ? todayIn(cinema?.timeZone) : parseLocalDate(opts.date)
        const r = await ctx.api.request<DayReport>("GET", `/tickets/reports/days/${date}`, { query: { cinemaId } })
        ctx.out.data(r)
        if (ctx.out.json) return
        const day = localParts(`${date}T12:00:00Z`, "UTC", true)?.day ?? date
        ctx.out.line(ctx.out.c.bold(`${day}${cinema ? ` at ${cinema.name}` : ", every cinema"}`))
        const rows = r.screenings.map((s) => [
          startOf(s),
          s.screening.movieTitle ?? "(not known yet)",
          ...(cinema ? [] : [s.screening.cinemaName ?? ""]),
          s.screening.hallName ?? "",
          s.capacity,
          s.seats.booked,
          s.seats.reserved,
          s.seats.admitted,
          s.seats.available,
          moneyOf(s.revenue, "net"),
        ])
        const head = ["starts", "movie", ...(cinema ? [] : ["cinema"]), "hall", "capacity", "booked", "held", "admitted", "free", "net"]
        if (rows.length === 0) {
          ctx.out.line(ctx.out.c.dim("(no screenings)"))
          return
        }
        const t = r.totals
        rows.push([
          "total",
          `${r.screenings.length} screening${r.screenings.length === 1 ? "" : "s"}`,
          ...(cinema ? [] : [""]),
          "",
          t.capacity,
          t.seats.booked,
          t.seats.reserved,
          t.seats.admitted,
          t.seats.available,
          totalsMoney(t.revenue, "net"),
        ])
        ctx.out.table(head, rows)
        ctx.out.line(
          `taken ${totalsMoney(t.revenue, "gross")}, refunded ${totalsMoney(t.revenue, "refunded")}; bookings: ${t.bookings.booked} booked, ${t.bookings.cancelled} cancelled, ${t.bookings.failed} failed`,
        )
      }),
    )
}

/** `This cancels 3 bookings (7 seats: 4 booked, 3 held) and refunds EUR 100.00.` — what cancelling a screening undoes. */
export const cancellationSummary = (r: ScreeningReport): string => {
  const bookings = r.bookings.booked + r.bookings.reserved
  const seats = r.seats.booked + r.seats.reserved
  const refunds = r.revenue.net > 0 && r.revenue.currency ? `refunds ${formatMoney(r.revenue.net, r.revenue.currency)}` : "refunds nothing"
  if (bookings === 0 && seats === 0) return `This cancels no bookings and ${refunds}.`
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`
  return `This cancels ${plural(bookings, "booking")} (${plural(seats, "seat")}: ${r.seats.booked} booked, ${r.seats.reserved} held) and ${refunds}.`
}
