// The /tickets HTTP API: idempotency keys, who may see what, listing, validation, and no 5xx for any input.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { assertNoServerErrors, expectBadCursorsRefused, expectMalformedIdsLikeUnknown, expectInvalidCursor, expectMethodNotAllowed, expectProblem, OVERSIZED_MARKERS, type FuzzRequest } from "@bat/testing"
import fc from "fast-check"
import { book, bookAndPay, rows, schedule, scheduled, startHarness, type Harness } from "./harness.ts"

let h: Harness
let screeningId: string

beforeAll(async () => {
  h = await startHarness()
  screeningId = (await schedule(h, scheduled())).screeningId
})
afterAll(async () => {
  await h?.stop()
})

const bookWithKey = (userId: string, key: string, seatNumbers: ReadonlyArray<string>) =>
  h.call("POST", "/tickets/book", { userId, body: { screeningId, seatNumbers }, headers: { "idempotency-key": key } })

describe("POST /tickets/book", () => {
  test("a booking request is accepted as pending at once and the booking row exists from that moment", async () => {
    const user = newId()
    const res = await h.call("POST", "/tickets/book", { userId: user, body: { screeningId: newId(), seatNumbers: ["C7"] } })
    expect(res.status).toBe(202)
    const body = (await res.json()) as { bookingId: string; status: string }
    expect(body).toEqual({ bookingId: expect.any(String), status: "pending" })
    expect(rows(h, "SELECT status, user_id FROM bookings WHERE booking_id = ?", body.bookingId)).toEqual([
      { status: "pending", user_id: user }
    ])
  })

  test("the same idempotency key with the same body returns the first response and books once", async () => {
    const user = newId()
    const key = `key-${newId()}`
    const first = await bookWithKey(user, key, ["A1", "A2"])
    const second = await bookWithKey(user, key, ["A1", "A2"])
    expect(first.status).toBe(202)
    expect(second.status).toBe(202)
    const a = await first.json()
    expect(await second.json()).toEqual(a)
    expect(rows(h, "SELECT count(*) AS n FROM bookings WHERE user_id = ?", user)).toEqual([{ n: 1 }])
  })

  test("the same idempotency key with a different body is 422 idempotency_key_reused", async () => {
    const user = newId()
    const key = `key-${newId()}`
    expect((await bookWithKey(user, key, ["A3"])).status).toBe(202)
    await expectProblem(await bookWithKey(user, key, ["A4"]), 422, "idempotency_key_reused")
    expect(rows(h, "SELECT count(*) AS n FROM bookings WHERE user_id = ?", user)).toEqual([{ n: 1 }])
  })

  test("idempotency keys are scoped per user, and requests without a key are never deduplicated", async () => {
    const key = `shared-${newId()}`
    const [u1, u2] = [newId(), newId()]
    const a = (await (await bookWithKey(u1, key, ["B1"])).json()) as { bookingId: string }
    const b = (await (await bookWithKey(u2, key, ["B1"])).json()) as { bookingId: string }
    expect(a.bookingId).not.toBe(b.bookingId)
    await book(h, u1, screeningId, ["B2"])
    await book(h, u1, screeningId, ["B2"])
    expect(rows(h, "SELECT count(*) AS n FROM bookings WHERE user_id = ?", u1)).toEqual([{ n: 3 }])
  })

  test("concurrent repeats of one idempotency key create one booking", async () => {
    const user = newId()
    const key = `race-${newId()}`
    const answers = await Promise.all(Array.from({ length: 8 }, () => bookWithKey(user, key, ["B3"]).then((r) => r.json())))
    expect(new Set(answers.map((a: any) => a.bookingId)).size).toBe(1)
    expect(rows(h, "SELECT count(*) AS n FROM bookings WHERE user_id = ?", user)).toEqual([{ n: 1 }])
  })

  test("an idempotency key older than 24 hours is forgotten", async () => {
    const user = newId()
    const key = `old-${newId()}`
    const first = (await (await bookWithKey(user, key, ["B4"])).json()) as { bookingId: string }
    h.svc.store.db.prepare("UPDATE idempotency_keys SET created_at = created_at - 86400001 WHERE key = ?").run(key)
    const again = (await (await bookWithKey(user, key, ["B5"])).json()) as { bookingId: string }
    expect(again.bookingId).not.toBe(first.bookingId)
  })

  test("invalid requests are 422 invalid_input with per-field errors, malformed JSON is 400 malformed_json", async () => {
    const user = newId()
    const invalid = [
      { screeningId, seatNumbers: [] },
      { screeningId, seatNumbers: ["A1", "A1"] },
      { screeningId, seatNumbers: Array.from({ length: 11 }, (_, i) => `A${i + 1}`) },
      { screeningId, seatNumbers: ["a1"] },
      { screeningId, seatNumbers: ["A0"] },
      { screeningId: "not-a-uuid", seatNumbers: ["A1"] },
      { seatNumbers: ["A1"] },
      {}
    ]
    for (const body of invalid) {
      const p = await expectProblem(await h.call("POST", "/tickets/book", { userId: user, body }), 422, "invalid_input")
      expect(Array.isArray(p.errors)).toBe(true)
    }
    await expectProblem(await h.call("POST", "/tickets/book", { userId: user, body: '{"screeningId": ' }), 400, "malformed_json")
    await expectProblem(await bookWithKey(user, "x".repeat(256), ["A1"]), 422, "invalid_input")
    expect(rows(h, "SELECT count(*) AS n FROM bookings WHERE user_id = ?", user)).toEqual([{ n: 0 }])
  })

  test("booking needs a valid token: 401 without one", async () => {
    await expectProblem(await h.call("POST", "/tickets/book", { body: { screeningId, seatNumbers: ["A1"] } }), 401, "unauthorized")
    await expectProblem(
      await h.call("POST", "/tickets/book", { body: { screeningId, seatNumbers: ["A1"] }, headers: { authorization: "Bearer abc.def.ghi" } }),
      401,
      "invalid_token"
    )
  })
})

