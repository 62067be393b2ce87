// The booking service as its entry points see it. The HTTP routes' calls open their unit of work here (the book
// request in the store's group commit, every other write in `store.unit`; views and reports read without one);
// the consumer's handlers run inside the unit the consumer opened for their message.
import { Store } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { IDEMPOTENCY_KEY_TTL_MS } from "@bat/contracts"
import type { Viewer } from "../domain/lifecycle.ts"
import { BookingRepo } from "../store/BookingRepo.ts"
import { Commands, type BookInput, type CheckinInput } from "./commands.ts"
import { Lifecycle } from "./handle.ts"
import { Projections } from "./projections.ts"
import { Reports } from "./reports.ts"
import { TicketCodes } from "./TicketCodes.ts"
import { Views } from "./views.ts"

export type { BookInput, BookOutcome, CheckinInput } from "./commands.ts"
export type { Viewer } from "../domain/lifecycle.ts"

const make = Effect.gen(function* () {
  const store = yield* Store
  const repo = yield* BookingRepo
  const codes = yield* TicketCodes
  const commands = yield* Commands
  const views = yield* Views
  const reports = yield* Reports
  const projections = yield* Projections
  const { handle } = yield* Lifecycle

  // A group of book requests still open when the service stops is committed (and answered) before the database closes.
  yield* Effect.addFinalizer(() => Effect.sync(() => store.flushGroup()))

  /**
   * A scan at the door: a repeat of the scanner's key answers at once; else the code's signature is verified
   * (asynchronous, so before the unit), then the admission is decided and written in one unit.
   */
  const checkin = Effect.fn("Bookings.checkin")(function* (input: CheckinInput) {
    const earlier = yield* commands.checkinReplay(input)
    if (earlier !== undefined) return earlier
    const claims = yield* codes.verify(input.request.code)
    return yield* store.unit(commands.admit(input, claims))
  })

  /** Forgets idempotency keys older than 24 h (a sweep: its own unit). */
  const pruneIdempotencyKeys = Effect.fn("Bookings.pruneIdempotencyKeys")(function* () {
    const now = yield* Clock.currentTimeMillis
    return yield* store.unit(Effect.sync(() => repo.pruneIdempotencyKeys(now - IDEMPOTENCY_KEY_TTL_MS)))
  })

  return {
    // Entry points of the HTTP routes.
    /** Book requests share commits (the store's group commit): each in its own savepoint, answered after the commit. */
    request: (input: BookInput) => store.grouped(commands.request(input)),
    checkin,
    cancelByCustomer: (bookingId: string, viewer: Viewer) => store.unit(commands.cancelByCustomer(bookingId, viewer)),
    view: views.view,
    listOfUser: views.listOfUser,
    ticketCode: views.ticketCode,
    screeningReport: reports.screeningReport,
    dayReport: reports.dayReport,
    jwks: codes.jwks,
    pruneIdempotencyKeys,
    // What the consumer's handlers call, inside the message's unit.
    handle,
    confirmPayment: commands.confirmPayment,
    cancelScreening: commands.cancelScreening,
    unregisterUser: commands.unregisterUser,
    projectScheduled: projections.projectScheduled,
    projectUpdated: projections.projectUpdated,
    recordRefund: projections.recordRefund
  }
})

export class Bookings extends Context.Service<Bookings, Effect.Success<typeof make>>()("booking/app/Bookings") {
  static readonly layer = Layer.effect(Bookings, make).pipe(
    Layer.provideMerge(Commands.layer),
    Layer.provideMerge(Layer.mergeAll(Views.layer, Reports.layer, Projections.layer, Lifecycle.layer))
  )
}
