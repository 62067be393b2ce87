// Projections fed by events through the inbox (halls, movies, cinemas, tickets), read back over HTTP; and the cascades.
import { newId } from "@bat/contracts"
import { pollUntil } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { inMinutes, seedCatalog, startHarness, type Harness } from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

const EUR = (amount: number) => ({ amount, currency: "EUR" })
const schedule = (movieId: string, hallId: string, startsAt: string) =>
  h.api("POST", "/screenings", { token: h.staff, body: { movieId, hallId, startsAt, price: EUR(1000) } })
const movie = (movieId: string, revision: number, durationMinutes: number) => ({
  movieId,
  revision,
  title: `Rev ${revision}`,
  genre: "drama",
  durationMinutes
})
const durationOf = (s: { startsAt: string; endsAt: string }) => (Date.parse(s.endsAt) - Date.parse(s.startsAt)) / 60_000

describe("halls", () => {
  test("a hall created a moment ago can be scheduled as soon as its event arrives", async () => {
    const hallId = newId()
    const movieId = newId()
    const startsAt = inMinutes(h, 60)
    await h.publish("MovieAdded", movie(movieId, 1, 100))
    await h.publish("HallCreated", { hallId, cinemaId: newId(), name: "New", rows: [{ label: "A", seats: 4 }], capacity: 4 })
    const scheduled = await pollUntil(
      async () => {
        const r = await schedule(movieId, hallId, startsAt)
        if (r.status !== 201) expect(r.body.code).toBeOneOf(["unknown_hall", "unknown_movie"])
        return r.status === 201 && r.body
      },
      { timeoutMs: 10_000, message: "the new hall to be schedulable" }
    )
    expect(scheduled.hallId).toBe(hallId)
  })

  test("a redelivered HallCreated changes nothing", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const id = await h.publish("HallCreated", { hallId, cinemaId: newId(), name: "Dup", rows: [{ label: "Z", seats: 9 }], capacity: 9 })
    await h.waitConsumed(id)
    const s = await schedule(movieId, hallId, inMinutes(h, 200))
    const seats = await h.api("GET", `/screenings/${s.body.screeningId}/seats`)
    expect(seats.body.rows.map((r: { label: string }) => r.label)).toEqual(["A", "B"])
  })
})

