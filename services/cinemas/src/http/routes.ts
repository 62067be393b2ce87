// HTTP routes of the cinemas service: decode, call a use case, encode.
import { CinemasApi, newId, Page, PageQuery, Uuid } from "@bat/contracts"
import { makeCursor, requireRole, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { CinemaCatalog } from "../app/CinemaCatalog.ts"

const staffOnly = { tags: ["cinemas"], security: [{ bearer: [] }] }

/** Continues after the last cinema id of a page. */
const cursor = makeCursor("cinemas", Uuid)

export const routes = (ctx: ServiceContext<CinemaCatalog>) => {
  const asStaff = async (headers: Record<string, string | undefined>) => requireRole(await ctx.auth.authenticate(headers), "staff")
  return new Elysia({ prefix: "/cinemas" })
    .get("", async ({ query }) => cursor.page(await ctx.run(CinemaCatalog.use((c) => c.list(cursor.request(query))))), {
      query: schema(PageQuery),
      response: { 200: schema(Page(CinemasApi.Cinema)) },
      detail: { summary: "List cinemas with their halls", tags: ["cinemas"] }
    })
    .get("/:id", ({ params }) => ctx.run(CinemaCatalog.use((c) => c.get(params.id))), {
      params: schema(CinemasApi.CinemaParams),
      response: { 200: schema(CinemasApi.Cinema) },
      detail: { summary: "A cinema with its halls", tags: ["cinemas"] }
    })
    .post(
      "",
      async ({ headers, body, set }) => {
        await asStaff(headers)
        const cinema = await ctx.run(CinemaCatalog.use((c) => c.create(body, newId())))
        set.status = 201
        return cinema
      },
      {
        body: schema(CinemasApi.CreateCinemaRequest),
        response: { 201: schema(CinemasApi.Cinema) },
        detail: { summary: "Create a cinema (staff)", ...staffOnly }
      }
    )
    .patch(
      "/:id",
      async ({ headers, params, body }) => {
        await asStaff(headers)
        return ctx.run(CinemaCatalog.use((c) => c.update(params.id, body, newId())))
      },
      {
        params: schema(CinemasApi.CinemaParams),
        body: schema(CinemasApi.UpdateCinemaRequest),
        response: { 200: schema(CinemasApi.Cinema) },
        detail: { summary: "Rename or move a cinema (staff); its revision goes up by one", ...staffOnly }
      }
    )
    .delete(
      "/:id",
      async ({ headers, params, set }) => {
        await asStaff(headers)
        await ctx.run(CinemaCatalog.use((c) => c.remove(params.id, newId())))
        set.status = 204
      },
      {
        params: schema(CinemasApi.CinemaParams),
        detail: { summary: "Delete a cinema (staff); it stays deleted", ...staffOnly }
      }
    )
    .post(
      "/:id/halls",
      async ({ headers, params, body, set }) => {
        await asStaff(headers)
        const hall = await ctx.run(CinemaCatalog.use((c) => c.addHall(params.id, body, newId())))
        set.status = 201
        return hall
      },
      {
        params: schema(CinemasApi.CinemaParams),
        body: schema(CinemasApi.CreateHallRequest),
        response: { 201: schema(CinemasApi.Hall) },
        detail: { summary: "Add a hall with its seat layout (staff)", ...staffOnly }
      }
    )
}
