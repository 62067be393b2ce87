// The /tickets routes: authenticate, decode, call a use case, encode.
import { BookingApi, IsoTimestamp, UsersApi, Uuid } from "@bat/contracts"
import {
  idempotencyKeyHeader,
  idempotencyKeyOf,
  intSetting,
  makeCursor,
  abuseLimitsEnabled,
  operation,
  rateSetting,
  requestClientAddress,
  authorize,
  tokenBucket,
  tooManyRequests,
  trustedProxiesSetting,
  schema,
  type ServiceContext
} from "@bat/http"
import { Effect, Schema } from "effect"
import { Elysia } from "elysia"
import { createHmac, randomBytes } from "node:crypto"
import { Bookings } from "../app/Bookings.ts"
import { makeQrCache, QR_CACHE_SIZE } from "./qrCache.ts"


/** Continues after the last booking id of a page. */
const cursor = makeCursor("bookings", Uuid)

const tags = ["tickets"]
const doorTags = ["door"]
const reportTags = ["reports"]
/** Every route verifies the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const
/** `already_admitted` carries the ticket's first admission time as a member of the problem. */
const admittedMember = {
  409: Schema.Struct({
    admittedAt: Schema.optionalKey(IsoTimestamp).annotate({
      description: "With `already_admitted`: when the ticket was first admitted (UTC)."
    })
  })
}
/** Check-in's 409s: the first admission, or when the door opens / when the screening ended. */
const checkinMembers = {
  409: Schema.Struct({
    admittedAt: Schema.optionalKey(IsoTimestamp).annotate({
      description: "With `already_admitted`: when the ticket was first admitted (UTC)."
    }),
    opensAt: Schema.optionalKey(IsoTimestamp).annotate({
      description: "With `checkin_too_early`: when the door opens for the ticket's screening (UTC)."
    }),
    endedAt: Schema.optionalKey(IsoTimestamp).annotate({
      description: "With `checkin_too_late`: when the ticket's screening ended (UTC)."
    })
  })
}

/**
 * The book route's limits (DESIGN §17): requests per account (BOOK_RATE_PER_ACCOUNT), and the client address the
 * held-seat quota per address is keyed by, as a keyed hash (its key lives only in this process: a restart forgets
 * which address held what, and holds last minutes).
 */
const bookLimits = (env: Readonly<Record<string, string | undefined>>) => {
  const on = abuseLimitsEnabled(env)
  const addressKey = randomBytes(32)
  // Without the quota per address there is nothing to keep the address for.
  const perAddress = on && intSetting(env, "MAX_HELD_SEATS_PER_ADDRESS", 30, 0) > 0
  return {
    rate: tokenBucket("book_account", rateSetting(env, "BOOK_RATE_PER_ACCOUNT", "20/1m"), on),
    trusted: trustedProxiesSetting(env),
    clientKey: (address: string) =>
      perAddress ? createHmac("sha256", addressKey).update(address).digest("base64url").slice(0, 22) : undefined
  }
}