describe("cinemas", () => {
  test("screening views name the movie, cinema and hall, and CinemaUpdated changes what they show", async () => {
    const { hallId, movieId, cinemaId } = await seedCatalog(h)
    const created = await schedule(movieId, hallId, inMinutes(h, 400))
    expect(created.status).toBe(201)
    const id = created.body.screeningId
    expect(created.body).toMatchObject({
      movie: { movieId, title: "Metropolis", genre: "drama", durationMinutes: 120 },
      cinema: { cinemaId, name: "Roxy", address: "1 Main Street", timeZone: "Europe/Berlin" },
      hall: { hallId, name: "Hall 1" },
      seatsAvailable: 5
    })
    const updated = await h.publish("CinemaUpdated", {
      cinemaId,
      revision: 2,
      name: "Roxy Deluxe",
      address: "2 Main Street",
      timeZone: "Asia/Kolkata"
    })
    await h.waitConsumed(updated)
    const cinema = { cinemaId, name: "Roxy Deluxe", address: "2 Main Street", timeZone: "Asia/Kolkata" }
    expect((await h.api("GET", `/screenings/${id}`)).body.cinema).toEqual(cinema)
    const listed = await h.api("GET", `/screenings?cinemaId=${cinemaId}`)
    expect(listed.status).toBe(200)
    expect(listed.body.items.find((s: { screeningId: string }) => s.screeningId === id).cinema).toEqual(cinema)
    // The next change of the screening carries the names as they are now.
    await h.api("PATCH", `/screenings/${id}`, { token: h.staff, body: { price: EUR(1100) } })
    const e = await h.waitForEvent((e) => e.type === "ScreeningUpdated" && e.data.screeningId === id, "ScreeningUpdated")
    expect(e.data).toMatchObject({ movieTitle: "Metropolis", cinemaName: "Roxy Deluxe", hallName: "Hall 1", timeZone: "Asia/Kolkata" })
  })

  test("an older or repeated cinema revision never overrides a newer one; an event without a zone means the default", async () => {
    const { hallId, movieId, cinemaId } = await seedCatalog(h)
    const id = (await schedule(movieId, hallId, inMinutes(h, 500))).body.screeningId
    const newer = await h.publish("CinemaUpdated", { cinemaId, revision: 3, name: "Third", address: "3 Road" })
    const older = await h.publish("CinemaUpdated", { cinemaId, revision: 2, name: "Second", address: "2 Road", timeZone: "Asia/Kolkata" })
    await h.waitConsumed(newer, older)
    expect((await h.api("GET", `/screenings/${id}`)).body.cinema).toEqual({ cinemaId, name: "Third", address: "3 Road", timeZone: "UTC" })
  })

  test("a screening in a cinema not yet heard of shows no name and the default zone; seats held lower seatsAvailable", async () => {
    const hallId = newId()
    const movieId = newId()
    const cinemaId = newId()
    await h.waitConsumed(
      await h.publish("MovieAdded", movie(movieId, 1, 90)),
      await h.publish("HallCreated", { hallId, cinemaId, name: "Small", rows: [{ label: "A", seats: 3 }], capacity: 3 })
    )
    const r = await schedule(movieId, hallId, inMinutes(h, 600))
    expect(r.body.cinema).toEqual({ cinemaId, name: null, address: null, timeZone: "UTC" })
    expect(r.body.hall).toEqual({ hallId, name: "Small" })
    const e = await h.waitForEvent((e) => e.type === "ScreeningScheduled" && e.data.screeningId === r.body.screeningId, "scheduled")
    expect(e.data).toMatchObject({ movieTitle: "Rev 1", hallName: "Small", timeZone: "UTC" })
    expect(e.data.cinemaName).toBeUndefined()
    const held = await h.publish("TicketReserved", {
      bookingId: newId(),
      userId: newId(),
      screeningId: r.body.screeningId,
      tickets: [{ ticketId: newId(), seatNumber: "A2" }],
      amount: 1000,
      currency: "EUR",
      expiresAt: new Date(Date.now() + 900_000).toISOString()
    })
    await h.waitConsumed(held)
    expect((await h.api("GET", `/screenings/${r.body.screeningId}`)).body.seatsAvailable).toBe(2)
  })
})

describe("movies", () => {
  test("out-of-order movie revisions: an older revision never overrides a newer one", async () => {
    const { hallId } = await seedCatalog(h)
    const movieId = newId()
    const ids = [
      await h.publish("MovieUpdated", movie(movieId, 2, 110)), // newer one first
      await h.publish("MovieAdded", movie(movieId, 1, 90)),
      await h.publish("MovieUpdated", movie(movieId, 4, 130)),
      await h.publish("MovieUpdated", movie(movieId, 3, 70))
    ]
    await h.waitConsumed(...ids)
    const s = await schedule(movieId, hallId, inMinutes(h, 300))
    expect(s.status).toBe(201)
    expect(durationOf(s.body)).toBe(130)
  })

  test("a screening keeps the end fixed when it was scheduled, even after the movie's running time changes", async () => {
    const { hallId, movieId } = await seedCatalog(h, { durationMinutes: 100 })
    const before = await schedule(movieId, hallId, inMinutes(h, 500))
    await h.waitConsumed(await h.publish("MovieUpdated", movie(movieId, 2, 150)))
    const after = await schedule(movieId, hallId, inMinutes(h, 800))
    expect(durationOf((await h.api("GET", `/screenings/${before.body.screeningId}`)).body)).toBe(100)
    expect(durationOf(after.body)).toBe(150)
  })

  test("a removed movie is a tombstone: later or late MovieAdded/MovieUpdated never bring it back", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    await h.waitConsumed(await h.publish("MovieRemoved", { movieId }))
    await h.waitConsumed(
      await h.publish("MovieUpdated", movie(movieId, 9, 100)),
      await h.publish("MovieAdded", movie(movieId, 1, 100))
    )
    expect((await schedule(movieId, hallId, inMinutes(h, 900))).body.code).toBe("unknown_movie")

    // removal seen before the movie itself
    const early = newId()
    await h.waitConsumed(await h.publish("MovieRemoved", { movieId: early }))
    await h.waitConsumed(await h.publish("MovieAdded", movie(early, 1, 100)))
    expect((await schedule(early, hallId, inMinutes(h, 1_100))).body.code).toBe("unknown_movie")
  })
})

