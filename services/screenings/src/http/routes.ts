// HTTP routes of the screenings service: decode, authorize, call a use case, encode.
import { newId, ScreeningsApi, Uuid } from "@bat/contracts"
import { makeCursor, operation, requireRole, schema, type ServiceContext } from "@bat/http"
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

const tags = ["screenings"]
/** Staff routes verify the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const

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
        ...operation({
          summary: "Active screenings (scheduled, not started), soonest first",
          description: "Optionally of one movie or cinema, starting at or after `from` and before `to`.",
          tags,
          auth: "none",
          ok: { status: 200, schema: ScreeningsApi.ScreeningPage },
          problems: { 422: ["invalid_cursor"] }
        })
      }
    )
    .get(
      "/:id",
      ({ params }) => run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.get(id)))),
      {
        params: schema(ScreeningsApi.ScreeningParams),
        response: { 200: schema(ScreeningsApi.Screening) },
        ...operation({
          summary: "One screening, cancelled ones included",
          tags,
          auth: "none",
          ok: { status: 200, schema: ScreeningsApi.Screening },
          problems: { 404: ["screening_not_found"] }
        })
      }
    )
    .get(
      "/:id/seats",
      ({ params }) => run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.seatMap(id)))),
      {
        params: schema(ScreeningsApi.ScreeningParams),
        response: { 200: schema(ScreeningsApi.SeatMap) },
        ...operation({
          summary: "The seat map (advisory; booking decides)",
          tags,
          auth: "none",
          ok: { status: 200, schema: ScreeningsApi.SeatMap },
          problems: { 404: ["screening_not_found"] }
        })
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
        ...operation({
          summary: "Schedule a screening",
          description:
            "`endsAt` is `startsAt` plus the movie's running time. The hall is occupied until `endsAt` plus the " +
            "cleaning gap; an overlap with another scheduled screening is 409 `hall_busy`. `startsAt` must lie in the " +
            "future and at most five years ahead.",
          tags,
          auth: "staff",
          ok: { status: 201, schema: ScreeningsApi.Screening },
          problems: {
            409: ["hall_busy"],
            422: ["unknown_movie", "unknown_hall", "starts_at_in_past", "starts_at_too_far"],
            ...authUnavailable
          }
        })
      }
    )
    .patch(
      "/:id",
      ({ params, body }) =>
        run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.update(id, body, requestOrigin())))),
      {
        params: schema(ScreeningsApi.ScreeningParams),
        body: schema(ScreeningsApi.UpdateScreeningBody),
        response: { 200: schema(ScreeningsApi.Screening) },
        ...operation({
          summary: "Move a screening or change its price",
          description:
            "A moved screening keeps its running time. A new price applies to later reservations only. " +
            "Neither a cancelled screening nor one that has begun can change.",
          tags,
          auth: "staff",
          ok: { status: 200, schema: ScreeningsApi.Screening },
          problems: {
            404: ["screening_not_found"],
            409: ["screening_cancelled", "screening_started", "hall_busy"],
            422: ["starts_at_in_past", "starts_at_too_far"],
            ...authUnavailable
          }
        })
      }
    )
    .delete(
      "/:id",
      async ({ params }) => {
        await run(Effect.flatMap(screeningId(params.id), (id) => Screenings.use((s) => s.cancel(id, requestOrigin()))))
        return new Response(null, { status: 204 })
      },
      {
        params: schema(ScreeningsApi.ScreeningParams),
        ...operation({
          summary: "Cancel a screening that has not begun",
          description: "Its bookings are cancelled (paid ones refunded). Cancelling a cancelled screening again changes nothing.",
          tags,
          auth: "staff",
          ok: { status: 204, description: "Cancelled." },
          problems: { 404: ["screening_not_found"], 409: ["screening_started"], ...authUnavailable }
        })
      }
    )

  return new Elysia().use(publicRoutes).use(staffRoutes)
}
