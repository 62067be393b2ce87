// screenings list|show|schedule|update|cancel|seats: the programme, and each screening's seat map.
import type { Command } from "commander"
import { formatLocal, formatLocalShort } from "@bat/contracts"
import { screeningShort } from "../bookingText.ts"
import { withContext, type CommandContext } from "../context.ts"
import { CliError, ExitCode, usageError } from "../errors.ts"
import { formatMoney, parseDateTime, parseId, parsePrice } from "../parse.ts"
import { confirmOrRefuse } from "../prompt.ts"
import { renderSeatMap } from "../seatMap.ts"
import type { Screening, ScreeningPage, ScreeningReport, SeatMap } from "../shapes.ts"
import { cancellationSummary } from "./reports.ts"
import { pageQuery, withPaging, type PageOptions } from "./listing.ts"

/** What a person reads for a screening: names where the service knows them (else the id), times local to the cinema. */
const movieOf = (s: Screening): string => s.movie.title ?? s.movieId
const cinemaOf = (s: Screening): string => s.cinema.name ?? s.cinemaId
const hallOf = (s: Screening): string => s.hall.name ?? s.hallId
const localShort = (s: Screening, iso: string): string => formatLocalShort(iso, s.cinema.timeZone)
const local = (s: Screening, iso: string): string => formatLocal(iso, s.cinema.timeZone)

const priceFrom = (opts: { price?: string; currency?: string }) =>
  opts.price === undefined ? undefined : parsePrice(opts.price, opts.currency ?? "EUR")

/**
 * The screening's name and what cancelling it cancels and refunds, from `GET /tickets/reports/screenings/{id}`.
 * A screening booking has never heard of has no bookings; when the report cannot be had at all the
 * person is warned and still asked.
 */
const cancellationPreview = async (
  ctx: CommandContext,
  screeningId: string,
): Promise<{ readonly summary: string; readonly name?: string } | undefined> => {
  try {
    const report = await ctx.api.request<ScreeningReport>("GET", `/tickets/reports/screenings/${screeningId}`)
    return {
      summary: cancellationSummary(report),
      ...(report.screening.movieTitle ? { name: screeningShort(report.screening) } : {}),
    }
  } catch (error) {
    if (error instanceof CliError && error.code === "screening_not_found") return { summary: "This cancels no bookings and refunds nothing." }
    if (error instanceof CliError && error.exitCode === ExitCode.auth) throw error
    ctx.out.warn(`cannot tell what the cancellation will undo (${error instanceof Error ? error.message : String(error)})`)
    return undefined
  }
}