describe("cascades", () => {
  test("MovieRemoved cancels the movie's future screenings and emits ScreeningCancelled for each, once", async () => {
    const a = await seedCatalog(h, { durationMinutes: 60 })
    const b = await seedCatalog(h, { durationMinutes: 60, cinemaId: a.cinemaId })
    const running = await schedule(a.movieId, a.hallId, inMinutes(h, 10))
    const future1 = await schedule(a.movieId, a.hallId, inMinutes(h, 2_000))
    const future2 = await schedule(a.movieId, b.hallId, inMinutes(h, 2_000))
    const otherMovie = await schedule(b.movieId, b.hallId, inMinutes(h, 2_200))
    expect([running, future1, future2, otherMovie].map((r) => r.status)).toEqual([201, 201, 201, 201])
    h.time.advance(11 * 60_000) // `running` has begun: it is not cancelled

    const messageId = newId()
    await h.publish("MovieRemoved", { movieId: a.movieId }, { id: messageId })
    await h.publish("MovieRemoved", { movieId: a.movieId }, { id: messageId }) // a redelivery
    await h.waitConsumed(messageId)
    const cancelledIds = [future1.body.screeningId, future2.body.screeningId]
    const events = await pollUntil(
      () => {
        const es = h.emitted.filter((e) => e.type === "ScreeningCancelled" && cancelledIds.includes(e.data.screeningId))
        return es.length === 2 && es
      },
      { message: "two ScreeningCancelled" }
    )
    for (const e of events) {
      expect(e.data.reason).toBe("movie_removed")
      expect(e.causationId).toBe(messageId)
    }
    for (const id of cancelledIds) expect((await h.api("GET", `/screenings/${id}`)).body.status).toBe("cancelled")
    expect((await h.api("GET", `/screenings/${running.body.screeningId}`)).body.status).toBe("scheduled")
    expect((await h.api("GET", `/screenings/${otherMovie.body.screeningId}`)).body.status).toBe("scheduled")
    expect((await h.api("GET", `/screenings?movieId=${a.movieId}`)).body.items).toEqual([])

    // The redelivery was absorbed by the inbox: no duplicate events appear afterwards.
    const marker = await schedule(b.movieId, b.hallId, inMinutes(h, 2_600))
    await h.waitForEvent((e) => e.type === "ScreeningScheduled" && e.data.screeningId === marker.body.screeningId, "marker")
    expect(h.emitted.filter((e) => e.type === "ScreeningCancelled" && cancelledIds.includes(e.data.screeningId))).toHaveLength(2)
  })

  test("CinemaDeleted cancels the cinema's future screenings and its halls can no longer be scheduled", async () => {
    const cinemaId = newId()
    const a = await seedCatalog(h, { cinemaId })
    const b = await seedCatalog(h, { cinemaId })
    const elsewhere = await seedCatalog(h)
    const s1 = await schedule(a.movieId, a.hallId, inMinutes(h, 3_000))
    const s2 = await schedule(b.movieId, b.hallId, inMinutes(h, 3_000))
    const kept = await schedule(elsewhere.movieId, elsewhere.hallId, inMinutes(h, 3_000))
    const messageId = await h.publish("CinemaDeleted", { cinemaId })
    await h.waitConsumed(messageId)
    for (const s of [s1, s2]) {
      const e = await h.waitForEvent((e) => e.type === "ScreeningCancelled" && e.data.screeningId === s.body.screeningId, "cancelled")
      expect(e.data.reason).toBe("cinema_deleted")
      expect(e.causationId).toBe(messageId)
      expect((await h.api("GET", `/screenings/${s.body.screeningId}`)).body.status).toBe("cancelled")
    }
    expect((await h.api("GET", `/screenings/${kept.body.screeningId}`)).body.status).toBe("scheduled")
    expect((await h.api("GET", `/screenings?cinemaId=${cinemaId}`)).body.items).toEqual([])
    expect((await schedule(a.movieId, a.hallId, inMinutes(h, 3_500))).body.code).toBe("unknown_hall")

    // A hall of the deleted cinema announced late stays unschedulable: the tombstone holds.
    const lateHall = newId()
    await h.waitConsumed(
      await h.publish("HallCreated", { hallId: lateHall, cinemaId, name: "Late", rows: [{ label: "A", seats: 1 }], capacity: 1 })
    )
    expect((await schedule(a.movieId, lateHall, inMinutes(h, 3_500))).body.code).toBe("unknown_hall")
  })
})

