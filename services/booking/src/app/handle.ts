// The one way a booking changes: load its state, decide, apply the events with their guarded UPDATEs, append them
// to the outbox and count them once committed. Runs inside the unit of work its entry point opened (the book
// route's group commit, the consumer's message, a route's `store.unit`); it never opens a transaction itself.
import { countBookingDecision, countLimited } from "@bat/http"
import { eventMessage } from "@bat/messaging"
import { Store } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { decide, isRefusal, type BookingCommand, type BookingEvent, type BookingRefusal, type Viewer } from "../domain/lifecycle.ts"
import { BookingRepo, type BookingRow } from "../store/BookingRepo.ts"
import { applyEvent, loadState, type ApplyContext } from "../store/lifecycleStore.ts"
import { BookingSettings, Ids } from "./BookingSettings.ts"
import { TicketCodes } from "./TicketCodes.ts"

const PRODUCER = "booking"

/** A command as its caller knows it; `handle` adds the clock, the settings, new ids and the ticket signer. */
export type Intent =
  | {
      readonly kind: "Request"
      readonly userId: string
      readonly screeningId: string
      readonly seatNumbers: ReadonlyArray<string>
      /** Staff at the box office are not held to the held-seat quotas. */
      readonly quotaExempt: boolean
    }
  | { readonly kind: "Attempt"; readonly attempt: number; readonly maxAttempts: number }
  | { readonly kind: "PaymentSucceeded" }
  | { readonly kind: "PaymentFailed"; readonly reason: "declined" | "insufficient_funds" | "expired" }
  | { readonly kind: "Cancel"; readonly viewer: Viewer }
  | { readonly kind: "CancelScreening" }
  | { readonly kind: "UnregisterUser" }
  | { readonly kind: "Admit"; readonly claims: Extract<BookingCommand, { kind: "Admit" }>["claims"]; readonly door: string }

export interface HandleOptions {
  /** The message that caused the command; null for a request from the API. */
  readonly causationId?: string | null | undefined
  /** The client's address key a booking request keeps (held-seat quota per address). */
  readonly clientKey?: string | undefined
  /** The booking row, when the caller has just read it (a cascade over many bookings). */
  readonly row?: BookingRow | undefined
}

/** The domain counters an applied event moves, registered to run after the commit (never for a rollback). */
const countersOf = (command: BookingCommand, e: BookingEvent): (() => void) | undefined => {
  if (command.kind !== "Attempt") return undefined
  if (e.type === "TicketReserved") return () => countBookingDecision("reserved")
  if (e.type === "TicketReservingFailed") {
    const reason = e.data.reason
    return () => countBookingDecision("rejected", reason)
  }
  return undefined
}

const make = Effect.gen(function* () {
  const store = yield* Store
  const repo = yield* BookingRepo
  const settings = yield* BookingSettings
  const ids = yield* Ids
  const codes = yield* TicketCodes

  const commandOf = (bookingId: string, intent: Intent, now: number, b: BookingRow | undefined): BookingCommand => {
    switch (intent.kind) {
      case "Request": {
        const { userId, screeningId, seatNumbers } = intent
        const quotas = intent.quotaExempt
          ? {}
          : { account: settings.maxHeldSeatsPerAccount, address: settings.maxHeldSeatsPerAddress }
        return { kind: "Request", bookingId, userId, screeningId, seatNumbers, quotas, now }
      }
      case "Attempt": {
        return {
          kind: "Attempt",
          ticketIds: b?.status === "pending" ? Array.from({ length: b.seat_count }, () => ids.next()) : [],
          maxSeatsPerUser: settings.maxSeatsPerUser,
          holdTtlMs: settings.holdTtlMs,
          giveUpOnUnknownScreening: intent.attempt >= Math.min(settings.unknownScreeningAttempts, intent.maxAttempts),
          attempt: intent.attempt,
          now
        }
      }
      case "PaymentSucceeded":
        return { kind: "PaymentSucceeded", sign: codes.sign }
      case "Cancel":
        return { kind: "Cancel", bookingId, viewer: intent.viewer, cutoffMs: settings.cancelCutoffMinutes * 60_000, now }
      case "Admit":
        return { ...intent, opensBeforeMs: settings.checkinOpensMinutes * 60_000, now }
      default:
        return intent
    }
  }

  /** The events `command` caused on booking `bookingId`, applied and in the outbox; or the refusal. */
  const handle = (
    bookingId: string,
    intent: Intent,
    opts: HandleOptions = {}
  ): Effect.Effect<ReadonlyArray<BookingEvent>, BookingRefusal> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const ctx: ApplyContext = { now, clientKey: opts.clientKey }
      const row = opts.row ?? repo.findBooking(bookingId)
      const command = commandOf(bookingId, intent, now, row)
      const decision = decide(command, loadState(repo, command, row, opts.clientKey))
      if (isRefusal(decision)) {
        // A refused request wrote nothing: the limit that refused it is counted now.
        if (decision._tag === "HeldSeatsQuota") countLimited(`held_seats_${decision.scope}`)
        return Effect.fail(decision)
      }
      const applied = decision.filter((e) => applyEvent(repo, e, ctx))
      if (applied.length > 0) {
        store.appendOutbox(
          applied.map((e) =>
            eventMessage(PRODUCER, e.type, e.data, { correlationId: bookingId, causationId: opts.causationId ?? null })
          )
        )
        for (const e of applied) {
          const count = countersOf(command, e)
          if (count !== undefined) store.afterCommit(count)
        }
      }
      return Effect.succeed(applied)
    })

  return { handle }
})

export class Lifecycle extends Context.Service<Lifecycle, Effect.Success<typeof make>>()("booking/app/Lifecycle") {
  static readonly layer = Layer.effect(Lifecycle, make)
}
