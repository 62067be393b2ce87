// HTTP routes of the cinemas service: decode, call a use case, encode.
import { CinemasApi, PageQuery, Uuid } from "@bat/contracts"
import { authorize, makeCursor, operation, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { CinemaCatalog } from "../app/CinemaCatalog.ts"

const tags = ["cinemas"]
/** Staff routes verify the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const

/** Continues after the last cinema id of a page. */
const cursor = makeCursor("cinemas", Uuid)

export const routes = (ctx: ServiceContext<CinemaCatalog>) => {
  return new Elysia({ prefix: "/cinemas" })
    .use(authorize(ctx.auth))
    .get("", async ({ query }) => cursor.page(await ctx.run(CinemaCatalog.use((c) => c.list(cursor.request(query))))), {
      query: schema(PageQuery),
      response: { 200: schema(CinemasApi.CinemaPage) },
      ...operation({
        summary: "List cinemas with their halls",
        tags,
        auth: "none",
        ok: { status: 200, schema: CinemasApi.CinemaPage },
        problems: { 422: ["invalid_cursor"] }
      })
    })
    .get("/:id", ({ params }) => ctx.run(CinemaCatalog.use((c) => c.get(params.id))), {
      params: schema(CinemasApi.CinemaParams),
      response: { 200: schema(CinemasApi.Cinema) },
      ...operation({
        summary: "A cinema with its halls",
        tags,
        auth: "none",
        ok: { status: 200, schema: CinemasApi.Cinema },
        problems: { 404: ["cinema_not_found"] }
      })
    })
    .post(
      "",
      async ({ body, set }) => {
        const cinema = await ctx.run(CinemaCatalog.use((c) => c.create(body, ctx.ids.next())))
        set.status = 201
        return cinema
      },
      {
        body: schema(CinemasApi.CreateCinemaRequest),
        response: { 201: schema(CinemasApi.Cinema) },
        ...operation({
          summary: "Create a cinema (staff)",
          tags,
          auth: "staff",
          ok: { status: 201, schema: CinemasApi.Cinema, description: "The new cinema, without halls, at revision 1." },
          problems: authUnavailable
        })
      }
    )
    .patch(
      "/:id",
      async ({ params, body }) => {
        return ctx.run(CinemaCatalog.use((c) => c.update(params.id, body, ctx.ids.next())))
      },
      {
        params: schema(CinemasApi.CinemaParams),
        body: schema(CinemasApi.UpdateCinemaRequest),
        response: { 200: schema(CinemasApi.Cinema) },
        ...operation({
          summary: "Rename or move a cinema or change its time zone (staff); its revision goes up by one",
          tags,
          auth: "staff",
          ok: { status: 200, schema: CinemasApi.Cinema },
          problems: { 404: ["cinema_not_found"], ...authUnavailable }
        })
      }
    )
    .delete(
      "/:id",
      async ({ params, set }) => {
        await ctx.run(CinemaCatalog.use((c) => c.remove(params.id, ctx.ids.next())))
        set.status = 204
      },
      {
        params: schema(CinemasApi.CinemaParams),
        ...operation({
          summary: "Delete a cinema (staff); it stays deleted",
          description: "Its future screenings are cancelled, and their bookings with them.",
          tags,
          auth: "staff",
          ok: { status: 204, description: "Deleted." },
          problems: { 404: ["cinema_not_found"], ...authUnavailable }
        })
      }
    )
    .post(
      "/:id/halls",
      async ({ params, body, set }) => {
        const hall = await ctx.run(CinemaCatalog.use((c) => c.addHall(params.id, body, ctx.ids.next())))
        set.status = 201
        return hall
      },
      {
        params: schema(CinemasApi.CinemaParams),
        body: schema(CinemasApi.CreateHallRequest),
        response: { 201: schema(CinemasApi.Hall) },
        ...operation({
          summary: "Add a hall with its seat layout (staff)",
          description: "Seats are numbered from 1 in each row: row `A` with 12 seats has A1 to A12. Row labels must be distinct.",
          tags,
          auth: "staff",
          ok: { status: 201, schema: CinemasApi.Hall, description: "The new hall; `capacity` is its number of seats." },
          problems: {
            404: ["cinema_not_found"],
            409: ["hall_name_taken"],
            422: ["duplicate_row_label"],
            ...authUnavailable
          }
        })
      }
    )
}