export const bookingRoutes = (ctx: ServiceContext<Bookings>) => {
  const limits = bookLimits(ctx.config.env)
  const qr = makeQrCache(intSetting(ctx.config.env, "QR_CACHE_SIZE", QR_CACHE_SIZE, 0))
  return new Elysia({ prefix: "/tickets" })
    .use(authorize(ctx.auth))
    .post(
      "/book",
      async ({ principal, headers, body, set, request, server }) => {
        // Customers book for themselves; staff may book too (e.g. at the box office), as themselves.
        // Staff book at the box office, for the people in front of them: no rate, no held-seat quota.
        const staff = principal.role === "staff"
        const verdict = staff ? { ok: true as const } : limits.rate.take(principal.userId)
        if (!verdict.ok) throw tooManyRequests(verdict.retryAfterMs, "Too many booking requests from your account; try again shortly.")
        const key = idempotencyKeyOf(headers)
        const clientKey = staff ? undefined : limits.clientKey(requestClientAddress(request, server, limits.trusted))
        const outcome = await ctx.run(
          Bookings.use((b) =>
            b.request({ userId: principal.userId, request: body, idempotencyKey: key, clientKey, quotaExempt: staff })
          )
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
            "`idempotency_key_reused` for a different body. Too many requests from one account are 429 `rate_limited`; " +
            "a request that would take the unpaid seats held by the account (across screenings) or from the client's " +
            "address past their quota is 429 `too_many_held_seats`; both with `Retry-After`. Staff (the box office) " +
            "are not limited.",
          tags,
          auth: "user",
          ok: { status: 202, schema: BookingApi.BookAccepted, description: "The booking exists, `pending`." },
          problems: { 422: ["idempotency_key_reused"], 429: ["rate_limited", "too_many_held_seats"], ...authUnavailable },
          requestHeaders: [idempotencyKeyHeader]
        })
      }
    )
    .get(
      "/bookings/:bookingId",
      async ({ principal, params }) => {
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
      async ({ principal, query }) => {
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
    .get(
      "/.well-known/jwks.json",
      async ({ set }) => {
        set.headers["cache-control"] = "public, max-age=300"
        return ctx.run(Bookings.use((b) => Effect.succeed(b.jwks)))
      },
      {
        response: { 200: schema(UsersApi.Jwks) },
        ...operation({
          summary: "Public keys that verify ticket codes",
          description:
            "A JSON Web Key Set (RFC 7517) of Ed25519 keys. A ticket's `code` is a compact JWS (`alg` EdDSA, `typ` " +
            "`bat-ticket+jwt`, `kid` naming one of these keys) over `{ticketId, bookingId, screeningId, seatNumber, " +
            "startsAt}`, so a door can verify it without the booking service. Cacheable for 5 minutes.",
          tags: doorTags,
          auth: "none",
          ok: { status: 200, schema: UsersApi.Jwks }
        })
      }
    )
    .get(
      "/bookings/:bookingId/tickets/:ticketId/qr.svg",
      async ({ principal, headers, params, set }) => {
        const code = await ctx.run(Bookings.use((b) => b.ticketCode(params.bookingId, params.ticketId, principal)))
        const svg = await qr.svg(code)
        set.headers["content-type"] = "image/svg+xml"
        // It carries the ticket's code: never kept by a cache, the browser's included (DESIGN §17).
        set.headers["cache-control"] = "no-store"
        return svg
      },
      {
        params: schema(BookingApi.TicketParams),
        ...operation({
          summary: "A booked ticket's code as a QR code (SVG), for its owner or staff",
          description:
            "The QR code holds the ticket's `code` (error correction M). 404 for anyone but the owner and staff; " +
            "409 `ticket_not_valid` while the ticket has no valid code (its booking is not booked).",
          tags,
          auth: "owner",
          ok: { status: 200, contentType: "image/svg+xml", description: "The QR code of the ticket's code." },
          problems: { 404: ["booking_not_found", "ticket_not_found"], 409: ["ticket_not_valid"], ...authUnavailable }
        })
      }
    )
    .post(
      "/checkin",
      async ({ principal: scanner, headers, body }) => {
        const key = idempotencyKeyOf(headers)
        return ctx.run(
          Bookings.use((b) => b.checkin({ scannerId: scanner.userId, request: body, idempotencyKey: key }))
        )
      },
      {
        body: schema(BookingApi.CheckinRequest),
        response: { 200: schema(BookingApi.Admission) },
        ...operation({
          summary: "Admit the ticket a scanned code names (staff, at the door)",
          description:
            "Verifies the code's signature, then admits the ticket once: a second scan, from any door, is 409 " +
            "`already_admitted` carrying the first `admittedAt`. `ticket_not_valid`: the booking is not booked " +
            "(cancelled, failed); `wrong_screening`: the ticket is for another screening than the door's `screeningId` " +
            "(required); `checkin_too_early`: the door opens `CHECKIN_OPENS_MINUTES` (60) before the start, at the " +
            "problem's `opensAt`; `checkin_too_late`: the screening ended (`endedAt`); " +
            "`invalid_ticket_code`: not a code this service signed, or not a ticket's. An `Idempotency-Key` (per " +
            "scanner, kept 24 h) returns that scanner's first admission again; the same key with another body is 422 " +
            "`idempotency_key_reused`.",
          tags: doorTags,
          auth: "staff",
          ok: { status: 200, schema: BookingApi.Admission, description: "Admitted now." },
          problems: {
            409: ["already_admitted", "ticket_not_valid", "wrong_screening", "checkin_too_early", "checkin_too_late"],
            422: ["invalid_ticket_code", "idempotency_key_reused"],
            ...authUnavailable
          },
          problemMembers: checkinMembers,
          requestHeaders: [idempotencyKeyHeader]
        })
      }
    )
    .post(
      "/bookings/:bookingId/cancel",
      async ({ principal, params }) => {
        return ctx.run(Bookings.use((b) => b.cancelByCustomer(params.bookingId, principal)))
      },
      {
        params: schema(BookingApi.BookingParams),
        response: { 200: schema(BookingApi.BookingView) },
        ...operation({
          summary: "Cancel a booking (its owner or staff)",
          description:
            "A reserved booking is cancelled at once (its seats are freed, its hold closed); a booked one until " +
            "`cancellableUntil` (`CANCEL_CUTOFF_MINUTES` before the start), then 409 `cancellation_closed`; a booking " +
            "with an admitted ticket is 409 `already_admitted`; a pending one 409 `booking_pending` (ask again once " +
            "it is decided); a failed or cancelled one 409 `booking_not_cancellable`. Payments refunds what was paid.",
          tags,
          auth: "owner",
          ok: { status: 200, schema: BookingApi.BookingView, description: "The booking, now cancelled." },
          problems: {
            404: ["booking_not_found"],
            409: ["cancellation_closed", "already_admitted", "booking_pending", "booking_not_cancellable"],
            ...authUnavailable
          },
          problemMembers: admittedMember
        })
      }
    )
    .get(
      "/reports/screenings/:screeningId",
      async ({ params }) => {
        return ctx.run(Bookings.use((b) => b.screeningReport(params.screeningId)))
      },
      {
        params: schema(BookingApi.ScreeningReportParams),
        response: { 200: schema(BookingApi.ScreeningReport) },
        ...operation({
          summary: "Sales report of one screening (staff)",
          description:
            "From booking's own records: `capacity` is the hall's seats, `seats.available = capacity - reserved - " +
            "booked`, `admitted` counts booked tickets admitted at the door; `bookings` by state; `revenue` in minor " +
            "units as payments announced it (`gross` every successful payment, `refunded` every refund, `net = gross - " +
            "refunded`), in the payments' currency or else the screening's price currency. Agrees with the bookings " +
            "and payments to the cent once the queues are drained.",
          tags: reportTags,
          auth: "staff",
          ok: { status: 200, schema: BookingApi.ScreeningReport },
          problems: { 404: ["screening_not_found"], ...authUnavailable }
        })
      }
    )
    .get(
      "/reports/days/:date",
      async ({ params, query }) => {
        return ctx.run(Bookings.use((b) => b.dayReport(params.date, query.cinemaId)))
      },
      {
        params: schema(BookingApi.DayReportParams),
        query: schema(BookingApi.DayReportQuery),
        response: { 200: schema(BookingApi.DayReport) },
        ...operation({
          summary: "Sales report of one day (staff): every screening starting that local day, and totals",
          description:
            "`date` is a calendar day in each cinema's own time zone (UTC where booking does not know the zone); " +
            "`cinemaId` keeps one cinema's screenings. Screenings earliest first, each as in the screening report; " +
            "`totals.revenue` has one row per currency. A day with no screenings is an empty report.",
          tags: reportTags,
          auth: "staff",
          ok: { status: 200, schema: BookingApi.DayReport },
          problems: { ...authUnavailable }
        })
      }
    )
}
