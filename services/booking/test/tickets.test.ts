// E-tickets (DESIGN §10): each booked ticket's code is a compact JWS a door verifies with the published key
// set alone; the booking view shows codes, admissions and until when a booking may be cancelled; QR codes.
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test"
import { newId } from "@bat/contracts"
import { bootService } from "@bat/http"
import { expectProblem, pollUntil } from "@bat/testing"
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose"
import QRCode from "qrcode"
import { bookingService } from "../src/service.ts"
import { book, bookAndPay, handledAtLeast, handledNow, paymentSuccessful, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")

describe("ticket codes", () => {
  test("each booked ticket gets a code that plain jose verifies with the published key set alone, and a tampered code fails", async () => {
    const h = await startHarness()
    let restarted: Awaited<ReturnType<typeof bootService>> | undefined
    try {
      const screening = await schedule(h, scheduled({ seats: ["A1", "A2", "A3"] }))
      const user = newId()
      const { bookingId, view } = await bookAndPay(h, user, screening.screeningId, ["A1", "A2"])
      expect(view.tickets).toEqual([
        { ticketId: expect.any(String), seatNumber: "A1", code: expect.any(String) },
        { ticketId: expect.any(String), seatNumber: "A2", code: expect.any(String) }
      ])
      const booked = await pollUntil(() => h.emittedFor(bookingId).find((e) => e.type === "TicketBooked"))
      expect(booked.data.tickets).toEqual(view.tickets)
      const jwksRes = await fetch(`${h.url}/tickets/.well-known/jwks.json`)
      expect(jwksRes.status).toBe(200)
      const jwks = (await jwksRes.json()) as { keys: Array<{ kid: string; alg: string; use: string; kty: string; crv: string; x: string }> }
      expect(jwks.keys).toEqual([{ kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: expect.any(String), alg: "EdDSA", use: "sig" }])

      // The booking database is closed from here on: only the key set fetched above and jose.
      await h.svc.stop()
      const keySet = createLocalJWKSet(jwks as never)
      for (const t of view.tickets as Array<{ ticketId: string; seatNumber: string; code: string }>) {
        const { payload, protectedHeader } = await jwtVerify(t.code, keySet, { algorithms: ["EdDSA"] })
        expect(protectedHeader).toEqual({ alg: "EdDSA", kid: jwks.keys[0]!.kid, typ: "bat-ticket+jwt" })
        expect(payload).toEqual({
          ticketId: t.ticketId,
          bookingId,
          screeningId: screening.screeningId,
          seatNumber: t.seatNumber,
          startsAt: new Date(screening.startsAt).toISOString()
        })
      }
      const [header, payload, signature] = (view.tickets[0].code as string).split(".")
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString())
      const tampered = [
        `${header}.${b64({ ...claims, seatNumber: "A3" })}.${signature}`,
        `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith("AA") ? "BA" : "AA"}`,
        `${b64({ ...decodeProtectedHeader(view.tickets[0].code), alg: "none" })}.${payload}.`
      ]
      for (const code of tampered) {
        await expect(jwtVerify(code, keySet, { algorithms: ["EdDSA"] })).rejects.toThrow()
      }

      // The key is persisted: a restart publishes the same key set.
      restarted = await bootService(
        bookingService({ PORT: "0", DATA_DIR: h.dataDir, AMQP_URL: h.vhost.amqpUrl, JWKS_URL: "http://127.0.0.1:9/jwks" })
      )
      expect(await (await fetch(`${restarted.url}/tickets/.well-known/jwks.json`)).json()).toEqual(jwks)
    } finally {
      await restarted?.stop()
      await h.stop()
    }
  })
})

