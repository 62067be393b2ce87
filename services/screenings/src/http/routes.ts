// HTTP routes of the screenings service: decode, authorize, call a use case, encode.
import { newId, ScreeningsApi, Uuid } from "@bat/contracts"
import { makeCursor, requireRole, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { Effect, Schema } from "effect"
import { ScreeningNotFound } from "../domain/errors.ts"
import { Screenings } from "../app/Screenings.ts"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A malformed id names no screening: 404, like any other unknown id. */
const screeningId = (id: string) =>
  UUID.test(id) ? Effect.succeed(id.toLowerCase()) : Effect.fail(new ScreeningNotFound({ screeningId: id }))

/** Continues after the (startsAt, screeningId) of the last screening of a page. */
const cursor = makeCursor(
  "screenings",
  Schema.Struct({ startsAt: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), screeningId: Uuid })
)

const docs = (summary: string, staff = false) => ({
  summary,
  tags: ["screenings"],
  ...(staff ? { security: [{ bearer: [] }] } : {})
})

export const screeningsRoutes = (ctx: ServiceContext<Screenings>) => {
  const { run, auth } = ctx
  // Each request is its own correlation: events it causes carry the request's id.
  const requestOrigin = () => ({ correlationId: newId(), causationId: null })

  const publicRoutes = new Elysia({ prefix: "/screenings" })
    .get(
      "",
      async ({ query }) => {
        const { limit, after } = cursor.request(query)
        const filters = { movieId: query.movieId, cinemaId: query.cinemaId, from: query.from, to: query.to }
        return cursor.page(await run(Screenings.use((s) => s.list({ ...filters, limit, after }))))
      },
      {
        query: schema(ScreeningsApi.ScreeningsQuery),
        response: { 200: schema(ScreeningsApi.ScreeningPage) },
        detail: docs("Active screenings (scheduled, not started), soonest first")
      }
    )
    .get(
      "/:id",
      ({ params }) => run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.get(id)))),
      {
        params: schema(ScreeningsApi.ScreeningParams),
        response: { 200: schema(ScreeningsApi.Screening) },
        detail: docs("One screening, cancelled ones included")
      }
    )
    .get(
      "/:id/seats",
      ({ params }) => run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.seatMap(id)))),
      {
        params: schema(ScreeningsApi.ScreeningParams),
        response: { 200: schema(ScreeningsApi.SeatMap) },
        detail: docs("The seat map (advisory; booking decides)")
      }
    )

  // Staff only. The token is checked while transforming, before the body is validated,
  // so an anonymous caller learns nothing about what a valid body looks like.
  const staffRoutes = new Elysia({ prefix: "/screenings" })
    .onTransform(async ({ headers }) => {
      requireRole(await auth.authenticate(headers), "staff")
    })
    .post(
      "",
      async ({ body, set }) => {
        const screening = await run(Screenings.use((s) => s.schedule(body, requestOrigin())))
        set.status = 201
        return screening
      },
      {
        body: schema(ScreeningsApi.ScheduleScreeningBody),
        response: { 201: schema(ScreeningsApi.Screening) },
        detail: docs("Schedule a screening", true)
      }
    )
    .patch(
      "/:id",
      ({ params, body }) =>
        run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.update(id, body, requestOrigin())))),
      {
        body: schema(ScreeningsApi.UpdateScreeningBody),
        response: { 200: schema(ScreeningsApi.Screening) },
        detail: docs("Move a screening or change its price", true)
      }
    )
    .delete(
      "/:id",
      async ({ params }) => {
        await run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.cancel(id, requestOrigin()))))
        return new Response(null, { status: 204 })
      },
      { detail: docs("Cancel a screening that has not begun", true) }
    )

  return new Elysia().use(publicRoutes).use(staffRoutes)
}
