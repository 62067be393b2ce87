// Sends the committed delivery rows at least once: woken after each commit, and polling as a fallback.
import { countNotificationDelivery } from "@bat/http"
import type { Effect } from "effect"
import { emailHtml, emailText, type EmailFacts } from "../domain/emailBody.ts"
import { isPermanentMailFailure, type Mailer } from "../mail/Mailer.ts"
import { ticketImages } from "../mail/ticketImages.ts"
import { Notifications, type DeliveryAttempt, type DeliveryResult, type RetryPolicy } from "./Notifications.ts"

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

  /**
   * One batch of due deliveries: each e-mail is written or sent, then the whole batch is settled in one
   * transaction (a crash in between sends the same e-mails again, as at-least-once allows). True when
   * the batch was full (more may be due).
   */
  private async pass(): Promise<boolean> {
    const { runSync, mailer } = this.opts
    const limit = this.opts.batchSize ?? 100
    const due = runSync(Notifications.use((n) => n.dueDeliveries(limit)))
    const attempts: Array<DeliveryAttempt> = []
    for (const d of due) {
      if (this.stopped) break
      if (d.email === null) {
        attempts.push({ notificationId: d.notificationId, userId: d.userId, outcome: "skipped", note: "contact erased" })
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
        attempts.push({
          notificationId: d.notificationId,
          userId: d.userId,
          outcome: "failed",
          failure: {
            attempts: d.attempts + 1,
            error: String(e),
            permanent: isPermanentMailFailure(e),
            createdAt: d.createdAt
          }
        })
        continue
      }
      this.sent++
      attempts.push({ notificationId: d.notificationId, userId: d.userId, outcome: "sent", note: null })
    }
    if (attempts.length === 0) return false
    // Settled even when stopping (the service waits for the pass): fewer e-mails are sent twice.
    const settled = runSync(Notifications.use((n) => n.settlePass(attempts, this.opts.retry)))
    attempts.forEach((a, i) => {
      const status = settled.statuses[i]
      if (a.outcome !== "failed") {
        countNotificationDelivery(a.outcome)
        return
      }
      // The address is not logged: only which notification and why.
      const fields = { notificationId: a.notificationId, attempt: a.failure.attempts, error: a.failure.error }
      countNotificationDelivery(status === "pending" ? "retry" : a.failure.permanent ? "failed_permanent" : "given_up")
      if (status === "pending") this.opts.log("warn", "e-mail delivery failed; will retry", fields)
      else {
        this.abandoned++
        this.opts.log("error", a.failure.permanent ? "e-mail refused permanently; not retried" : "e-mail delivery given up", fields)
      }
    })
    for (const userId of settled.erasedContactsOf) this.erased({ status: "sent", erasedContactOf: userId })
    return due.length === limit && !this.stopped
  }

  private erased(result: DeliveryResult): void {
    if (result.erasedContactOf !== undefined) {
      this.opts.log("info", "contact data erased: the user was told everything their unregistering caused", {
        userId: result.erasedContactOf
      })
    }
  }
}