describe("the booking view and QR codes", () => {
  let h: Harness
  let screeningId: string
  let startsAt: string
  beforeAll(async () => {
    h = await startHarness({ CANCEL_CUTOFF_MINUTES: "90" })
    const s = await schedule(h, scheduled({ seats: ["B1", "B2", "C1", "C2", "C3", "C4", "D1"] }))
    screeningId = s.screeningId
    startsAt = s.startsAt
  })
  afterAll(async () => {
    await h?.stop()
  })

  test("a reserved booking shows no codes and is cancellable until its hold ends; a booked one until the cut-off", async () => {
    const user = newId()
    const bookingId = await book(h, user, screeningId, ["B1"])
    const reserved = await h.awaitStatus(bookingId, user, ["reserved"])
    expect(reserved.tickets).toEqual([{ ticketId: expect.any(String), seatNumber: "B1" }])
    expect(reserved.cancellableUntil).toBe(reserved.expiresAt)
    await h.publish("PaymentSuccessful", paymentSuccessful({ bookingId, userId: user, amount: reserved.amount, currency: reserved.currency }))
    const booked = await h.awaitStatus(bookingId, user, ["booked"])
    expect(booked.cancellableUntil).toBe(new Date(Date.parse(startsAt) - 90 * 60_000).toISOString())
    expect(booked.tickets[0].code).toEqual(expect.any(String))
    expect(booked.tickets[0].admittedAt).toBeUndefined()
    const list = (await (await h.call("GET", "/tickets", { userId: user })).json()) as { items: Array<any> }
    expect(list.items).toEqual([booked])
  })

  test("a repeated PaymentSuccessful keeps the codes and emits no second TicketBooked", async () => {
    const user = newId()
    const bookingId = await book(h, user, screeningId, ["B2"])
    const reserved = await h.awaitStatus(bookingId, user, ["reserved"])
    const paid = paymentSuccessful({ bookingId, userId: user, amount: reserved.amount, currency: reserved.currency })
    const env = await h.publish("PaymentSuccessful", paid)
    const first = await h.awaitStatus(bookingId, user, ["booked"])
    const before = handledNow(h)
    await h.republish(env)
    await h.publish("PaymentSuccessful", paymentSuccessful({ bookingId, userId: user, amount: reserved.amount, currency: reserved.currency }))
    await handledAtLeast(h, before + 2)
    expect((await (await h.call("GET", `/tickets/bookings/${bookingId}`, { userId: user })).json()).tickets).toEqual(first.tickets)
    await pollUntil(() => h.emittedFor(bookingId).some((e) => e.type === "TicketBooked"))
    expect(h.emittedFor(bookingId).filter((e) => e.type === "TicketBooked")).toHaveLength(1)
  })

  test("a booked ticket's QR code is an SVG of its code, for its owner and staff only", async () => {
    const user = newId()
    const { bookingId, view } = await bookAndPay(h, user, screeningId, ["C1", "C2"])
    const ticket = view.tickets[1]
    const path = `/tickets/bookings/${bookingId}/tickets/${ticket.ticketId}/qr.svg`
    const res = await h.call("GET", path, { userId: user })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toStartWith("image/svg+xml")
    const svg = await res.text()
    expect(svg).toStartWith("<svg")
    expect(svg).toBe(await QRCode.toString(ticket.code, { type: "svg", errorCorrectionLevel: "M", margin: 2 }))
    expect(svg).not.toBe(await QRCode.toString(view.tickets[0].code, { type: "svg", errorCorrectionLevel: "M", margin: 2 }))
    expect((await h.call("GET", path, { userId: newId(), role: "staff" })).status).toBe(200)
    await expectProblem(await h.call("GET", path, { userId: newId() }), 404, "booking_not_found")
    await expectProblem(await h.call("GET", path), 401, "unauthorized")
    await expectProblem(await h.call("GET", `/tickets/bookings/${bookingId}/tickets/${newId()}/qr.svg`, { userId: user }), 404, "ticket_not_found")
    await expectProblem(await h.call("GET", `/tickets/bookings/${bookingId}/tickets/nope/qr.svg`, { userId: user }), 404, "ticket_not_found")
    await expectProblem(await h.call("GET", `/tickets/bookings/${newId()}/tickets/${ticket.ticketId}/qr.svg`, { userId: user }), 404, "booking_not_found")
    // Another booking's ticket is not a ticket of this booking.
    const other = await bookAndPay(h, user, screeningId, ["C3"])
    await expectProblem(
      await h.call("GET", `/tickets/bookings/${bookingId}/tickets/${other.view.tickets[0].ticketId}/qr.svg`, { userId: user }),
      404,
      "ticket_not_found"
    )
    // A reserved ticket has no code yet.
    const pending = await book(h, user, screeningId, ["C4"])
    const reserved = await h.awaitStatus(pending, user, ["reserved"])
    await expectProblem(
      await h.call("GET", `/tickets/bookings/${pending}/tickets/${reserved.tickets[0].ticketId}/qr.svg`, { userId: user }),
      409,
      "ticket_not_valid"
    )
  })

  test("a ticket's QR code is drawn once: a second request is served without drawing it again, never stored by caches", async () => {
    const user = newId()
    const { bookingId, view } = await bookAndPay(h, user, screeningId, ["D1"])
    const path = `/tickets/bookings/${bookingId}/tickets/${view.tickets[0].ticketId}/qr.svg`
    const draws = spyOn(QRCode, "toString")
    try {
      const first = await h.call("GET", path, { userId: user })
      expect(first.status).toBe(200)
      const svg = await first.text()
      expect(draws).toHaveBeenCalledTimes(1)
      const again = await h.call("GET", path, { userId: user })
      expect(await again.text()).toBe(svg)
      expect((await h.call("GET", path, { userId: newId(), role: "staff" })).status).toBe(200)
      expect(draws).toHaveBeenCalledTimes(1)
      expect(again.headers.get("cache-control")).toContain("no-store")
      // The cache answers only after the owner check: another customer still gets 404.
      await expectProblem(await h.call("GET", path, { userId: newId() }), 404, "booking_not_found")
    } finally {
      draws.mockRestore()
    }
  })

  test("the key set is public and the OpenAPI document lists the new routes", async () => {
    expect((await fetch(`${h.url}/tickets/.well-known/jwks.json`)).headers.get("cache-control")).toBe("public, max-age=300")
    const doc = (await (await fetch(`${h.url}/tickets/openapi/json`)).json()) as { paths: Record<string, any> }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/tickets/.well-known/jwks.json",
        "/tickets/bookings/{bookingId}/tickets/{ticketId}/qr.svg",
        "/tickets/checkin",
        "/tickets/bookings/{bookingId}/cancel"
      ])
    )
    expect(Object.keys(doc.paths["/tickets/bookings/{bookingId}/tickets/{ticketId}/qr.svg"].get.responses["200"].content)).toEqual([
      "image/svg+xml"
    ])
    expect(doc.paths["/tickets/checkin"].post.responses["409"].content["application/problem+json"].schema.allOf[1].properties.admittedAt).toMatchObject({
      type: "string"
    })
  })
})
