// cinemas list|show|create|update|delete and halls add: the staff side of the cinemas service.
import { readFileSync } from "node:fs"
import type { Command } from "commander"
import { withContext } from "../context.ts"
import { usageError } from "../errors.ts"
import { layoutFromRows, parseId, parseLayoutJson, type RowLayout } from "../parse.ts"
import { confirmOrRefuse } from "../prompt.ts"
import type { Cinema, CinemaPage, Hall } from "../shapes.ts"
import { describeRows, pageQuery, withPaging, type PageOptions } from "./listing.ts"

const seatsOf = (cinema: Cinema): number => cinema.halls.reduce((n, h) => n + h.capacity, 0)

export const registerCinemaCommands = (program: Command): void => {
  const cinemas = program
    .command("cinemas")
    .description("list and manage cinemas (changes need a staff login)")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket cinemas list
  $ bookaticket cinemas create --name "Central" --address "1 Main St"
  $ bookaticket halls add <cinemaId> --name "Hall 1" --rows A-J --seats 14`,
    )

  withPaging(cinemas.command("list").description("list cinemas"))
    .addHelpText("after", "\nExamples:\n  $ bookaticket cinemas list\n  $ bookaticket cinemas list --json | jq '.items[].name'")
    .action(
      withContext(async (ctx, opts: PageOptions) => {
        const page = await ctx.api.request<CinemaPage>("GET", "/cinemas", {
          query: pageQuery(opts),
          auth: "optional",
        })
        ctx.out.data(page)
        ctx.out.table(
          ["id", "name", "address", "time zone", "halls", "seats"],
          page.items.map((c) => [c.cinemaId, c.name, c.address, c.timeZone, c.halls.length, seatsOf(c)]),
        )
        ctx.out.more(page.nextCursor, "bookaticket cinemas list")
      }),
    )

  cinemas
    .command("show")
    .argument("<cinemaId>")
    .description("show a cinema and its halls")
    .addHelpText("after", "\nExample:\n  $ bookaticket cinemas show 0190d7c4-5a1b-7c3e-9f00-123456789abc")
    .action(
      withContext(async (ctx, id: string) => {
        const cinema = await ctx.api.request<Cinema>("GET", `/cinemas/${parseId(id, "cinemaId")}`, { auth: "optional" })
        ctx.out.data(cinema)
        ctx.out.fields([
          ["cinema", cinema.name],
          ["address", cinema.address],
          ["time zone", cinema.timeZone],
          ["id", cinema.cinemaId],
        ])
        ctx.out.line()
        ctx.out.table(
          ["hall", "hall id", "rows", "seats"],
          cinema.halls.map((h) => [h.name, h.hallId, describeRows(h.rows), h.capacity]),
        )
      }),
    )

  cinemas
    .command("create")
    .description("create a cinema (staff)")
    .requiredOption("--name <name>", "its name")
    .requiredOption("--address <address>", "its address")
    .option("--time-zone <zone>", "IANA time zone its times are shown in, e.g. Europe/Berlin (default: the service's)")
    .addHelpText(
      "after",
      `\nExample:\n  $ bookaticket cinemas create --name "Central" --address "1 Main St, Springfield" --time-zone Europe/Berlin`,
    )
    .action(
      withContext(async (ctx, opts: { name: string; address: string; timeZone?: string }) => {
        const body = { name: opts.name, address: opts.address, ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }) }
        const cinema = await ctx.api.request<Cinema>("POST", "/cinemas", { body })
        ctx.out.data(cinema)
        ctx.out.success(`created cinema ${cinema.name} (${cinema.cinemaId}) in ${cinema.timeZone}`)
      }),
    )

  cinemas
    .command("update")
    .argument("<cinemaId>")
    .description("rename a cinema, change its address or its time zone (staff)")
    .option("--name <name>", "new name")
    .option("--address <address>", "new address")
    .option("--time-zone <zone>", "new IANA time zone, e.g. Europe/Berlin")
    .addHelpText(
      "after",
      `\nExamples:\n  $ bookaticket cinemas update <cinemaId> --address "2 High St"\n  $ bookaticket cinemas update <cinemaId> --time-zone Europe/Berlin`,
    )
    .action(
      withContext(async (ctx, id: string, opts: { name?: string; address?: string; timeZone?: string }) => {
        const cinemaId = parseId(id, "cinemaId")
        if (opts.name === undefined && opts.address === undefined && opts.timeZone === undefined) {
          throw usageError("give --name, --address and/or --time-zone to change")
        }
        const body = {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.address === undefined ? {} : { address: opts.address }),
          ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
        }
        const cinema = await ctx.api.request<Cinema>("PATCH", `/cinemas/${cinemaId}`, { body })
        ctx.out.data(cinema)
        ctx.out.success(`updated cinema ${cinema.name} (${cinema.cinemaId})`)
      }),
    )

  cinemas
    .command("delete")
    .argument("<cinemaId>")
    .description("delete a cinema; its future screenings are cancelled and paid tickets refunded (staff)")
    .addHelpText("after", "\nExamples:\n  $ bookaticket cinemas delete <cinemaId>\n  $ bookaticket cinemas delete <cinemaId> --yes   # no question (scripts)")
    .action(
      withContext(async (ctx, id: string) => {
        const cinemaId = parseId(id, "cinemaId")
        await confirmOrRefuse(`delete cinema ${cinemaId} and cancel its future screenings`, ctx.yes)
        await ctx.api.request("DELETE", `/cinemas/${cinemaId}`)
        ctx.out.data({ deleted: cinemaId })
        ctx.out.success(`deleted cinema ${cinemaId}`)
      }),
    )

  const halls = program
    .command("halls")
    .description("add halls with their seat layout to a cinema (staff)")
    .addHelpText("after", "\nExample:\n  $ bookaticket halls add <cinemaId> --name \"Hall 1\" --rows A-J --seats 14")

  halls
    .command("add")
    .argument("<cinemaId>")
    .description("add a hall: rows of seats given by --rows/--seats or a layout file")
    .requiredOption("--name <name>", "the hall's name, unique in its cinema")
    .option("--rows <rows>", "row labels: A-J, A,B,C or A-H,J-K")
    .option("--seats <n>", "seats in each row (with --rows)")
    .option("--layout <file>", 'JSON file: [{"label":"A","seats":12}, ...] for rows of different sizes')
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket halls add <cinemaId> --name "Hall 1" --rows A-J --seats 14
  $ echo '[{"label":"A","seats":8},{"label":"B","seats":10}]' > small.json
  $ bookaticket halls add <cinemaId> --name "Studio" --layout small.json`,
    )
    .action(
      withContext(async (ctx, id: string, opts: { name: string; rows?: string; seats?: string; layout?: string }) => {
        const cinemaId = parseId(id, "cinemaId")
        let rows: RowLayout[]
        if (opts.layout !== undefined) {
          if (opts.rows !== undefined || opts.seats !== undefined) throw usageError("use either --layout or --rows with --seats, not both")
          let text: string
          try {
            text = readFileSync(opts.layout, "utf8")
          } catch {
            throw usageError(`--layout: cannot read ${opts.layout}`)
          }
          rows = parseLayoutJson(text, opts.layout)
        } else {
          if (opts.rows === undefined || opts.seats === undefined) {
            throw usageError("give the seat layout: --rows A-J --seats 14, or --layout <file>")
          }
          rows = layoutFromRows(opts.rows, opts.seats)
        }
        const hall = await ctx.api.request<Hall>("POST", `/cinemas/${cinemaId}/halls`, { body: { name: opts.name, rows } })
        ctx.out.data(hall)
        ctx.out.success(`added hall ${hall.name} (${hall.hallId}): ${describeRows(hall.rows)}, ${hall.capacity} seats`)
      }),
    )
}
