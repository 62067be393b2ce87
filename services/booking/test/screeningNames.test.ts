// Names a person reads (DESIGN §9): the screenings projection keeps the movie, cinema and hall names and
// the cinema's time zone; every Ticket* outcome carries them as `screening` facts; the booking view shows them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, toIso, type EventData } from "@bat/contracts"
import { pollUntil } from "@bat/testing"
import { book, handledAtLeast, handledNow, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

let h: Harness

beforeAll(async () => {
  h = await startHarness({ UNKNOWN_SCREENING_ATTEMPTS: "2" })
})
afterAll(async () => {
  await h?.stop()
})

const names = { movieTitle: "Dune: Part Two", cinemaName: "Kino am Ufer", hallName: "Saal 1", timeZone: "Europe/Berlin" }

const eventOf = (bookingId: string, type: string) =>
  pollUntil(() => h.emittedFor(bookingId).find((e) => e.type === type), { message: `${type} for ${bookingId}` })

const projected = (screeningId: string) =>
  rows<{ movie_title: string | null; cinema_name: string | null; hall_name: string | null; time_zone: string | null }>(
    h,
    "SELECT movie_title, cinema_name, hall_name, time_zone FROM screenings WHERE screening_id = ?",
    screeningId
  )[0]

const update = (sc: EventData<"ScreeningScheduled">, revision: number, more: Partial<EventData<"ScreeningUpdated">> = {}) =>
  ({ screeningId: sc.screeningId, revision, startsAt: sc.startsAt, endsAt: sc.endsAt, price: sc.price, ...more }) as EventData<"ScreeningUpdated">

/** The facts the events carry, for a screening scheduled with `names`. */
const factsOf = (sc: EventData<"ScreeningScheduled">, n: typeof names = names) => ({
  screeningId: sc.screeningId,
  startsAt: toIso(Date.parse(sc.startsAt)),
  ...n
})

const paid = (bookingId: string, userId: string, amount: number) =>
  ({ paymentId: newId(), bookingId, userId, amount, currency: "EUR", transactionDate: new Date().toISOString() }) as EventData<"PaymentSuccessful">

describe("the screenings projection keeps the names", () => {
  test("ScreeningScheduled's movie title, cinema and hall names and time zone are kept", async () => {
    const sc = await schedule(h, scheduled({ names }))
    expect(projected(sc.screeningId)).toEqual({
      movie_title: names.movieTitle,
      cinema_name: names.cinemaName,
      hall_name: names.hallName,
      time_zone: names.timeZone
    })
  })

  test("a newer ScreeningUpdated renames; one without names keeps them; an older one changes nothing", async () => {
    const sc = await schedule(h, scheduled({ names }))
    const before = handledNow(h)
    await h.publish("ScreeningUpdated", update(sc, 2, { movieTitle: "Dune: Part Two (70 mm)", hallName: "Saal 2" }))
    await h.publish("ScreeningUpdated", update(sc, 3))
    await h.publish("ScreeningUpdated", update(sc, 2, { movieTitle: "stale", cinemaName: "stale", hallName: "stale", timeZone: "UTC" }))
    await handledAtLeast(h, before + 3)
    expect(projected(sc.screeningId)).toEqual({
      movie_title: "Dune: Part Two (70 mm)",
      cinema_name: names.cinemaName,
      hall_name: "Saal 2",
      time_zone: names.timeZone
    })
  })

  test("an update that overtook its ScreeningScheduled keeps its newer names; the late schedule fills only what it lacked", async () => {
    const sc = scheduled({ names })
    const before = handledNow(h)
    await h.publish("ScreeningUpdated", update(sc, 2, { movieTitle: "Renamed", timeZone: "Asia/Kolkata" }))
    await handledAtLeast(h, before + 1)
    await schedule(h, sc)
    expect(projected(sc.screeningId)).toEqual({
      movie_title: "Renamed",
      cinema_name: names.cinemaName,
      hall_name: names.hallName,
      time_zone: "Asia/Kolkata"
    })
  })
})

describe("Ticket* events carry the screening facts", () => {
  test("TicketReserved and TicketBooked name the screening; so does TicketCancelled when the screening is cancelled", async () => {
    const sc = await schedule(h, scheduled({ names }))
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, ["A1", "A2"])
    await h.awaitStatus(bookingId, user, ["reserved"])
    expect((await eventOf(bookingId, "TicketReserved")).data.screening).toEqual(factsOf(sc))
    await h.publish("PaymentSuccessful", paid(bookingId, user, 2400))
    await h.awaitStatus(bookingId, user, ["booked"])
    expect((await eventOf(bookingId, "TicketBooked")).data.screening).toEqual(factsOf(sc))
    await h.publish("ScreeningCancelled", { screeningId: sc.screeningId, reason: "lost print" } as EventData<"ScreeningCancelled">)
    await h.awaitStatus(bookingId, user, ["cancelled"])
    // A cancelled screening is still named: the tombstone keeps what the projection knew.
    expect((await eventOf(bookingId, "TicketCancelled")).data.screening).toEqual(factsOf(sc))
  })

  test("TicketReservingFailed and TicketBookingFailed name the screening, with the names as of the decision", async () => {
    const sc = await schedule(h, scheduled({ names }))
    const user = newId()
    const rejected = await book(h, user, sc.screeningId, ["Z9"])
    await h.awaitStatus(rejected, user, ["failed"])
    expect((await eventOf(rejected, "TicketReservingFailed")).data.screening).toEqual(factsOf(sc))

    const held = await book(h, user, sc.screeningId, ["B1"])
    await h.awaitStatus(held, user, ["reserved"])
    const before = handledNow(h)
    const renamed = { ...names, hallName: "Saal 3" }
    await h.publish("ScreeningUpdated", update(sc, 2, { hallName: renamed.hallName }))
    await handledAtLeast(h, before + 1)
    await h.publish("PaymentFailed", { paymentId: newId(), bookingId: held, userId: user, reason: "declined" } as EventData<"PaymentFailed">)
    await h.awaitStatus(held, user, ["failed"])
    expect((await eventOf(held, "TicketBookingFailed")).data.screening).toEqual(factsOf(sc, renamed))
  })

  test("TicketCancelled for an unregistered user names the screening", async () => {
    const sc = await schedule(h, scheduled({ names }))
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, ["A3"])
    await h.awaitStatus(bookingId, user, ["reserved"])
    await h.publish("UserUnregistered", { userId: user } as EventData<"UserUnregistered">)
    await h.awaitStatus(bookingId, user, ["cancelled"])
    expect((await eventOf(bookingId, "TicketCancelled")).data.screening).toEqual(factsOf(sc))
  })

  test("a screening announced without names gives events without facts: ids only, as before", async () => {
    const sc = await schedule(h, scheduled())
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, ["A1"])
    await h.awaitStatus(bookingId, user, ["reserved"])
    expect("screening" in (await eventOf(bookingId, "TicketReserved")).data).toBe(false)
  })

  test("a screening that never arrives fails unknown_screening without facts", async () => {
    const user = newId()
    const bookingId = await book(h, user, newId(), ["A1"])
    await h.awaitStatus(bookingId, user, ["failed"])
    expect("screening" in (await eventOf(bookingId, "TicketReservingFailed")).data).toBe(false)
  })
})

