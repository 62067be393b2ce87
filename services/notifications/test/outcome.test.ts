import { describe, expect, test } from "bun:test"
import { formatMoney, formatUtc, isTerminal, noticeOf, reasonSentence } from "../src/domain/outcome.ts"

describe("human messages", () => {
  test("money in minor units is shown with the currency's own decimals", () => {
    expect(formatMoney(2500, "EUR")).toBe("EUR 25.00")
    expect(formatMoney(1500, "JPY")).toBe("JPY 1,500")
    expect(formatMoney(1234, "KWD")).toBe("KWD 1.234")
  })

  test("times are shown in UTC with the date", () => {
    expect(formatUtc("2026-12-01T19:42:00+01:00")).toBe("18:42 UTC on 1 Dec 2026")
  })

  test("every closed-list reason reads as a sentence, and unknown reasons never leak raw codes with odd characters", () => {
    for (const r of ["seat_unavailable", "unknown_seat", "unknown_screening", "screening_started", "screening_cancelled", "seat_limit", "user_unregistered", "payment_declined", "payment_insufficient_funds", "payment_expired"]) {
      expect(reasonSentence(r)).not.toContain("_")
    }
    expect(reasonSentence("movie_removed")).toBe("of movie removed")
    expect(reasonSentence("<script>")).toBe("of an unspecified problem")
  })

  test("a single seat is spoken of in the singular", () => {
    const n = noticeOf({
      kind: "reserved",
      bookingId: "b",
      userId: "u",
      screeningId: "s",
      tickets: [{ ticketId: "t", seatNumber: "A1" }],
      amount: 100,
      currency: "EUR",
      expiresAt: "2026-12-01T18:42:00Z"
    })
    expect(n.message).toStartWith("Seat A1 for screening s is held for you until 18:42 UTC on 1 Dec 2026. Pay EUR 1.00 before then to keep it")
    expect(n.subject).toBe("Seat A1 held for you until 18:42 UTC on 1 Dec 2026")
  })

  test("only outcomes that end a booking are terminal", () => {
    expect(["reservation_failed", "booked", "booking_failed", "cancelled"].every((k) => isTerminal(k as never))).toBe(true)
    expect(isTerminal("reserved")).toBe(false)
    expect(isTerminal("refunded")).toBe(false)
  })
})