describe("reading bookings", () => {
  test("a booking is visible to its owner and to staff, and is 404 booking_not_found for anyone else", async () => {
    const owner = newId()
    const bookingId = await book(h, owner, screeningId, ["C1"])
    expect((await h.call("GET", `/tickets/bookings/${bookingId}`, { userId: owner })).status).toBe(200)
    expect((await h.call("GET", `/tickets/bookings/${bookingId}`, { userId: newId(), role: "staff" })).status).toBe(200)
    await expectProblem(await h.call("GET", `/tickets/bookings/${bookingId}`, { userId: newId() }), 404, "booking_not_found")
    await expectProblem(await h.call("GET", `/tickets/bookings/${newId()}`, { userId: owner }), 404, "booking_not_found")
    await expectProblem(await h.call("GET", `/tickets/bookings/${bookingId}`), 401, "unauthorized")
    await expectProblem(await h.call("GET", "/tickets/bookings/nope", { userId: owner }), 404, "booking_not_found")
  })

  test("a malformed booking id gets the same 404 booking_not_found as an unknown one, for customers and staff", async () => {
    await expectMalformedIdsLikeUnknown((id) => h.call("GET", `/tickets/bookings/${id}`, { userId: newId() }), "booking_not_found")
    await expectMalformedIdsLikeUnknown(
      (id) => h.call("GET", `/tickets/bookings/${id}`, { userId: newId(), role: "staff" }),
      "booking_not_found"
    )
  })

  test("a cursor the list did not hand out is 422 invalid_cursor with a field error on cursor", async () => {
    const user = newId()
    await book(h, user, screeningId, ["E1"])
    await expectBadCursorsRefused((cursor) => h.call("GET", `/tickets?limit=1&cursor=${cursor}`, { userId: user }))
  })

  test("GET /tickets lists only the caller's bookings, newest first, page by page", async () => {
    const user = newId()
    const ids: Array<string> = []
    for (const seat of ["D1", "D2", "D3", "D4", "D5"]) ids.push(await book(h, user, screeningId, [seat]))
    await book(h, newId(), screeningId, ["D6"])
    const seen: Array<string> = []
    let cursor: string | null = null
    do {
      const res: Response = await h.call("GET", `/tickets?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { userId: user })
      expect(res.status).toBe(200)
      const page = (await res.json()) as { items: Array<{ bookingId: string; seatNumbers: Array<string> }>; nextCursor: string | null }
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items.map((b) => b.bookingId))
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(seen).toEqual([...ids].reverse())
    const all = (await (await h.call("GET", "/tickets", { userId: user })).json()) as { items: Array<unknown>; nextCursor: null }
    expect(all.items.length).toBe(5)
    expect(all.nextCursor).toBeNull()
    await expectInvalidCursor(await h.call("GET", "/tickets?cursor=bm90LWFuLWlk", { userId: user }))
    await expectProblem(await h.call("GET", "/tickets?limit=0", { userId: user }), 422, "invalid_input")
    await expectProblem(await h.call("GET", "/tickets?limit=201", { userId: user }), 422, "invalid_input")
    await expectProblem(await h.call("GET", "/tickets"), 401, "unauthorized")
  })

  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    await expectMethodNotAllowed(await h.call("GET", "/tickets/book", { userId: newId() }), "POST")
    await expectMethodNotAllowed(await h.call("DELETE", `/tickets/bookings/${newId()}`, { userId: newId() }), "GET, HEAD")
    await expectMethodNotAllowed(await h.call("POST", "/tickets", { userId: newId() }), "GET, HEAD")
    await expectMethodNotAllowed(await h.call("GET", "/tickets/checkin", { userId: newId() }), "POST")
    await expectMethodNotAllowed(await h.call("GET", `/tickets/bookings/${newId()}/cancel`, { userId: newId() }), "POST")
    await expectMethodNotAllowed(await h.call("POST", "/tickets/reports/days/2027-01-15", { userId: newId() }), "GET, HEAD")
  })

  test("unknown routes are 404 not_found problems and the OpenAPI document lists the routes", async () => {
    await expectProblem(await h.call("GET", "/tickets/nothing/here", { userId: newId() }), 404, "not_found")
    const doc = (await (await fetch(`${h.url}/tickets/openapi/json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/tickets/book", "/tickets/bookings/{bookingId}"]))
  })
})

describe("answers carrying ticket codes", () => {
  test("the booking, the list and the QR image are never stored by a cache, and carry the security headers", async () => {
    const user = newId()
    const own = (await schedule(h, scheduled())).screeningId
    const { bookingId, view } = await bookAndPay(h, user, own, ["A1"])
    const ticketId = view.tickets[0].ticketId as string
    for (const path of [`/tickets/bookings/${bookingId}`, "/tickets", `/tickets/bookings/${bookingId}/tickets/${ticketId}/qr.svg`]) {
      const res = await h.call("GET", path, { userId: user })
      const body = await res.text()
      expect({ path, status: res.status, code: body.includes(view.tickets[0].code) || path.endsWith(".svg") }).toEqual({ path, status: 200, code: true })
      expect({
        path,
        cache: res.headers.get("cache-control"),
        nosniff: res.headers.get("x-content-type-options"),
        referrer: res.headers.get("referrer-policy"),
        frame: res.headers.get("x-frame-options")
      }).toEqual({ path, cache: "no-store", nosniff: "nosniff", referrer: "no-referrer", frame: "DENY" })
    }
  })
})

describe("no input yields a 5xx", () => {
  test("random and malformed bodies, ids, headers and query strings are answered with 2xx or 4xx", async () => {
    const user = newId()
    const token = await h.token(user)
    const seat = fc.oneof(fc.constantFrom("A1", "B2", "ZZ999", "A0", "a1", "", "A1000"), fc.string({ maxLength: 8 }))
    const json = fc.oneof(
      fc.record(
        {
          screeningId: fc.oneof(fc.uuid(), fc.constant(screeningId), fc.string(), fc.integer(), fc.constant(null)),
          seatNumbers: fc.oneof(fc.array(seat, { maxLength: 12 }), fc.string(), fc.constant(null), fc.array(fc.integer()))
        },
        { requiredKeys: [] }
      ),
      fc.jsonValue()
    )
    // Valid requests too, often enough for the account to meet its booking rate.
    const valid = fc.constantFrom("A1", "A2", "A3", "B1", "B2").map((seat) => JSON.stringify({ screeningId, seatNumbers: [seat] }))
    const body = fc.oneof(
      json.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.constantFrom("", "{", "[]", "null", '{"screeningId":', "\u0000", '{"__proto__":{"x":1}}'),
      fc.constantFrom(...OVERSIZED_MARKERS)
    )
    const text = fc.oneof(fc.string({ maxLength: 60 }), fc.uuid(), fc.constantFrom("..", "%", "%00", "%E0%A4%A", "a b", "?x=1", "/"))
    const enc = (s: string) => {
      try {
        return encodeURIComponent(s)
      } catch {
        return "x"
      }
    }
    const request = fc.oneof(
      fc.record({ kind: fc.constant("book" as const), body, key: fc.option(fc.string({ maxLength: 300 })), contentType: fc.constantFrom("application/json", "text/plain", "") }),
      fc.record({ kind: fc.constant("book" as const), body: valid, key: fc.constant(null), contentType: fc.constant("application/json") }),
      fc.record({ kind: fc.constant("get" as const), id: text, raw: fc.boolean() }),
      fc.record({ kind: fc.constant("list" as const), limit: fc.option(text), cursor: fc.option(text) })
    )
    const requests = fc.tuple(request, fc.boolean()).map(([r, authed]): FuzzRequest => {
      const authorization = authed ? `Bearer ${token}` : undefined
      if (r.kind === "book") {
        const key = r.key === null ? undefined : [...r.key].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) < 0x7f).join("")
        return { method: "POST", path: "/tickets/book", body: r.body, headers: { authorization, "content-type": r.contentType || undefined, "idempotency-key": key } }
      }
      if (r.kind === "get") return { method: "GET", path: `/tickets/bookings/${r.raw ? r.id.replace(/[#?\s]/g, "") : enc(r.id)}`, headers: { authorization } }
      const q = [r.limit === null ? "" : `limit=${enc(r.limit)}`, r.cursor === null ? "" : `cursor=${enc(r.cursor)}`].filter(Boolean).join("&")
      return { method: "GET", path: `/tickets?${q}`, headers: { authorization } }
    })
    const statuses = await assertNoServerErrors({ url: h.url, requests, numRuns: 1000 })
    // One account booking this often meets its booking rate (429 rate_limited) or its held-seat quota.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([202, 429]))
  })
})

