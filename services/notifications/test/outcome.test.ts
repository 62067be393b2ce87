import { describe, expect, test } from "bun:test"
import { emailHtml, emailText, escapeHtml, ticketImageCid } from "../src/domain/emailBody.ts"
import { formatLocal } from "../src/domain/localTime.ts"
import { formatMoney, isTerminal, noticeOf, reasonHeadline, reasonSentence, type ScreeningFacts } from "../src/domain/outcome.ts"
import { deliveryBackoffMs } from "../src/app/Notifications.ts"

const dune: ScreeningFacts = {
  screeningId: "s",
  startsAt: "2026-12-05T18:30:00Z",
  movieTitle: "Dune",
  cinemaName: "Kino Mitte",
  hallName: "Saal 1",
  timeZone: "Europe/Berlin"
}

describe("human messages", () => {
  test("money in minor units is shown with the currency's own decimals", () => {
    expect(formatMoney(2500, "EUR")).toBe("EUR 25.00")
    expect(formatMoney(1500, "JPY")).toBe("JPY 1,500")
    expect(formatMoney(1234, "KWD")).toBe("KWD 1.234")
  })

  test("times are shown local to the cinema with the zone's abbreviation or offset", () => {
    expect(formatLocal("2026-12-05T18:30:00Z", "Europe/Berlin")).toBe("Sat 5 Dec, 19:30 CET")
    expect(formatLocal("2026-07-04T18:30:00Z", "Europe/Berlin")).toBe("Sat 4 Jul, 20:30 CEST")
    // The last Sunday of October 2026: Berlin goes from CEST (+2) to CET (+1) at 01:00 UTC.
    expect(formatLocal("2026-10-25T00:30:00Z", "Europe/Berlin")).toBe("Sun 25 Oct, 02:30 CEST")
    expect(formatLocal("2026-10-25T01:30:00Z", "Europe/Berlin")).toBe("Sun 25 Oct, 02:30 CET")
    expect(formatLocal("2026-10-25T18:00:00Z", "Europe/Berlin")).toBe("Sun 25 Oct, 19:00 CET")
    expect(formatLocal("2026-10-25T13:45:00Z", "Asia/Kolkata")).toBe("Sun 25 Oct, 19:15 GMT+5:30")
    expect(formatLocal("2026-12-05T18:30:00Z", "UTC")).toBe("Sat 5 Dec, 18:30 UTC")
  })

  test("every closed-list reason reads as a sentence, and unknown reasons never leak raw codes with odd characters", () => {
    for (const r of ["seat_unavailable", "unknown_seat", "unknown_screening", "screening_started", "screening_cancelled", "seat_limit", "user_unregistered", "payment_declined", "payment_insufficient_funds", "payment_expired"]) {
      expect(reasonSentence(r)).not.toContain("_")
      expect(reasonHeadline(r)).not.toContain("_")
    }
    expect(reasonSentence("movie_removed")).toBe("of movie removed")
    expect(reasonHeadline("movie_removed")).toBe("movie removed")
    expect(reasonSentence("<script>")).toBe("of an unspecified problem")
    expect(reasonHeadline("<script>")).toBe("something went wrong")
  })

  test("a held seat names the movie, cinema, hall, local start, the amount and the local deadline; a single seat is singular", () => {
    const n = noticeOf({
      kind: "reserved",
      bookingId: "b",
      userId: "u",
      screeningId: "s",
      screening: dune,
      tickets: [{ ticketId: "t", seatNumber: "A1" }],
      amount: 100,
      currency: "EUR",
      expiresAt: "2026-12-05T18:12:00Z"
    })
    expect(n.subject).toBe("Held: Dune, Sat 5 Dec 19:30 — pay by 19:12")
    expect(n.message).toBe(
      "Seat A1 for Dune (Kino Mitte, Saal 1, Sat 5 Dec, 19:30 CET) is held for you until Sat 5 Dec, 19:12 CET. Pay EUR 1.00 before then to keep it."
    )
  })

  test("without the screening's facts (an event from before they were carried) the notice says 'your screening', never an id", () => {
    const n = noticeOf({
      kind: "reserved",
      bookingId: "b",
      userId: "u",
      screeningId: "0195f5a0-0000-7000-8000-000000000000",
      tickets: [{ ticketId: "t", seatNumber: "A1" }, { ticketId: "t2", seatNumber: "A2" }],
      amount: 2500,
      currency: "EUR",
      expiresAt: "2026-12-01T18:42:00Z"
    })
    expect(n.subject).toBe("Held: your screening — pay by Tue 1 Dec 18:42 UTC")
    expect(n.message).toBe("Seats A1, A2 for your screening are held for you until Tue 1 Dec, 18:42 UTC. Pay EUR 25.00 before then to keep them.")
    expect(n.message).not.toContain("0195f5a0")
  })

  test("a booked notice states the amount charged, taken from the booking's earlier notice", () => {
    const n = noticeOf(
      { kind: "booked", bookingId: "b", userId: "u", screeningId: "s", tickets: [{ ticketId: "t", seatNumber: "A1" }] },
      { screeningId: "s", ticketIds: ["t"], seatNumbers: ["A1"], screening: dune, money: { amount: 1250, currency: "EUR" }, booked: false }
    )
    expect(n.subject).toBe("Booked: Dune, Sat 5 Dec 19:30 — seat A1")
    expect(n.message).toContain("We charged EUR 12.50")
    expect(n.ticketCodes).toEqual([])
  })

  test("a booked notice with codes says the tickets are ready, keeps the codes for the e-mail and out of the message", () => {
    const codes = ["aaa.bbb.ccc", "ddd.eee.fff"]
    const n = noticeOf({
      kind: "booked",
      bookingId: "b",
      userId: "u",
      screeningId: "s",
      screening: dune,
      tickets: [
        { ticketId: "t1", seatNumber: "A1", code: codes[0] },
        { ticketId: "t2", seatNumber: "A2", code: codes[1] }
      ]
    })
    expect(n.message).toBe(
      "Your booking is confirmed: seats A1, A2 for Dune (Kino Mitte, Saal 1, Sat 5 Dec, 19:30 CET). Your tickets (2) are ready: show their QR codes at the door. Enjoy the film!"
    )
    expect(n.ticketCodes).toEqual([
      { ticketId: "t1", seatNumber: "A1", code: codes[0]! },
      { ticketId: "t2", seatNumber: "A2", code: codes[1]! }
    ])
    const facts = { fullName: "Ann", kind: "booked" as const, bookingId: "b", message: n.message, screening: dune, seatNumbers: n.seatNumbers, money: undefined, ticketCodes: n.ticketCodes }
    const text = emailText(facts)
    expect(text).toContain(`Seat A1 — show this code at the door: ${codes[0]}`)
    expect(text).toContain(`Seat A2 — show this code at the door: ${codes[1]}`)
    const html = emailHtml(facts)
    expect(html).toContain(`<img src="cid:${ticketImageCid("t1")}" alt="Ticket A1 QR code"`)
    expect(html).toContain(`<img src="cid:${ticketImageCid("t2")}" alt="Ticket A2 QR code"`)
    // An older event without codes: the e-mail points to the booking and shows no image.
    const old = emailText({ ...facts, ticketCodes: [] })
    expect(old).toContain("Your tickets are in your booking")
    expect(emailHtml({ ...facts, ticketCodes: [] })).not.toContain("<img")
  })

  test("a booking the customer cancelled says so plainly, and that a refund follows when it was paid", () => {
    const cancelled = { kind: "cancelled" as const, bookingId: "b", userId: "u", screeningId: "s", screening: dune, tickets: [{ ticketId: "t", seatNumber: "A1" }], reason: "customer_cancelled" }
    const paid = noticeOf(cancelled, { screeningId: "s", ticketIds: ["t"], seatNumbers: ["A1"], screening: dune, money: { amount: 2500, currency: "EUR" }, booked: true })
    expect(paid.subject).toBe("Cancelled: Dune, Sat 5 Dec 19:30 — as you asked")
    expect(paid.message).toBe(
      "You cancelled your booking of seat A1 for Dune (Kino Mitte, Saal 1, Sat 5 Dec, 19:30 CET). The EUR 25.00 you paid will be refunded to your card; we will tell you when it is."
    )
    const held = noticeOf(cancelled, { screeningId: "s", ticketIds: ["t"], seatNumbers: ["A1"], screening: dune, money: { amount: 2500, currency: "EUR" }, booked: false })
    expect(held.message).toContain("You cancelled your booking of seat A1")
    expect(held.message).toContain("If you paid the EUR 25.00, a refund to your card will follow.")
    expect(reasonSentence("customer_cancelled")).not.toContain("_")
  })

  test("the e-mail's HTML part escapes every value", () => {
    const facts = {
      fullName: "Ann <b>",
      kind: "booked" as const,
      bookingId: "b",
      message: "Fast & <Furious>",
      screening: { ...dune, movieTitle: "<script>x</script>" },
      seatNumbers: ["A1"],
      money: { amount: 100, currency: "EUR" }
    }
    const html = emailHtml(facts)
    expect(html).not.toContain("<script>")
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;")
    expect(html).toContain("Fast &amp; &lt;Furious&gt;")
    expect(html).toContain("Ann &lt;b&gt;")
    expect(emailText(facts)).toContain("Fast & <Furious>")
    expect(escapeHtml(`"'`)).toBe("&quot;&#39;")
  })

  test("temporary delivery failures back off from the minimum, doubling, to the maximum", () => {
    expect([1, 2, 3, 7, 8, 100].map((a) => deliveryBackoffMs(a, 60_000, 3_600_000))).toEqual([
      60_000, 120_000, 240_000, 3_600_000, 3_600_000, 3_600_000
    ])
  })

  test("only outcomes that end a booking are terminal", () => {
    expect(["reservation_failed", "booked", "booking_failed", "cancelled"].every((k) => isTerminal(k as never))).toBe(true)
    expect(isTerminal("reserved")).toBe(false)
    expect(isTerminal("refunded")).toBe(false)
  })
})
