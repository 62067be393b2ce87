// movies list|show|add|update|remove: the staff side of the movies service.
import type { Command } from "commander"
import { withContext } from "../context.ts"
import { usageError } from "../errors.ts"
import { parseId, parsePositiveInt } from "../parse.ts"
import { confirmOrRefuse } from "../prompt.ts"
import type { Movie, MoviePage } from "../shapes.ts"
import { pageQuery, withPaging, type PageOptions } from "./listing.ts"

export const registerMovieCommands = (program: Command): void => {
  const movies = program
    .command("movies")
    .description("list and manage movies (changes need a staff login)")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket movies list
  $ bookaticket movies add --title "Arrival" --genre "sci-fi" --duration 116`,
    )

  withPaging(movies.command("list").description("list movies"))
    .addHelpText("after", "\nExamples:\n  $ bookaticket movies list\n  $ bookaticket movies list --limit 10 --json")
    .action(
      withContext(async (ctx, opts: PageOptions) => {
        const page = await ctx.api.request<MoviePage>("GET", "/movies", {
          query: pageQuery(opts),
          auth: "optional",
        })
        ctx.out.data(page)
        ctx.out.table(
          ["id", "title", "genre", "minutes"],
          page.items.map((m) => [m.movieId, m.title, m.genre, m.durationMinutes]),
        )
        ctx.out.more(page.nextCursor, "bookaticket movies list")
      }),
    )

  movies
    .command("show")
    .argument("<movieId>")
    .description("show one movie")
    .addHelpText("after", "\nExample:\n  $ bookaticket movies show <movieId>")
    .action(
      withContext(async (ctx, id: string) => {
        const movie = await ctx.api.request<Movie>("GET", `/movies/${parseId(id, "movieId")}`, { auth: "optional" })
        ctx.out.data(movie)
        ctx.out.fields([
          ["title", movie.title],
          ["genre", movie.genre],
          ["duration", `${movie.durationMinutes} min`],
          ["id", movie.movieId],
        ])
      }),
    )

  movies
    .command("add")
    .description("add a movie (staff)")
    .requiredOption("--title <title>", "its title")
    .requiredOption("--genre <genre>", "its genre, e.g. drama")
    .requiredOption("--duration <minutes>", "running time in minutes (1-600)")
    .addHelpText("after", `\nExample:\n  $ bookaticket movies add --title "Arrival" --genre sci-fi --duration 116`)
    .action(
      withContext(async (ctx, opts: { title: string; genre: string; duration: string }) => {
        const body = { title: opts.title, genre: opts.genre, durationMinutes: parsePositiveInt(opts.duration, "--duration", 600) }
        const movie = await ctx.api.request<Movie>("POST", "/movies", { body })
        ctx.out.data(movie)
        ctx.out.success(`added movie ${movie.title} (${movie.movieId})`)
      }),
    )

  movies
    .command("update")
    .argument("<movieId>")
    .description("change a movie's title, genre or duration (staff; scheduled screenings keep their times)")
    .option("--title <title>", "new title")
    .option("--genre <genre>", "new genre")
    .option("--duration <minutes>", "new running time in minutes")
    .addHelpText("after", "\nExample:\n  $ bookaticket movies update <movieId> --genre drama")
    .action(
      withContext(async (ctx, id: string, opts: { title?: string; genre?: string; duration?: string }) => {
        const movieId = parseId(id, "movieId")
        const body = {
          ...(opts.title === undefined ? {} : { title: opts.title }),
          ...(opts.genre === undefined ? {} : { genre: opts.genre }),
          ...(opts.duration === undefined ? {} : { durationMinutes: parsePositiveInt(opts.duration, "--duration", 600) }),
        }
        if (Object.keys(body).length === 0) throw usageError("give at least one of --title, --genre, --duration")
        const movie = await ctx.api.request<Movie>("PATCH", `/movies/${movieId}`, { body })
        ctx.out.data(movie)
        ctx.out.success(`updated movie ${movie.title} (${movie.movieId})`)
      }),
    )

  movies
    .command("remove")
    .argument("<movieId>")
    .description("remove a movie; its future screenings are cancelled and paid tickets refunded (staff)")
    .addHelpText("after", "\nExamples:\n  $ bookaticket movies remove <movieId>\n  $ bookaticket movies remove <movieId> --yes")
    .action(
      withContext(async (ctx, id: string) => {
        const movieId = parseId(id, "movieId")
        await confirmOrRefuse(`remove movie ${movieId} and cancel its future screenings`, ctx.yes)
        await ctx.api.request("DELETE", `/movies/${movieId}`)
        ctx.out.data({ removed: movieId })
        ctx.out.success(`removed movie ${movieId}`)
      }),
    )
}
