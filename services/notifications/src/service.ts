// The notifications service: its configuration, layers, subscriptions, routes and background work.
import { intSetting, log, type BootOptions, type ServiceConfig } from "@bat/http"
import type { StoreShape } from "@bat/store"
import { Layer } from "effect"
import { join } from "node:path"
import { DeliveryRelay } from "./app/DeliveryRelay.ts"
import { FeedRegistry, NotificationFeed } from "./app/NotificationFeed.ts"
import { Notifications } from "./app/Notifications.ts"
import type { AppServices } from "./app/AppServices.ts"
import { handlers } from "./events/handlers.ts"
import { problems } from "./http/problems.ts"
import { notificationRoutes } from "./http/routes.ts"
import { emlFileMailer, smtpMailer } from "./mail/Mailer.ts"
import { migrations } from "./store/migrations.ts"
import { NotificationRepo } from "./store/NotificationRepo.ts"

export const SERVICE = "notifications"
export const DEFAULT_PORT = 3007

export interface NotificationsSettings {
  /** How often the safety sweep applies the erasure rule to every contact still waiting; 0 turns it off. */
  readonly eraseSweepMs: number
  /** A delivery still failing this long after its notification was made fails for good. */
  readonly deliveryGiveUpMs: number
  /** The first retry of a temporarily failing e-mail; each further one doubles, up to `deliveryRetryMaxMs`. */
  readonly deliveryRetryMinMs: number
  readonly deliveryRetryMaxMs: number
  readonly heartbeatMs: number
  readonly deliveryPollMs: number
  readonly smtpUrl: string | undefined
  readonly mailFrom: string
}

export const settingsOf = (config: ServiceConfig): NotificationsSettings => {
  const eraseSweepMs = intSetting(config.env, "CONTACT_ERASE_SWEEP_MS", 60_000)
  return {
    eraseSweepMs: eraseSweepMs === 0 ? 0 : Math.max(100, eraseSweepMs),
    // DESIGN §9: temporary failures are retried for up to 24 h, 1 min doubling to 1 h apart.
    deliveryGiveUpMs: intSetting(config.env, "DELIVERY_GIVE_UP_MS", 86_400_000),
    deliveryRetryMinMs: Math.max(10, intSetting(config.env, "DELIVERY_RETRY_MIN_MS", 60_000)),
    deliveryRetryMaxMs: Math.max(10, intSetting(config.env, "DELIVERY_RETRY_MAX_MS", 3_600_000)),
    heartbeatMs: Math.max(100, intSetting(config.env, "SSE_HEARTBEAT_MS", 15_000)),
    deliveryPollMs: Math.max(50, intSetting(config.env, "DELIVERY_POLL_MS", 1_000)),
    smtpUrl: config.env.SMTP_URL || undefined,
    mailFrom: config.env.MAIL_FROM || "Book a Ticket <no-reply@bookaticket.local>"
  }
}

/** Everything `bootService` needs; each call makes a fresh subscription registry. */
export const notificationsService = (env?: Readonly<Record<string, string | undefined>>): BootOptions<AppServices> => {
  let feed: FeedRegistry | undefined
  // Set once the runtime is up: the delivery counts /ready reports (failed ones are refused or given up).
  let deliveryCounts: (() => Record<string, number>) | undefined
  const feedOf = (store: StoreShape) => (feed ??= new FeedRegistry(store.afterCommit))
  return {
    service: SERVICE,
    defaultPort: DEFAULT_PORT,
    prefix: "/notifications",
    migrations,
    problems,
    ...(env ? { env } : {}),
    layer: (store) =>
      Notifications.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(NotificationRepo.layer, Layer.succeed(NotificationFeed, feedOf(store)))
        )
      ),
    handlers: () => handlers,
    routes: (ctx) =>
      notificationRoutes(ctx, { feed: feedOf(ctx.store), heartbeatMs: settingsOf(ctx.config).heartbeatMs }),
    ready: () => ({ streams: feed?.subscribers ?? 0, ...(deliveryCounts ? { deliveries: deliveryCounts() } : {}) }),
    background: (ctx) => {
      const settings = settingsOf(ctx.config)
      const logLine = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) =>
        log(SERVICE, level, msg, fields)
      const mailer = settings.smtpUrl
        ? smtpMailer(settings.smtpUrl, settings.mailFrom)
        : emlFileMailer(join(ctx.config.dataDir, "mail"), settings.mailFrom)
      const relay = new DeliveryRelay({
        mailer,
        runSync: (effect) => ctx.runtime.runSync(effect),
        pollMs: settings.deliveryPollMs,
        retry: {
          retryMinMs: settings.deliveryRetryMinMs,
          retryMaxMs: Math.max(settings.deliveryRetryMinMs, settings.deliveryRetryMaxMs),
          giveUpAfterMs: settings.deliveryGiveUpMs
        },
        log: logLine
      })
      deliveryCounts = () => ctx.runtime.runSync(Notifications.use((n) => n.deliveryCounts()))
      const stopWake = feedOf(ctx.store).onAnyCommit(() => relay.wake())
      relay.start()
      if (ctx.config.env.CONTACT_ERASE_AFTER_MS) {
        logLine("warn", "CONTACT_ERASE_AFTER_MS is no longer used: a contact is erased once the user has been told what their unregistering caused")
      }
      // Erasure is checked whenever a delivery settles and when UserBookingsClosed arrives; the
      // sweep applies the same rule as a safety net, never a timer of its own.
      const sweep = () => {
        try {
          const erased = ctx.runtime.runSync(Notifications.use((n) => n.eraseToldContacts()))
          if (erased.length > 0) logLine("info", `erased the contact data of ${erased.length} unregistered user(s)`)
        } catch (e) {
          logLine("error", "contact erasure sweep failed", { error: String(e) })
        }
      }
      const sweeper = settings.eraseSweepMs > 0 ? setInterval(sweep, settings.eraseSweepMs) : undefined
      logLine("info", `e-mail via ${mailer.kind === "smtp" ? "SMTP" : `.eml files in ${join(ctx.config.dataDir, "mail")}`}`)
      return () => {
        deliveryCounts = undefined
        if (sweeper) clearInterval(sweeper)
        stopWake()
        void relay.stop()
      }
    }
  }
}
