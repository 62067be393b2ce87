// The /tickets routes: authenticate, decode, call a use case, encode.
import { BookingApi, Uuid } from "@bat/contracts"
import { HttpProblem, makeCursor, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { Schema } from "effect"
import { Bookings } from "../app/Bookings.ts"

const isIdempotencyKey = Schema.is(BookingApi.IdempotencyKey)

const invalidHeader = (path: string, message: string) =>
  new HttpProblem({ status: 422, code: "invalid_input", detail: "The request headers are invalid.", errors: [{ path, message }] })

/** Continues after the last booking id of a page. */
const cursor = makeCursor("bookings", Uuid)

const bearer = { security: [{ bearer: [] }] }

export const bookingRoutes = (ctx: ServiceContext<Bookings>) =>
  new Elysia({ prefix: "/tickets" })
    .post(
      "/book",
      async ({ headers, body, set }) => {
        // Customers book for themselves; staff may book too (e.g. at the box office), as themselves.
        const principal = await ctx.auth.authenticate(headers)
        const key = headers["idempotency-key"]
        if (key !== undefined && !isIdempotencyKey(key)) {
          throw invalidHeader("idempotency-key", "Expected 1 to 255 printable ASCII characters")
        }
        const outcome = await ctx.run(
          Bookings.use((b) => b.request({ userId: principal.userId, request: body, idempotencyKey: key }))
        )
        set.status = outcome.status
        return outcome.body
      },
      {
        body: schema(BookingApi.BookRequest),
        detail: {
          summary: "Request seats for a screening; the decision follows asynchronously",
          description:
            "Answers 202 with the pending booking. An optional `Idempotency-Key` header (per user, kept 24 h) " +
            "returns the first answer for a repeat, or 422 `idempotency_key_reused` for a different body.",
          ...bearer
        }
      }
    )
    .get(
      "/bookings/:bookingId",
      async ({ headers, params }) => {
        const principal = await ctx.auth.authenticate(headers)
        return ctx.run(Bookings.use((b) => b.view(params.bookingId, principal)))
      },
      {
        params: schema(BookingApi.BookingParams),
        detail: { summary: "A booking, for its owner or staff (404 for anyone else)", ...bearer }
      }
    )
    .get(
      "/",
      async ({ headers, query }) => {
        const principal = await ctx.auth.authenticate(headers)
        const { limit, after } = cursor.request(query)
        const page = await ctx.run(Bookings.use((b) => b.listOfUser(principal.userId, after, limit)))
        return cursor.page({ items: page.items, next: page.nextLastId })
      },
      {
        query: schema(BookingApi.BookingListQuery),
        detail: { summary: "The caller's bookings, newest first", ...bearer }
      }
    )