describe("the booking view names the screening", () => {
  test("GET /tickets/bookings/{id} and GET /tickets show the screening's start, movie, cinema, hall and time zone", async () => {
    const sc = await schedule(h, scheduled({ names }))
    const user = newId()
    const bookingId = await book(h, user, sc.screeningId, ["A4"])
    const expected = { screeningId: sc.screeningId, startsAt: toIso(Date.parse(sc.startsAt)), ...names }
    expect((await h.awaitStatus(bookingId, user, ["reserved"])).screening).toEqual(expected)
    const list = (await (await h.call("GET", "/tickets", { userId: user })).json()) as { items: Array<{ bookingId: string; screening: unknown }> }
    expect(list.items.map((b) => [b.bookingId, b.screening])).toEqual([[bookingId, expected]])
  })

  test("parts the projection does not know are null: no names yet, or no screening at all", async () => {
    const sc = await schedule(h, scheduled())
    const user = newId()
    const known = await book(h, user, sc.screeningId, ["A5"])
    expect((await h.awaitStatus(known, user, ["reserved"])).screening).toEqual({
      screeningId: sc.screeningId,
      startsAt: toIso(Date.parse(sc.startsAt)),
      movieTitle: null,
      cinemaName: null,
      hallName: null,
      timeZone: null
    })
    const unknownScreening = newId()
    const unknown = await book(h, user, unknownScreening, ["A1"])
    const view = await h.call("GET", `/tickets/bookings/${unknown}`, { userId: user }).then((r) => r.json() as Promise<any>)
    expect(view.screening).toEqual({
      screeningId: unknownScreening,
      startsAt: null,
      movieTitle: null,
      cinemaName: null,
      hallName: null,
      timeZone: null
    })
    await h.awaitStatus(unknown, user, ["failed"])
  })
})
