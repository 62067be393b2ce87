// HTTP routes of the screenings service: decode, authorize, call a use case, encode.
import { ScreeningsApi, Uuid } from "@bat/contracts"
import { authorize, log, makeCursor, operation, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { Effect, Exit, Schema } from "effect"
import { ScreeningNotFound } from "../domain/errors.ts"
import { Screenings } from "../app/Screenings.ts"
import type { SeatHub } from "../app/SeatFeed.ts"
import { etagMatches, seatMapEtag } from "./etag.ts"
import { lastEventIdOf, seatStreamResponse } from "./seatStream.ts"

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

export interface SeatStreamSettings {
  readonly hub: SeatHub
  /** A comment line goes to every open stream this often (SEAT_STREAM_HEARTBEAT_MS, 15 s); kept by the hub. */
  readonly heartbeatMs: number
  /** A stream with more than this many bytes waiting for its connection is dropped (SEAT_STREAM_MAX_QUEUED_BYTES). */
  readonly maxQueuedBytes: number
}

/** `Cache-Control: no-cache`: a client may keep the map, but asks again (cheaply, with If-None-Match) before using it. */
const revalidate = { "cache-control": "no-cache" } as const

/** What the seat map's 200 and 304 both send. */
const seatMapHeaders = {
  ETag: {
    description: 'The seat map\'s version: `"<screeningId>-<version>"` (strong). Send it back in `If-None-Match`.',
    schema: { type: "string", pattern: '^"[0-9a-f-]{36}-[0-9]+"$' }
  },
  "Cache-Control": { description: "`no-cache`: revalidate before use.", schema: { type: "string", const: "no-cache" } }
} as const

export const screeningsRoutes = (ctx: ServiceContext<Screenings>, seats: SeatStreamSettings) => {
  const { run, auth } = ctx
  // Each request is its own correlation: events it causes carry the request's id.
  const requestOrigin = () => ({ correlationId: ctx.ids.next(), causationId: null })

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
      async ({ params, headers }): Promise<Response> => {
        const ifNoneMatch = headers["if-none-match"]
        if (ifNoneMatch !== undefined && UUID.test(params.id)) {
          // The cheap path, for the many viewers that poll: the version alone (one indexed read, run synchronously
          // on the runtime: no fiber handed to the scheduler, no promise), no seat map built. Anything else (an
          // unknown screening, another version) takes the full path below, which answers it.
          const id = params.id.toLowerCase()
          const current = ctx.runtime.runSyncExit(Screenings.use((s) => s.seatVersion(id)))
          if (Exit.isSuccess(current)) {
            const etag = seatMapEtag(id, current.value)
            if (etagMatches(ifNoneMatch, etag)) return new Response(null, { status: 304, headers: { etag, ...revalidate } })
          }
        }
        const id = await run(screeningId(params.id))
        const { version, ...map } = await run(Screenings.use((s) => s.seatMap(id)))
        return Response.json(map satisfies ScreeningsApi.SeatMap, { headers: { etag: seatMapEtag(id, version), ...revalidate } })
      },
      {
        params: schema(ScreeningsApi.ScreeningParams),
        response: { 200: schema(ScreeningsApi.SeatMap) },
        ...operation({
          summary: "The seat map (advisory; booking decides)",
          description:
            'Sent with `ETag: "<screeningId>-<version>"` (the seat map\'s version, +1 for each change of a seat\'s status) ' +
            "and `Cache-Control: no-cache`. With a matching `If-None-Match` (one tag, a list, or `*`) the answer is " +
            "304 without a body. Live changes: `GET /screenings/{id}/seats/stream`.",
          tags,
          auth: "none",
          ok: { status: 200, schema: ScreeningsApi.SeatMap, headers: seatMapHeaders },
          problems: { 404: ["screening_not_found"] },
          requestHeaders: [
            {
              name: "If-None-Match",
              description: "An `ETag` this route sent (or a list of them, or `*`): 304 if the seat map is still that version."
            }
          ],
          responses: {
            304: {
              description: "Not Modified: the seat map is still the version of the matching `ETag` (sent again), no body.",
              headers: seatMapHeaders
            }
          }
        })
      }
    )
    .get(
      "/:id/seats/stream",
      async ({ params, headers, query, request }) => {
        const id = await run(screeningId(params.id))
        // Unknown screenings are a 404 problem before the stream starts.
        await run(Screenings.use((s) => s.seatVersion(id)))
        const lastEventId = lastEventIdOf(headers["last-event-id"], query.lastEventId)
        return seatStreamResponse({
          hub: seats.hub,
          screeningId: id,
          open: () => ctx.runtime.runSync(Screenings.use((s) => s.openSeatStream(id, lastEventId))),
          signal: request.signal,
          maxQueuedBytes: seats.maxQueuedBytes,
          onDrop: (screening, queued) =>
            log("screenings", "warn", "dropped a seat map stream that fell behind; it will resume with Last-Event-ID", {
              screeningId: screening,
              queuedBytes: queued
            })
        })
      },
      {
        params: schema(ScreeningsApi.ScreeningParams),
        query: schema(ScreeningsApi.SeatStreamQuery),
        ...operation({
          summary: "The seat map, live (Server-Sent Events)",
          description:
            "Opens with `retry: 2000`. Then `event: snapshot`, `id: <version>`, `data:` the seat map of " +
            "`GET /screenings/{id}/seats` plus its `version` (`SeatMapSnapshot`); then, for each change in version order, " +
            "`event: seats`, `id: <version>`, `data: {version, changes: [{seatNumber, status}]}` (`SeatChanges`). " +
            "With `Last-Event-ID` (or `?lastEventId=`) set to a version this stream sent, it resumes with exactly the " +
            "changes after it, without a snapshot, while they are still kept (the last 1 000 versions, at most an hour); " +
            "otherwise (too old, ahead, or not a version) it starts with a fresh snapshot. A comment line (`: ping`) " +
            `is sent every ${Math.round(seats.heartbeatMs / 1000)} s. A client that falls far behind is disconnected and ` +
            "resumes by reconnecting.",
          tags,
          auth: "none",
          ok: {
            status: 200,
            contentType: "text/event-stream",
            description: "A stream of `snapshot` and `seats` events (see the operation's description)."
          },
          problems: { 404: ["screening_not_found"] },
          requestHeaders: [
            {
              name: "Last-Event-ID",
              description:
                "Resume after this version (what a reconnecting EventSource sends). Wins over `?lastEventId=`; " +
                "a value that is not a version this stream sent gets a snapshot."
            }
          ]
        })
      }
    )

  // Staff only (the auth macro checks the token before the body is validated).
  const staffRoutes = new Elysia({ prefix: "/screenings" })
    .use(authorize(auth))
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
