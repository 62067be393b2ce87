// Check-in at the door (DESIGN §10, I8): a ticket is admitted exactly once, also when doors scan it at the
// same instant; only a booked ticket is admitted; a code must carry booking's signature and a ticket's claims.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId, type EventData } from "@bat/contracts"
import { expectProblem, pollUntil } from "@bat/testing"
import { importJWK, SignJWT } from "jose"
import { bookAndPay, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

let h: Harness
let screeningId: string
let otherScreeningId: string

beforeAll(async () => {
  // Screenings here start in 30 min (the door is open); customers may cancel until 15 min before.
  h = await startHarness({ CANCEL_CUTOFF_MINUTES: "15" })
  const seats = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
  // Starting in half an hour: the door is open (it opens CHECKIN_OPENS_MINUTES, 60, before the start).
  screeningId = (await schedule(h, scheduled({ startsInMs: 30 * 60_000, seats, names: { movieTitle: "Heat", cinemaName: "Roxy", hallName: "Hall 1", timeZone: "Europe/Berlin" } }))).screeningId
  otherScreeningId = (await schedule(h, scheduled({ startsInMs: 30 * 60_000, seats }))).screeningId
})
afterAll(async () => {
  await h?.stop()
})

const checkin = (scanner: string, body: unknown, key?: string, role: "staff" | "customer" = "staff") =>
  h.call("POST", "/tickets/checkin", { userId: scanner, role, body, ...(key === undefined ? {} : { headers: { "idempotency-key": key } }) })

const admittedEvents = (ticketId: string) => h.emitted.filter((e) => e.type === "TicketAdmitted" && e.data.ticketId === ticketId)
const admittedInOutbox = (ticketId: string) =>
  rows<{ n: number }>(h, "SELECT count(*) AS n FROM outbox WHERE type = 'TicketAdmitted' AND json_extract(body, '$.data.ticketId') = ?", ticketId)[0]!.n

describe("POST /tickets/checkin", () => {
  test("50 concurrent scans of one code from two doors admit it once; the other 49 are already_admitted with the first time", async () => {
    const owner = newId()
    const { bookingId, view } = await bookAndPay(h, owner, screeningId, ["A1"])
    const ticket = view.tickets[0]
    const [doorA, doorB] = [newId(), newId()]
    // Even requests come from door A, odd ones from door B. The first 26 carry keys door-0..door-12 — the same
    // strings at both doors, but keys belong to their scanner, so no two requests share a key and every one is
    // decided on its own: exactly one admission, 49 refusals. The other 24 carry no key.
    const requests = Array.from({ length: 50 }, (_, i) => ({
      scanner: i % 2 === 0 ? doorA : doorB,
      key: i < 26 ? `door-${Math.floor(i / 2)}` : undefined
    }))
    const answers = await Promise.all(
      requests.map(async (r) => {
        const res = await checkin(r.scanner, { code: ticket.code, screeningId }, r.key)
        return { ...r, status: res.status, body: (await res.json()) as any }
      })
    )
    const admitted = answers.filter((a) => a.status === 200)
    const refused = answers.filter((a) => a.status !== 200)
    expect(admitted).toHaveLength(1)
    const winner = admitted[0]!
    expect(winner.body).toEqual({
      ticketId: ticket.ticketId,
      bookingId,
      seatNumber: "A1",
      screening: {
        screeningId,
        startsAt: expect.any(String),
        movieTitle: "Heat",
        cinemaName: "Roxy",
        hallName: "Hall 1",
        timeZone: "Europe/Berlin"
      },
      admittedAt: expect.any(String)
    })
    expect(refused).toHaveLength(49)
    for (const r of refused) {
      expect(r.status).toBe(409)
      expect(r.body).toMatchObject({ code: "already_admitted", admittedAt: winner.body.admittedAt })
    }
    // Every keyed request again: the winner's key answers its admission again, every other key is refused again.
    for (const r of requests.filter((q) => q.key !== undefined)) {
      const res = await checkin(r.scanner, { code: ticket.code, screeningId }, r.key)
      const body = (await res.json()) as any
      if (r.scanner === winner.scanner && r.key === winner.key) expect({ status: res.status, body }).toEqual({ status: 200, body: winner.body })
      else expect({ status: res.status, code: body.code, admittedAt: body.admittedAt }).toEqual({ status: 409, code: "already_admitted", admittedAt: winner.body.admittedAt })
    }
    const shown = (await (await h.call("GET", `/tickets/bookings/${bookingId}`, { userId: owner })).json()) as any
    expect(shown.tickets[0]).toEqual({ ...ticket, admittedAt: winner.body.admittedAt })
    await pollUntil(() => admittedEvents(ticket.ticketId).length > 0)
    expect(admittedInOutbox(ticket.ticketId)).toBe(1)
    expect(admittedEvents(ticket.ticketId).map((e) => e.data)).toEqual([
      { bookingId, ticketId: ticket.ticketId, screeningId, seatNumber: "A1", admittedAt: winner.body.admittedAt }
    ])
  })

  test("a scanner's Idempotency-Key returns its first admission; the same key with another code is idempotency_key_reused", async () => {
    const { view } = await bookAndPay(h, newId(), screeningId, ["A2", "A3"])
    const [t1, t2] = view.tickets
    const door = newId()
    const first = await checkin(door, { code: t1.code, screeningId }, "scan-1")
    expect(first.status).toBe(200)
    const body = await first.json()
    const again = await checkin(door, { code: t1.code, screeningId }, "scan-1")
    expect({ status: again.status, body: await again.json() }).toEqual({ status: 200, body })
    await expectProblem(await checkin(door, { code: t2.code, screeningId }, "scan-1"), 422, "idempotency_key_reused")
    await expectProblem(await checkin(door, { code: t1.code, screeningId: otherScreeningId }, "scan-1"), 422, "idempotency_key_reused")
    const otherDoor = await expectProblem(await checkin(newId(), { code: t1.code, screeningId }, "scan-1"), 409, "already_admitted")
    expect(otherDoor.admittedAt).toBe((body as any).admittedAt)
    expect((await checkin(door, { code: t2.code, screeningId }, "scan-2")).status).toBe(200)
  })

  test("a cancelled booking's ticket is ticket_not_valid and is not admitted", async () => {
    const owner = newId()
    const { bookingId, view } = await bookAndPay(h, owner, screeningId, ["A4"])
    expect((await h.call("POST", `/tickets/bookings/${bookingId}/cancel`, { userId: owner })).status).toBe(200)
    await expectProblem(await checkin(newId(), { code: view.tickets[0].code, screeningId }), 409, "ticket_not_valid")
    expect(rows(h, "SELECT admitted_at FROM tickets WHERE ticket_id = ?", view.tickets[0].ticketId)).toEqual([{ admitted_at: null }])
    expect(admittedInOutbox(view.tickets[0].ticketId)).toBe(0)
  })

  test("a code for another screening is wrong_screening and is not admitted; at its own screening it is admitted", async () => {
    const { view } = await bookAndPay(h, newId(), otherScreeningId, ["A1"])
    await expectProblem(await checkin(newId(), { code: view.tickets[0].code, screeningId }), 409, "wrong_screening")
    expect(admittedInOutbox(view.tickets[0].ticketId)).toBe(0)
    expect((await checkin(newId(), { code: view.tickets[0].code, screeningId: otherScreeningId })).status).toBe(200)
  })

  test("a tampered, foreign, malformed or wrongly shaped code is 422 invalid_ticket_code", async () => {
    const { view } = await bookAndPay(h, newId(), screeningId, ["A5"])
    const code = view.tickets[0].code as string
    const [header, payload, signature] = code.split(".")
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString())
    const resigned = Buffer.from(JSON.stringify({ ...claims, seatNumber: "B5" })).toString("base64url")
    // A key of ours signing something that is not a ticket's claims.
    const row = rows<{ private_jwk: string; kid: string }>(h, "SELECT private_jwk, kid FROM signing_keys")[0]!
    const ours = await importJWK(JSON.parse(row.private_jwk), "EdDSA")
    const notATicket = await new SignJWT({ ticketId: claims.ticketId, seatNumber: "B5" })
      .setProtectedHeader({ alg: "EdDSA", kid: row.kid, typ: "bat-ticket+jwt" })
      .sign(ours)
    const { privateKey: stranger } = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: row.kid, typ: "bat-ticket+jwt" }).sign(stranger)
    for (const bad of [
      `${header}.${resigned}.${signature}`,
      `${header}.${payload}.${signature!.split("").reverse().join("")}`,
      foreign,
      notATicket,
      "not-a-code",
      "a.b.c",
      await h.token(newId(), "staff")
    ]) {
      await expectProblem(await checkin(newId(), { code: bad, screeningId }), 422, "invalid_ticket_code")
    }
    expect(admittedInOutbox(view.tickets[0].ticketId)).toBe(0)
    expect((await checkin(newId(), { code, screeningId })).status).toBe(200)
  })

  test("a signed code whose claims are not its ticket's (another booking, seat or screening) admits no one", async () => {
    const { bookingId, view } = await bookAndPay(h, newId(), screeningId, ["B3"])
    const other = await bookAndPay(h, newId(), otherScreeningId, ["B4"])
    const ticket = view.tickets[0]
    const claims = JSON.parse(Buffer.from((ticket.code as string).split(".")[1]!, "base64url").toString())
    // Signed with booking's own key: only the database row can tell these apart from the real code.
    const row = rows<{ private_jwk: string; kid: string }>(h, "SELECT private_jwk, kid FROM signing_keys")[0]!
    const ours = await importJWK(JSON.parse(row.private_jwk), "EdDSA")
    const signed = (c: Record<string, unknown>) =>
      new SignJWT(c).setProtectedHeader({ alg: "EdDSA", kid: row.kid, typ: "bat-ticket+jwt" }).sign(ours)
    const forged = [
      { ...claims, bookingId: other.bookingId },
      { ...claims, seatNumber: "B5" },
      { ...claims, screeningId: otherScreeningId },
      { ...claims, ticketId: other.view.tickets[0].ticketId }
    ]
    for (const c of forged) {
      // At the door of the screening the claims name: only the ticket row refuses them.
      await expectProblem(await checkin(newId(), { code: await signed(c), screeningId: c.screeningId }), 422, "invalid_ticket_code")
    }
    // At the other screening's door too: the claims name it, the ticket is not for it.
    await expectProblem(await checkin(newId(), { code: await signed(forged[2]), screeningId: otherScreeningId }), 422, "invalid_ticket_code")
    expect(admittedInOutbox(ticket.ticketId)).toBe(0)
    expect(admittedInOutbox(other.view.tickets[0].ticketId)).toBe(0)
    expect(rows(h, "SELECT count(*) AS n FROM tickets WHERE booking_id IN (?, ?) AND admitted_at IS NOT NULL", bookingId, other.bookingId)).toEqual([{ n: 0 }])
    // The codes booking issued still admit.
    expect((await checkin(newId(), { code: ticket.code, screeningId })).status).toBe(200)
    expect((await checkin(newId(), { code: other.view.tickets[0].code, screeningId: otherScreeningId })).status).toBe(200)
  })

  test("a door must name its screening: a scan without screeningId is 422 invalid_input and admits no one", async () => {
    const { view } = await bookAndPay(h, newId(), screeningId, ["B2"])
    await expectProblem(await checkin(newId(), { code: view.tickets[0].code }), 422, "invalid_input")
    expect(admittedInOutbox(view.tickets[0].ticketId)).toBe(0)
    expect((await checkin(newId(), { code: view.tickets[0].code, screeningId })).status).toBe(200)
  })

  test("a ticket for a screening 7 days ahead is refused at another screening's door, and at its own door 7 days early", async () => {
    const later = await schedule(h, scheduled({ startsInMs: 7 * 86_400_000, seats: ["A1"] }))
    const { view } = await bookAndPay(h, newId(), later.screeningId, ["A1"])
    const code = view.tickets[0].code
    await expectProblem(await checkin(newId(), { code, screeningId }), 409, "wrong_screening")
    const early = await expectProblem(await checkin(newId(), { code, screeningId: later.screeningId }), 409, "checkin_too_early")
    // The door opens CHECKIN_OPENS_MINUTES (60) before the start, and the problem says when.
    expect(early.opensAt).toBe(new Date(Date.parse(later.startsAt) - 3_600_000).toISOString())
    expect(early.detail).toContain(early.opensAt)
    expect(admittedInOutbox(view.tickets[0].ticketId)).toBe(0)
    expect(rows(h, "SELECT admitted_at FROM tickets WHERE ticket_id = ?", view.tickets[0].ticketId)).toEqual([{ admitted_at: null }])
  })

  test("once its screening has ended a ticket is checkin_too_late; during the screening it is admitted", async () => {
    const sc = await schedule(h, scheduled({ startsInMs: 30 * 60_000, seats: ["A1", "A2"] }))
    const { view } = await bookAndPay(h, newId(), sc.screeningId, ["A1", "A2"])
    const [t1, t2] = view.tickets
    // Moved to a time that is over now (an event from screenings, as when a screening is rescheduled).
    const endedAt = new Date(Date.now() - 60_000).toISOString()
    await h.publish("ScreeningUpdated", {
      screeningId: sc.screeningId,
      revision: 2,
      startsAt: new Date(Date.now() - 7_260_000).toISOString(),
      endsAt: endedAt,
      price: sc.price
    } as EventData<"ScreeningUpdated">)
    await pollUntil(() => rows<{ ends_at: number }>(h, "SELECT ends_at FROM screenings WHERE screening_id = ?", sc.screeningId)[0]?.ends_at === Date.parse(endedAt))
    const late = await expectProblem(await checkin(newId(), { code: t1.code, screeningId: sc.screeningId }), 409, "checkin_too_late")
    expect(late.endedAt).toBe(endedAt)
    expect(admittedInOutbox(t1.ticketId)).toBe(0)
    // Back to a screening under way: admitted.
    await h.publish("ScreeningUpdated", {
      screeningId: sc.screeningId,
      revision: 3,
      startsAt: new Date(Date.now() - 600_000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      price: sc.price
    } as EventData<"ScreeningUpdated">)
    await pollUntil(() => rows<{ revision: number }>(h, "SELECT revision FROM screenings WHERE screening_id = ?", sc.screeningId)[0]?.revision === 3)
    expect((await checkin(newId(), { code: t2.code, screeningId: sc.screeningId })).status).toBe(200)
  })

  test("only staff may check in: a customer is 403 forbidden, no token 401; invalid bodies are 422 invalid_input", async () => {
    const { view } = await bookAndPay(h, newId(), screeningId, ["B1"])
    await expectProblem(await checkin(newId(), { code: view.tickets[0].code, screeningId }, undefined, "customer"), 403, "forbidden")
    await expectProblem(await h.call("POST", "/tickets/checkin", { body: { code: view.tickets[0].code, screeningId } }), 401, "unauthorized")
    for (const body of [{}, { code: "" }, { code: view.tickets[0].code, screeningId: "nope" }, { code: 42, screeningId }]) {
      await expectProblem(await checkin(newId(), body), 422, "invalid_input")
    }
    await expectProblem(await checkin(newId(), '{"code": '), 400, "malformed_json")
    expect(admittedInOutbox(view.tickets[0].ticketId)).toBe(0)
  })
})