describe("seat map", () => {
  const ticketEvent = (screeningId: string, tickets: Array<{ ticketId: string; seatNumber: string }>, bookingId = newId()) => ({
    bookingId,
    userId: newId(),
    screeningId,
    tickets
  })
  const reserved = (screeningId: string, tickets: Array<{ ticketId: string; seatNumber: string }>) => ({
    ...ticketEvent(screeningId, tickets),
    amount: 2000,
    currency: "EUR",
    expiresAt: new Date(Date.now() + 900_000).toISOString()
  })
  const statuses = async (screeningId: string) => {
    const r = await h.api("GET", `/screenings/${screeningId}/seats`)
    expect(r.status).toBe(200)
    return {
      seats: Object.fromEntries(
        r.body.rows.flatMap((row: { seats: Array<{ seatNumber: string; status: string }> }) =>
          row.seats.map((s) => [s.seatNumber, s.status])
        )
      ),
      counts: r.body.counts
    }
  }

  test("an untouched screening shows every seat of its hall available, row by row", async () => {
    const { hallId, movieId } = await seedCatalog(h, { rows: [{ label: "A", seats: 3 }, { label: "B", seats: 2 }] })
    const s = await schedule(movieId, hallId, inMinutes(h, 4_000))
    const r = await h.api("GET", `/screenings/${s.body.screeningId}/seats`)
    expect(r.body).toEqual({
      screeningId: s.body.screeningId,
      hallId,
      rows: [
        { label: "A", seats: ["A1", "A2", "A3"].map((seatNumber) => ({ seatNumber, status: "available" })) },
        { label: "B", seats: ["B1", "B2"].map((seatNumber) => ({ seatNumber, status: "available" })) }
      ],
      counts: { available: 5, reserved: 0, booked: 0 }
    })
  })

  test("ticket events paint seats reserved and booked, free them on failure and cancellation, and never revert a terminal state", async () => {
    const { hallId, movieId } = await seedCatalog(h, { rows: [{ label: "A", seats: 3 }, { label: "B", seats: 2 }] })
    const s = await schedule(movieId, hallId, inMinutes(h, 4_500))
    const id = s.body.screeningId as string
    const t = { a1: newId(), a2: newId(), a3: newId(), b1: newId(), b2: newId() }

    await h.waitConsumed(
      await h.publish("TicketReserved", reserved(id, [{ ticketId: t.a1, seatNumber: "A1" }, { ticketId: t.a2, seatNumber: "A2" }])),
      await h.publish("TicketReserved", reserved(id, [{ ticketId: t.a3, seatNumber: "A3" }]))
    )
    expect(await statuses(id)).toEqual({
      seats: { A1: "reserved", A2: "reserved", A3: "reserved", B1: "available", B2: "available" },
      counts: { available: 2, reserved: 3, booked: 0 }
    })

    await h.waitConsumed(
      await h.publish("TicketBooked", ticketEvent(id, [{ ticketId: t.a1, seatNumber: "A1" }])),
      await h.publish("TicketBookingFailed", { ...ticketEvent(id, [{ ticketId: t.a2, seatNumber: "A2" }]), reason: "payment_declined" })
    )
    expect((await statuses(id)).seats).toMatchObject({ A1: "booked", A2: "available", A3: "reserved" })

    // booked → cancelled frees the seat; a late TicketReserved for failed or cancelled tickets paints nothing
    await h.waitConsumed(
      await h.publish("TicketCancelled", { ...ticketEvent(id, [{ ticketId: t.a1, seatNumber: "A1" }]), reason: "screening_cancelled" })
    )
    await h.waitConsumed(
      await h.publish("TicketReserved", reserved(id, [{ ticketId: t.a1, seatNumber: "A1" }])),
      await h.publish("TicketReserved", reserved(id, [{ ticketId: t.a2, seatNumber: "A2" }])),
      await h.publish("TicketBooked", ticketEvent(id, [{ ticketId: t.a2, seatNumber: "A2" }]))
    )
    expect((await statuses(id)).seats).toMatchObject({ A1: "available", A2: "available" })

    // events seen out of order: cancellation before reservation, booking before reservation
    await h.waitConsumed(
      await h.publish("TicketCancelled", { ...ticketEvent(id, [{ ticketId: t.b1, seatNumber: "B1" }]), reason: "user_unregistered" }),
      await h.publish("TicketBooked", ticketEvent(id, [{ ticketId: t.b2, seatNumber: "B2" }]))
    )
    await h.waitConsumed(
      await h.publish("TicketReserved", reserved(id, [{ ticketId: t.b1, seatNumber: "B1" }, { ticketId: t.b2, seatNumber: "B2" }]))
    )
    expect(await statuses(id)).toEqual({
      seats: { A1: "available", A2: "available", A3: "reserved", B1: "available", B2: "booked" },
      counts: { available: 3, reserved: 1, booked: 1 }
    })
  })

  test("a freed seat taken by a new ticket shows that ticket's state", async () => {
    const { hallId, movieId } = await seedCatalog(h, { rows: [{ label: "A", seats: 1 }] })
    const s = await schedule(movieId, hallId, inMinutes(h, 5_000))
    const id = s.body.screeningId as string
    const first = newId()
    const second = newId()
    await h.waitConsumed(await h.publish("TicketReserved", reserved(id, [{ ticketId: first, seatNumber: "A1" }])))
    await h.waitConsumed(
      await h.publish("TicketBookingFailed", { ...ticketEvent(id, [{ ticketId: first, seatNumber: "A1" }]), reason: "payment_expired" })
    )
    await h.waitConsumed(await h.publish("TicketReserved", reserved(id, [{ ticketId: second, seatNumber: "A1" }])))
    expect((await statuses(id)).seats).toEqual({ A1: "reserved" })
  })

  test("the seat map of a cancelled screening is still readable", async () => {
    const { hallId, movieId } = await seedCatalog(h)
    const s = await schedule(movieId, hallId, inMinutes(h, 5_500))
    expect((await h.api("DELETE", `/screenings/${s.body.screeningId}`, { token: h.staff })).status).toBe(204)
    expect((await h.api("GET", `/screenings/${s.body.screeningId}/seats`)).status).toBe(200)
  })
})
