// The /tickets routes: authenticate, decode, call a use case, encode.
import { BookingApi, Uuid } from "@bat/contracts"
import { idempotencyKeyHeader, idempotencyKeyOf, makeCursor, operation, schema, type ServiceContext } from "@bat/http"
import { Elysia } from "elysia"
import { Bookings } from "../app/Bookings.ts"


/** Continues after the last booking id of a page. */
const cursor = makeCursor("bookings", Uuid)

const tags = ["tickets"]
/** Every route verifies the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const

export const bookingRoutes = (ctx: ServiceContext<Bookings>) =>
  new Elysia({ prefix: "/tickets" })
    .post(
      "/book",
      async ({ headers, body, set }) => {
        // Customers book for themselves; staff may book too (e.g. at the box office), as themselves.
        const principal = await ctx.auth.authenticate(headers)
        const key = idempotencyKeyOf(headers)
        const outcome = await ctx.run(
          Bookings.use((b) => b.request({ userId: principal.userId, request: body, idempotencyKey: key }))
        )
        set.status = outcome.status
        return outcome.body
      },
      {
        body: schema(BookingApi.BookRequest),
        response: { 202: schema(BookingApi.BookAccepted) },
        ...operation({
          summary: "Request seats for a screening; the decision follows asynchronously",
          description:
            "Answers 202 with the pending booking; poll `GET /tickets/bookings/{bookingId}` or follow the notifications " +
            "for the outcome (reserved, or failed with a reason). All seats or none; at most 10 live seats per user and " +
            "screening. An `Idempotency-Key` (per user, kept 24 h) returns the first answer for a repeat, or 422 " +
            "`idempotency_key_reused` for a different body.",
          tags,
          auth: "user",
          ok: { status: 202, schema: BookingApi.BookAccepted, description: "The booking exists, `pending`." },
          problems: { 422: ["idempotency_key_reused"], ...authUnavailable },
          requestHeaders: [idempotencyKeyHeader]
        })
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
        response: { 200: schema(BookingApi.BookingView) },
        ...operation({
          summary: "A booking, for its owner or staff (404 for anyone else)",
          tags,
          auth: "owner",
          ok: { status: 200, schema: BookingApi.BookingView },
          problems: { 404: ["booking_not_found"], ...authUnavailable }
        })
      }
    )
    .get(
      "",
      async ({ headers, query }) => {
        const principal = await ctx.auth.authenticate(headers)
        const { limit, after } = cursor.request(query)
        const page = await ctx.run(Bookings.use((b) => b.listOfUser(principal.userId, after, limit)))
        return cursor.page({ items: page.items, next: page.nextLastId })
      },
      {
        query: schema(BookingApi.BookingListQuery),
        response: { 200: schema(BookingApi.BookingPage) },
        ...operation({
          summary: "The caller's bookings, newest first",
          tags,
          auth: "user",
          ok: { status: 200, schema: BookingApi.BookingPage },
          problems: { 422: ["invalid_cursor"], ...authUnavailable }
        })
      }
    )
