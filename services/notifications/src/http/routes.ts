// Routes of /notifications: the caller's list, and the live stream (Server-Sent Events) with resume.
import { NotificationsApi } from "@bat/contracts"
import {
  abuseLimitsEnabled,
  authorize,
  concurrencyLimiter,
  HttpProblem,
  intSetting,
  lastEventIdOf as parseLastEventId,
  makeCursor,
  operation,
  revokedUsersOf,
  schema,
  sseComment,
  SseClient,
  tooManyRequests,
  wireJsonSchema,
  type ServiceContext
} from "@bat/http"
import { Elysia, sse } from "elysia"
import { Schema } from "effect"
import type { AppServices } from "../app/AppServices.ts"
import { Notifications } from "../app/Notifications.ts"
import { LastEventIdInvalid } from "../domain/errors.ts"
import type { FeedRegistry } from "../app/NotificationFeed.ts"


export interface RouteOptions {
  readonly feed: FeedRegistry
  /** A comment line keeps idle connections (and proxies) open; 15 s by default. */
  readonly heartbeatMs: number
}

/** An SSE comment line (ignored by EventSource): the stream's keep-alive. */
const comment = (text: string, retryMs?: number) => ({
  sse: true as const,
  toSSE: () => sseComment(text, retryMs)
})

const REPLAY_BATCH = 100

const tags = ["notifications"]
/** Every route verifies the token against the users service's keys, which may be out of reach. */
const authUnavailable = { 503: ["auth_unavailable"] } as const

/** Continues below the sequence of the last (oldest) notification of a page. */
const cursor = makeCursor("notifications", Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })))

/** Where the stream resumes: after the sequence of `Last-Event-ID` (or `?lastEventId=`), from the start without one. */
const lastEventIdOf = (header: string | undefined, query: string | number | undefined): number => {
  const last = parseLastEventId(header, query)
  if (last.kind === "malformed") {
    throw new LastEventIdInvalid({ message: "Last-Event-ID must be the id of an event this stream sent (a non-negative integer)." })
  }
  return last.kind === "id" ? last.id : 0
}

/** Open streams per account (MAX_STREAMS_PER_ACCOUNT, DESIGN §17; 0 or ABUSE_LIMITS=off: no cap). */
export const streamCap = (env: Readonly<Record<string, string | undefined>>) => {
  const max = intSetting(env, "MAX_STREAMS_PER_ACCOUNT", 10, 0)
  return concurrencyLimiter("notification_streams_account", max === 0 ? undefined : max, abuseLimitsEnabled(env))
}

export const notificationRoutes = (ctx: ServiceContext<AppServices>, opts: RouteOptions) => {
  const streams = streamCap(ctx.config.env)
  return new Elysia({ prefix: "/notifications" })
    .use(authorize(ctx.auth))
    .get(
      "",
      async ({ principal: me, query }) => {
        const page = cursor.request(query)
        return cursor.page(await ctx.run(Notifications.use((n) => n.list(me.userId, page))))
      },
      {
        query: schema(NotificationsApi.ListNotificationsQuery),
        response: { 200: schema(NotificationsApi.NotificationPage) },
        ...operation({
          summary: "The caller's notifications, newest first",
          tags,
          auth: "user",
          ok: { status: 200, schema: NotificationsApi.NotificationPage },
          problems: { 422: ["invalid_cursor"], ...authUnavailable }
        })
      }
    )
    .get(
      "/stream",
      async function* ({ principal: me, headers, query, request, set }) {
        let last = lastEventIdOf(headers["last-event-id"], query.lastEventId)
        const release = streams.acquire(me.userId)
        if (release === undefined) {
          throw tooManyRequests(5_000, "Your account has as many notification streams open as it may; close one first.", "too_many_streams")
        }

        const client = new SseClient("notifications", request.signal)
        client.onClose(release)
        // Subscribe before the first read, so nothing committed in between is missed.
        client.onClose(opts.feed.subscribe(me.userId, client.wake))
        // The account unregistered: the stream ends (DESIGN §17), and reconnecting is 401.
        client.onClose(revokedUsersOf(ctx.store).onRevoked(me.userId, client.close))
        set.headers["x-accel-buffering"] = "no"
        // An event stream's own: the service's `no-store` default is for answers that could be kept.
        set.headers["cache-control"] = "no-cache"
        try {
          yield comment("connected", 3_000)
          while (!client.closed) {
            const rows = await ctx.run(Notifications.use((n) => n.since(me.userId, last, REPLAY_BATCH)))
            for (const item of rows) {
              yield sse({ id: item.sequence, event: "notification", data: item })
              last = item.sequence
            }
            if (rows.length === REPLAY_BATCH) continue
            const woken = await client.wait(opts.heartbeatMs)
            if (!woken && !client.closed) yield comment("heartbeat")
          }
        } finally {
          client.close()
        }
      },
      {
        // Tokens travel only in `Authorization`: a URL ends up in proxy and access logs, so a token in the query
        // is refused (never used, never logged), even beside a good header, before anyone is authenticated.
        transform({ request }) {
          if (new URL(request.url).searchParams.has("access_token")) {
            throw new HttpProblem({
              status: 400,
              code: "token_in_query",
              detail: "Send the token in the Authorization header, never in the URL."
            })
          }
        },
        query: schema(NotificationsApi.StreamQuery),
        ...operation({
          summary: "The caller's notifications as they happen (Server-Sent Events)",
          description:
            "Each event is `event: notification`, `id: <sequence>`, `data: <notification JSON>`. " +
            "Send `Last-Event-ID` (or `?lastEventId=`) to resume after that sequence: the missed ones are replayed first. " +
            "Authenticate with `Authorization: Bearer` (read the stream with `fetch`, not `EventSource`); a token in the URL " +
            "(`?access_token=`) is refused with 400 `token_in_query`. A comment line is sent every 15 s. " +
            "An account may have a few streams open at once (e.g. 10 tabs); past that 429 `too_many_streams` with `Retry-After`.",
          tags,
          auth: "user",
          ok: {
            status: 200,
            schema: NotificationsApi.Notification,
            contentType: "text/event-stream",
            description: "A stream of `notification` events, each one's `data` a notification as JSON."
          },
          problems: { 400: ["token_in_query"], 422: ["invalid_last_event_id"], 429: ["too_many_streams"], ...authUnavailable },
          requestHeaders: [
            {
              name: "Last-Event-ID",
              description:
                "Resume after this sequence (what a reconnecting EventSource sends). Wins over `?lastEventId=`; " +
                "surrounding whitespace is ignored and an empty value counts as absent.",
              schema: wireJsonSchema(NotificationsApi.LastEventIdHeader)
            }
          ]
        })
      }
    )
}
