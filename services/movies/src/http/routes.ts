// HTTP routes of the movies service: decode, call a use case, encode.
import { MoviesApi, PageQuery, Uuid } from "@bat/contracts"
import { authorize, makeCursor, operation, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { MovieCatalog } from "../app/MovieCatalog.ts"

const tags = ["movies"]
/** Staff routes verify the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const

/** Continues after the last movie id of a page. */
const cursor = makeCursor("movies", Uuid)

export const routes = (ctx: ServiceContext<MovieCatalog>) => {
  return new Elysia({ prefix: "/movies" })
    .use(authorize(ctx.auth))
    .get("", async ({ query }) => cursor.page(await ctx.run(MovieCatalog.use((m) => m.list(cursor.request(query))))), {
      query: schema(PageQuery),
      response: { 200: schema(MoviesApi.MoviePage) },
      ...operation({
        summary: "List movies",
        tags,
        auth: "none",
        ok: { status: 200, schema: MoviesApi.MoviePage },
        problems: { 422: ["invalid_cursor"] }
      })
    })
    .get("/:id", ({ params }) => ctx.run(MovieCatalog.use((m) => m.get(params.id))), {
      params: schema(MoviesApi.MovieParams),
      response: { 200: schema(MoviesApi.Movie) },
      ...operation({
        summary: "A movie",
        tags,
        auth: "none",
        ok: { status: 200, schema: MoviesApi.Movie },
        problems: { 404: ["movie_not_found"] }
      })
    })
    .post(
      "",
      async ({ body, set }) => {
        const movie = await ctx.run(MovieCatalog.use((m) => m.add(body, ctx.ids.next())))
        set.status = 201
        return movie
      },
      {
        body: schema(MoviesApi.AddMovieRequest),
        response: { 201: schema(MoviesApi.Movie) },
        ...operation({
          summary: "Add a movie (staff)",
          tags,
          auth: "staff",
          ok: { status: 201, schema: MoviesApi.Movie, description: "The new movie, at revision 1." },
          problems: authUnavailable
        })
      }
    )
    .patch(
      "/:id",
      async ({ params, body }) => {
        return ctx.run(MovieCatalog.use((m) => m.update(params.id, body, ctx.ids.next())))
      },
      {
        params: schema(MoviesApi.MovieParams),
        body: schema(MoviesApi.UpdateMovieRequest),
        response: { 200: schema(MoviesApi.Movie) },
        ...operation({
          summary: "Change a movie (staff); its revision goes up by one",
          description: "A new running time applies to screenings scheduled later; scheduled ones keep their end.",
          tags,
          auth: "staff",
          ok: { status: 200, schema: MoviesApi.Movie },
          problems: { 404: ["movie_not_found"], ...authUnavailable }
        })
      }
    )
    .delete(
      "/:id",
      async ({ params, set }) => {
        await ctx.run(MovieCatalog.use((m) => m.remove(params.id, ctx.ids.next())))
        set.status = 204
      },
      {
        params: schema(MoviesApi.MovieParams),
        ...operation({
          summary: "Remove a movie (staff); it stays removed",
          description: "Its future screenings are cancelled, and their bookings with them.",
          tags,
          auth: "staff",
          ok: { status: 204, description: "Removed." },
          problems: { 404: ["movie_not_found"], ...authUnavailable }
        })
      }
    )
}
