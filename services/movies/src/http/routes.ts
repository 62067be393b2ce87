// HTTP routes of the movies service: decode, call a use case, encode.
import { MoviesApi, newId, Page, PageQuery, Uuid } from "@bat/contracts"
import { makeCursor, requireRole, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { MovieCatalog } from "../app/MovieCatalog.ts"

const staffOnly = { tags: ["movies"], security: [{ bearer: [] }] }

/** Continues after the last movie id of a page. */
const cursor = makeCursor("movies", Uuid)

export const routes = (ctx: ServiceContext<MovieCatalog>) => {
  const asStaff = async (headers: Record<string, string | undefined>) => requireRole(await ctx.auth.authenticate(headers), "staff")
  return new Elysia({ prefix: "/movies" })
    .get("", async ({ query }) => cursor.page(await ctx.run(MovieCatalog.use((m) => m.list(cursor.request(query))))), {
      query: schema(PageQuery),
      response: { 200: schema(Page(MoviesApi.Movie)) },
      detail: { summary: "List movies", tags: ["movies"] }
    })
    .get("/:id", ({ params }) => ctx.run(MovieCatalog.use((m) => m.get(params.id))), {
      params: schema(MoviesApi.MovieParams),
      response: { 200: schema(MoviesApi.Movie) },
      detail: { summary: "A movie", tags: ["movies"] }
    })
    .post(
      "",
      async ({ headers, body, set }) => {
        await asStaff(headers)
        const movie = await ctx.run(MovieCatalog.use((m) => m.add(body, newId())))
        set.status = 201
        return movie
      },
      {
        body: schema(MoviesApi.AddMovieRequest),
        response: { 201: schema(MoviesApi.Movie) },
        detail: { summary: "Add a movie (staff)", ...staffOnly }
      }
    )
    .patch(
      "/:id",
      async ({ headers, params, body }) => {
        await asStaff(headers)
        return ctx.run(MovieCatalog.use((m) => m.update(params.id, body, newId())))
      },
      {
        params: schema(MoviesApi.MovieParams),
        body: schema(MoviesApi.UpdateMovieRequest),
        response: { 200: schema(MoviesApi.Movie) },
        detail: { summary: "Change a movie (staff); its revision goes up by one", ...staffOnly }
      }
    )
    .delete(
      "/:id",
      async ({ headers, params, set }) => {
        await asStaff(headers)
        await ctx.run(MovieCatalog.use((m) => m.remove(params.id, newId())))
        set.status = 204
      },
      {
        params: schema(MoviesApi.MovieParams),
        detail: { summary: "Remove a movie (staff); it stays removed", ...staffOnly }
      }
    )
}