describe("no input to the door, cancellation and report routes yields a 5xx", () => {
  test("random codes, ids, dates and query strings are answered with 2xx or 4xx problems", async () => {
    const staff = await h.token(newId(), "staff")
    const customer = await h.token(newId())
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.uuid(), fc.constantFrom("..", "%", "%00", "a.b.c", "2027-02-30", "2027-13-01", "qr.svg"))
    const enc = (s: string) => {
      try {
        return encodeURIComponent(s)
      } catch {
        return "x"
      }
    }
    const code = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(([a, b, c]) => `${a}.${b}.${c}`.replace(/[+/=]/g, "_")),
      fc.constant("eyJhbGciOiJub25lIn0.eyJ0aWNrZXRJZCI6MX0."),
      fc.string({ minLength: 2049, maxLength: 2100 })
    )
    const request = fc.oneof(
      fc.record({ kind: fc.constant("checkin" as const), body: fc.oneof(fc.record({ code, screeningId: fc.option(fc.oneof(fc.uuid(), fc.string())) }, { requiredKeys: [] }), fc.jsonValue()) }),
      fc.record({ kind: fc.constant("cancel" as const), id: text }),
      fc.record({ kind: fc.constant("qr" as const), id: text, ticket: text }),
      fc.record({ kind: fc.constant("screeningReport" as const), id: text }),
      fc.record({ kind: fc.constant("dayReport" as const), date: text, cinemaId: fc.option(text) })
    )
    const requests = fc.tuple(request, fc.constantFrom(staff, customer, "")).map(([r, token]): FuzzRequest => {
      const headers = { authorization: token === "" ? undefined : `Bearer ${token}` }
      if (r.kind === "checkin") return { method: "POST", path: "/tickets/checkin", body: JSON.stringify(r.body), headers: { ...headers, "content-type": "application/json" } }
      if (r.kind === "cancel") return { method: "POST", path: `/tickets/bookings/${enc(r.id)}/cancel`, headers }
      if (r.kind === "qr") return { method: "GET", path: `/tickets/bookings/${enc(r.id)}/tickets/${enc(r.ticket)}/qr.svg`, headers }
      if (r.kind === "screeningReport") return { method: "GET", path: `/tickets/reports/screenings/${enc(r.id)}`, headers }
      return { method: "GET", path: `/tickets/reports/days/${enc(r.date)}${r.cinemaId === null ? "" : `?cinemaId=${enc(r.cinemaId)}`}`, headers }
    })
    await assertNoServerErrors({ url: h.url, requests, numRuns: 400 })
  })
})