export const registerScreeningCommands = (program: Command): void => {
  const screenings = program
    .command("screenings")
    .description("the programme: list, schedule and cancel screenings, draw seat maps")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket screenings list --from 2026-12-01T00:00:00Z
  $ bookaticket screenings seats <screeningId>
  $ bookaticket screenings schedule --movie <movieId> --hall <hallId> --starts 2026-12-01T18:30:00Z --price 12.50`,
    )

  withPaging(
    screenings
      .command("list")
      .description("list active screenings (scheduled and not yet started), soonest first")
      .option("--movie <movieId>", "only this movie")
      .option("--cinema <cinemaId>", "only this cinema")
      .option("--from <time>", "starting at or after this time (ISO-8601 with offset)")
      .option("--to <time>", "starting before this time (ISO-8601 with offset)"),
  )
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket screenings list
  $ bookaticket screenings list --cinema <cinemaId> --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z
  $ bookaticket screenings list --json | jq -r '.items[].screeningId'`,
    )
    .action(
      withContext(async (ctx, opts: PageOptions & { movie?: string; cinema?: string; from?: string; to?: string }) => {
        const query = {
          ...pageQuery(opts),
          movieId: opts.movie === undefined ? undefined : parseId(opts.movie, "--movie"),
          cinemaId: opts.cinema === undefined ? undefined : parseId(opts.cinema, "--cinema"),
          from: opts.from === undefined ? undefined : parseDateTime(opts.from, "--from"),
          to: opts.to === undefined ? undefined : parseDateTime(opts.to, "--to"),
        }
        const page = await ctx.api.request<ScreeningPage>("GET", "/screenings", {
          query,
          auth: "optional",
        })
        ctx.out.data(page)
        if (ctx.out.json) return
        ctx.out.table(
          ["id", "movie", "cinema", "hall", "starts", "ends", "price", "free"],
          page.items.map((s) => [
            s.screeningId,
            movieOf(s),
            cinemaOf(s),
            hallOf(s),
            localShort(s, s.startsAt),
            localShort(s, s.endsAt),
            formatMoney(s.price.amount, s.price.currency),
            s.seatsAvailable,
          ]),
        )
        ctx.out.more(page.nextCursor, "bookaticket screenings list")
      }),
    )

  screenings
    .command("show")
    .argument("<screeningId>")
    .description("show one screening")
    .addHelpText("after", "\nExample:\n  $ bookaticket screenings show <screeningId>")
    .action(
      withContext(async (ctx, id: string) => {
        const s = await ctx.api.request<Screening>("GET", `/screenings/${parseId(id, "screeningId")}`, { auth: "optional" })
        ctx.out.data(s)
        if (ctx.out.json) return
        ctx.out.fields([
          ["screening", s.screeningId],
          ["movie", movieOf(s)],
          ["cinema", cinemaOf(s)],
          ["hall", hallOf(s)],
          ["starts", local(s, s.startsAt)],
          ["ends", local(s, s.endsAt)],
          ["price", formatMoney(s.price.amount, s.price.currency)],
          ["free seats", String(s.seatsAvailable)],
          ["status", s.status === "cancelled" ? ctx.out.c.red(s.status) : ctx.out.c.green(s.status)],
        ])
      }),
    )

  screenings
    .command("schedule")
    .description("schedule a movie in a hall (staff); it ends after the movie's duration")
    .requiredOption("--movie <movieId>", "the movie")
    .requiredOption("--hall <hallId>", "the hall (see `bookaticket cinemas show`)")
    .requiredOption("--starts <time>", "start time, ISO-8601 with offset, e.g. 2026-12-01T18:30:00Z")
    .requiredOption("--price <amount>", 'ticket price, e.g. 12.50 or "12.50 EUR"')
    .option("--currency <code>", "currency when --price has none", "EUR")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket screenings schedule --movie <movieId> --hall <hallId> --starts 2026-12-01T18:30:00Z --price 12.50
  $ bookaticket screenings schedule --movie <movieId> --hall <hallId> --starts 2026-12-01T19:30+01:00 --price "9 GBP"`,
    )
    .action(
      withContext(async (ctx, opts: { movie: string; hall: string; starts: string; price: string; currency: string }) => {
        const body = {
          movieId: parseId(opts.movie, "--movie"),
          hallId: parseId(opts.hall, "--hall"),
          startsAt: parseDateTime(opts.starts, "--starts"),
          price: priceFrom(opts),
        }
        const s = await ctx.api.request<Screening>("POST", "/screenings", { body })
        ctx.out.data(s)
        ctx.out.success(
          `scheduled ${movieOf(s)} in ${hallOf(s)}, ${cinemaOf(s)} (${s.screeningId}): ${local(s, s.startsAt)} – ${localShort(s, s.endsAt)}, ${formatMoney(s.price.amount, s.price.currency)}`,
        )
      }),
    )

  screenings
    .command("update")
    .argument("<screeningId>")
    .description("move a screening or change its price (staff; a new price applies to later reservations)")
    .option("--starts <time>", "new start time, ISO-8601 with offset")
    .option("--price <amount>", 'new ticket price, e.g. 11 or "11.00 EUR"')
    .option("--currency <code>", "currency when --price has none", "EUR")
    .addHelpText("after", "\nExample:\n  $ bookaticket screenings update <screeningId> --price 9.50")
    .action(
      withContext(async (ctx, id: string, opts: { starts?: string; price?: string; currency: string }) => {
        const screeningId = parseId(id, "screeningId")
        if (opts.starts === undefined && opts.price === undefined) throw usageError("give --starts and/or --price to change")
        const body = {
          ...(opts.starts === undefined ? {} : { startsAt: parseDateTime(opts.starts, "--starts") }),
          ...(opts.price === undefined ? {} : { price: priceFrom(opts) }),
        }
        const s = await ctx.api.request<Screening>("PATCH", `/screenings/${screeningId}`, { body })
        ctx.out.data(s)
        ctx.out.success(`updated ${movieOf(s)} (${s.screeningId}): ${local(s, s.startsAt)}, ${formatMoney(s.price.amount, s.price.currency)}`)
      }),
    )

  screenings
    .command("cancel")
    .argument("<screeningId>")
    .description("cancel a screening; its bookings are cancelled and paid tickets refunded (staff)")
    .addHelpText("after", "\nExamples:\n  $ bookaticket screenings cancel <screeningId>\n  $ bookaticket screenings cancel <screeningId> --yes")
    .action(
      withContext(async (ctx, id: string) => {
        const screeningId = parseId(id, "screeningId")
        // What it will undo, from booking's report (the truth about bookings and money), before asking.
        const what = await cancellationPreview(ctx, screeningId)
        if (what) ctx.out.line(what.summary)
        await confirmOrRefuse(`cancel screening ${what?.name ?? screeningId} and every booking for it`, ctx.yes)
        await ctx.api.request("DELETE", `/screenings/${screeningId}`)
        ctx.out.data({ cancelled: screeningId })
        ctx.out.success(`cancelled screening ${screeningId}`)
      }),
    )

  screenings
    .command("seats")
    .argument("<screeningId>")
    .description("draw the seat map: available, reserved and booked seats")
    .addHelpText("after", "\nExamples:\n  $ bookaticket screenings seats <screeningId>\n  $ bookaticket screenings seats <screeningId> --json")
    .action(
      withContext(async (ctx, id: string) => {
        const map = await ctx.api.request<SeatMap>("GET", `/screenings/${parseId(id, "screeningId")}/seats`, { auth: "optional" })
        ctx.out.data(map)
        ctx.out.line(renderSeatMap(map, { colour: ctx.out.colour }))
      }),
    )
}
