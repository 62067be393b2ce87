// The sales reports (DESIGN §10): one screening's, and a day's, from booking's own data.
import type { BookingApi } from "@bat/contracts"
import { Context, Effect, Layer } from "effect"
import { ScreeningNotFound } from "../domain/Booking.ts"
import { dayWindow, localDateOf, totalsOf } from "../domain/Reports.ts"
import { BookingRepo, type ScreeningRow } from "../store/BookingRepo.ts"
import { screeningViewOf } from "./views.ts"

const make = Effect.gen(function* () {
  const repo = yield* BookingRepo

  /** One screening's report: seats, bookings by state, money as payments announced it. */
  const reportOf = (sc: ScreeningRow): BookingApi.ScreeningReport => {
    const f = repo.figuresOf(sc.screening_id)
    const { reserved, booked, admitted } = f.seats
    const { gross, refunded } = f.revenue
    // The payments' currency, else the screening's price currency; null when neither is known.
    const currency = f.revenue.currency ?? sc.currency
    return {
      screeningId: sc.screening_id,
      screening: screeningViewOf(sc.screening_id, sc),
      capacity: f.capacity,
      seats: { available: f.capacity - reserved - booked, reserved, booked, admitted },
      bookings: f.bookings,
      revenue: { gross, refunded, net: gross - refunded, currency }
    }
  }

  const screeningReport = Effect.fn("Reports.screeningReport")(function* (screeningId: string) {
    const sc = repo.findScreening(screeningId)
    if (sc === undefined) return yield* new ScreeningNotFound({ screeningId })
    return reportOf(sc)
  })

  /** Every screening starting on `date` in its cinema's time zone (UTC when unknown), optionally one cinema's. */
  const dayReport = Effect.fn("Reports.dayReport")(function* (date: string, cinemaId: string | undefined) {
    const { from, to } = dayWindow(date)
    const screenings = repo
      .screeningsStarting(from, to, cinemaId)
      .filter((sc) => sc.starts_at !== null && localDateOf(sc.starts_at, sc.time_zone) === date)
      .map(reportOf)
    return { date, cinemaId: cinemaId ?? null, screenings, totals: totalsOf(screenings) } satisfies BookingApi.DayReport
  })

  return { screeningReport, dayReport }
})

export class Reports extends Context.Service<Reports, Effect.Success<typeof make>>()("booking/app/Reports") {
  static readonly layer = Layer.effect(Reports, make)
}
