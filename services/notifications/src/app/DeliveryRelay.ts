// Sends the committed delivery rows at least once: woken after each commit, and polling as a fallback.
import { countNotificationDelivery } from "@bat/http"
import type { Effect } from "effect"
import { emailHtml, emailText, type EmailFacts } from "../domain/emailBody.ts"
import { isPermanentMailFailure, type Mailer } from "../mail/Mailer.ts"
import { ticketImages } from "../mail/ticketImages.ts"
import { Notifications, type DeliveryResult, type RetryPolicy } from "./Notifications.ts"

export interface DeliveryRelayOptions {
  readonly mailer: Mailer
  /** Runs a use case synchronously through the process's runtime. */
  readonly runSync: <A, E>(effect: Effect.Effect<A, E, Notifications>) => A
  readonly pollMs: number
  /** Backoff of temporary failures, and when a delivery is given up. */
  readonly retry: RetryPolicy
  readonly batchSize?: number
  readonly log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void
}

export class DeliveryRelay {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false
  sent = 0
  failed = 0
  /** Deliveries that ended `failed` (refused for good, or given up). */
  abandoned = 0

  constructor(private readonly opts: DeliveryRelayOptions) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.opts.pollMs)
    this.wake()
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.loop().finally(() => {
      this.running = undefined
    })
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.running
    this.opts.mailer.close()
  }

  private async loop(): Promise<void> {
    do {
      this.again = false
      try {
        const full = await this.pass()
        if (full) this.again = true
      } catch (e) {
        if (!this.stopped) this.opts.log("error", "delivery pass failed", { error: String(e) })
        return
      }
    } while (this.again && !this.stopped)
  }

  /** One batch of due deliveries; true when the batch was full (more may be due). */
  private async pass(): Promise<boolean> {
    const { runSync, mailer } = this.opts
    const limit = this.opts.batchSize ?? 20
    const due = runSync(Notifications.use((n) => n.dueDeliveries(limit)))
    for (const d of due) {
      if (this.stopped) return false
      if (d.email === null) {
        countNotificationDelivery("skipped")
        this.erased(runSync(Notifications.use((n) => n.deliverySettled(d.notificationId, "skipped", "contact erased"))))
        continue
      }
      const facts: EmailFacts = {
        fullName: d.fullName,
        kind: d.kind,
        bookingId: d.bookingId,
        message: d.message,
        screening: d.screening,
        seatNumbers: d.seatNumbers,
        money: d.money,
        ticketCodes: d.ticketCodes
      }
      try {
        const inlineImages = d.kind === "booked" && d.ticketCodes.length > 0 ? await ticketImages(d.ticketCodes) : []
        await mailer.send({
          id: d.notificationId,
          to: { name: d.fullName, address: d.email },
          subject: d.subject,
          text: emailText(facts),
          html: emailHtml(facts),
          inlineImages,
          date: new Date(d.createdAt)
        })
      } catch (e) {
        this.failed++
        if (this.stopped) continue
        const failure = {
          attempts: d.attempts + 1,
          error: String(e),
          permanent: isPermanentMailFailure(e),
          createdAt: d.createdAt
        }
        const result = runSync(Notifications.use((n) => n.deliveryFailed(d.notificationId, failure, this.opts.retry)))
        // The address is not logged: only which notification and why.
        const fields = { notificationId: d.notificationId, attempt: failure.attempts, error: e instanceof Error ? e.message : String(e) }
        countNotificationDelivery(result.status === "pending" ? "retry" : failure.permanent ? "failed_permanent" : "given_up")
        if (result.status === "pending") this.opts.log("warn", "e-mail delivery failed; will retry", fields)
        else {
          this.abandoned++
          this.opts.log("error", failure.permanent ? "e-mail refused permanently; not retried" : "e-mail delivery given up", fields)
        }
        this.erased(result)
        continue
      }
      this.sent++
      countNotificationDelivery("sent")
      if (!this.stopped) this.erased(runSync(Notifications.use((n) => n.deliverySettled(d.notificationId, "sent", null))))
    }
    return due.length === limit
  }

  private erased(result: DeliveryResult): void {
    if (result.erasedContactOf !== undefined) {
      this.opts.log("info", "contact data erased: the user was told everything their unregistering caused", {
        userId: result.erasedContactOf
      })
    }
  }
}
