// What booking keeps of other services' events: the screening projection, and payments and refunds for the
// reports. No decision here: these run inside the consumer's unit of work for the message.
import type { EventData } from "@bat/contracts"
import { Clock, Context, Effect, Layer } from "effect"
import { BookingRepo, type ScreeningNames } from "../store/BookingRepo.ts"

/**
 * The names a ScreeningScheduled/ScreeningUpdated carries (DESIGN §9); an event published before the
 * names were, or without one of them, leaves that name null.
 */
const namesOf = (data: EventData<"ScreeningScheduled"> | EventData<"ScreeningUpdated">): ScreeningNames => ({
  movieTitle: data.movieTitle ?? null,
  cinemaName: data.cinemaName ?? null,
  hallName: data.hallName ?? null,
  timeZone: data.timeZone ?? null
})

const make = Effect.gen(function* () {
  const repo = yield* BookingRepo

  const projectScheduled = Effect.fn("Projections.projectScheduled")(function* (data: EventData<"ScreeningScheduled">) {
    const now = yield* Clock.currentTimeMillis
    repo.projectScheduled(
      {
        screeningId: data.screeningId,
        cinemaId: data.cinemaId,
        revision: data.revision,
        startsAt: Date.parse(data.startsAt),
        endsAt: Date.parse(data.endsAt),
        priceAmount: data.price.amount,
        currency: data.price.currency,
        seatNumbers: data.seatNumbers,
        names: namesOf(data)
      },
      now
    )
  })

  const projectUpdated = Effect.fn("Projections.projectUpdated")(function* (data: EventData<"ScreeningUpdated">) {
    const now = yield* Clock.currentTimeMillis
    repo.projectUpdated(
      {
        screeningId: data.screeningId,
        revision: data.revision,
        startsAt: Date.parse(data.startsAt),
        endsAt: Date.parse(data.endsAt),
        priceAmount: data.price.amount,
        currency: data.price.currency,
        names: namesOf(data)
      },
      now
    )
  })

  /** A cancelled screening's tombstone: later attempts for it fail `screening_cancelled`. */
  const tombstone = Effect.fn("Projections.tombstone")(function* (screeningId: string) {
    repo.tombstone(screeningId, yield* Clock.currentTimeMillis)
  })

  /**
   * A payment payments took, recorded whatever the booking's state: a payment for a booking no longer reserved
   * is refunded by payments, and the reports count it until then (and the refund after).
   */
  const recordPayment = Effect.fn("Projections.recordPayment")(function* (data: EventData<"PaymentSuccessful">) {
    repo.recordPayment(data, yield* Clock.currentTimeMillis)
  })

  /** PaymentRefunded: the refund is recorded against its payment (for the reports; nothing else changes). */
  const recordRefund = Effect.fn("Projections.recordRefund")(function* (data: EventData<"PaymentRefunded">) {
    repo.recordRefund(data, yield* Clock.currentTimeMillis)
  })

  return { projectScheduled, projectUpdated, tombstone, recordPayment, recordRefund }
})

export class Projections extends Context.Service<Projections, Effect.Success<typeof make>>()("booking/app/Projections") {
  static readonly layer = Layer.effect(Projections, make)
}
