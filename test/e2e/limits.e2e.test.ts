// Abuse limits through the front door (DESIGN §17, issue findings 2 and 3): a handful of free accounts from one
// address cannot hoard a hall while a customer elsewhere still books; a rapid run of wrong passwords is refused
// before hashing and the owner gets in after the cool-down; notification streams are capped per account.
// "Elsewhere" is a second loopback address (127.0.0.2) as the connection's source: the front door forwards it.
import { pollUntil, type Fleet, type TestVhost } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import http from "node:http"
import { startWholeFleet, stopWholeFleet } from "./wholeFleet.ts"
import { Api, registerCustomer, setupCatalog, type Reply } from "./client.ts"

const ADMIN = { email: "boss@limits.test", password: "correct horse battery" }
const PASSWORD = "correct horse battery"

let vh: TestVhost
let dataDir: string
let fleet: Fleet
let api: Api
let staff: Api

beforeAll(async () => {
  ;({ vh, dataDir, fleet, api, staff } = await startWholeFleet("bat-e2e-limits", ADMIN, {
    // The defaults, but a short cool-down (and no second chance before it) so the test need not wait 15 minutes.
    LOGIN_DELAY_MS: "60000",
    LOGIN_LOCK_SECONDS: "3",
    MAX_STREAMS_PER_ACCOUNT: "3"
  }))
}, 120_000)

afterAll(() => stopWholeFleet({ fleet, vh, dataDir }), 30_000)

/** A JSON request to the front door from the source address `from` (a loopback address). */
const callFrom = (from: string, method: string, path: string, body?: unknown, token?: string): Promise<Reply & { headers: http.IncomingHttpHeaders }> =>
  new Promise((resolve, reject) => {
    const url = new URL(path, fleet.urls.gateway!)
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        localAddress: from,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) }
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (text += c))
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, contentType: String(res.headers["content-type"] ?? ""), headers: res.headers })
        )
      }
    )
    req.on("error", reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })

describe("through the front door", () => {
  test("6 accounts from one address hold at most 30 of a 60-seat hall; a customer from another address still books", async () => {
    const rows = ["A", "B", "C", "D", "E", "F"]
    const { screeningId } = await setupCatalog(staff, rows, 10)
    const attackers = await Promise.all(rows.map((r) => registerCustomer(api, `hoarder-${r}`)))
    const first = await Promise.all(
      attackers.map((a, i) => a.post("/tickets/book", { screeningId, seatNumbers: Array.from({ length: 10 }, (_, n) => `${rows[i]}${n + 1}`) }))
    )
    expect(first.filter((r) => r.status === 202)).toHaveLength(3)
    for (const r of first.filter((r) => r.status !== 202)) {
      expect(r.status).toBe(429)
      expect(r.body.code).toBe("too_many_held_seats")
    }
    // Seat by seat, whatever is left: all refused.
    for (const [i, a] of attackers.entries()) {
      expect((await a.post("/tickets/book", { screeningId, seatNumbers: [`${rows[i]}10`] })).status).toBe(429)
    }
    const held = async () => {
      const map = await api.get(`/screenings/${screeningId}/seats`)
      return (map.body.rows as Array<{ seats: Array<{ seatNumber: string; status: string }> }>).flatMap((r) => r.seats)
    }
    await pollUntil(async () => (await held()).filter((s) => s.status !== "available").length === 30, {
      timeoutMs: 20_000,
      message: "the accepted 30 seats to show as held"
    })
    const free = (await held()).filter((s) => s.status === "available").map((s) => s.seatNumber)
    expect(free).toHaveLength(30)

    // A real customer, from another address, registers, logs in and gets two of the free seats.
    const email = `elsewhere-${crypto.randomUUID().slice(0, 8)}@e2e.test`
    expect((await callFrom("127.0.0.2", "POST", "/users/register", { fullName: "Elsewhere", email, password: PASSWORD })).status).toBe(201)
    const login = await callFrom("127.0.0.2", "POST", "/users/login", { email, password: PASSWORD })
    expect(login.status).toBe(200)
    const booked = await callFrom("127.0.0.2", "POST", "/tickets/book", { screeningId, seatNumbers: free.slice(0, 2) }, login.body.token)
    expect(booked.status).toBe(202)
    const customer = api.as(login.body.token)
    const view = await pollUntil(
      async () => {
        const v = await customer.get(`/tickets/bookings/${booked.body.bookingId}`)
        return v.body.status === "pending" ? undefined : v.body
      },
      { timeoutMs: 15_000, message: "the customer's booking to be decided" }
    )
    expect(view.status).toBe("reserved")
  }, 90_000)

  test("behind nginx on the front door's machine (it writes X-Forwarded-For), one client's 30 held seats do not stop another client", async () => {
    const rows = ["A", "B", "C", "D", "E", "F"]
    const { screeningId } = await setupCatalog(staff, rows, 10)
    /** A customer registered and logged in through the proxy, as the client `address`. */
    const behindProxy = async (name: string, address: string) => {
      const via = { "x-forwarded-for": address }
      const email = `${name}-${crypto.randomUUID().slice(0, 8)}@e2e.test`
      expect((await api.post("/users/register", { fullName: name, email, password: PASSWORD }, via)).status).toBe(201)
      const login = await api.post("/users/login", { email, password: PASSWORD }, via)
      expect(login.status).toBe(200)
      const customer = api.as(login.body.token)
      return { customer, book: (seatNumbers: string[]) => customer.post("/tickets/book", { screeningId, seatNumbers }, via) }
    }
    const hoarders = await Promise.all(["A", "B", "C"].map((r) => behindProxy(`proxied-${r}`, "203.0.113.7")))
    const taken = await Promise.all(hoarders.map((h, i) => h.book(Array.from({ length: 10 }, (_, n) => `${rows[i]}${n + 1}`))))
    expect(taken.map((r) => r.status)).toEqual([202, 202, 202])
    // Past its own quota the first client is refused …
    expect((await hoarders[0]!.book(["D1"])).status).toBe(429)
    // … and another client behind the same proxy still books: services count clients, not the proxy.
    const other = await behindProxy("proxied-other", "198.51.100.9")
    const booked = await other.book(["F1", "F2"])
    expect(booked.status).toBe(202)
    const view = await pollUntil(
      async () => {
        const v = await other.customer.get(`/tickets/bookings/${booked.body.bookingId}`)
        return v.body.status === "pending" ? undefined : v.body
      },
      { timeoutMs: 15_000, message: "the other client's booking to be decided" }
    )
    expect(view.status).toBe("reserved")
  }, 90_000)

  test("the 200th wrong password is 429 without being hashed, and the owner gets in after the cool-down", async () => {
    const email = `owner-${crypto.randomUUID().slice(0, 8)}@e2e.test`
    expect((await api.post("/users/register", { fullName: "Owner", email, password: PASSWORD })).status).toBe(201)
    const started = performance.now()
    const statuses: Array<number> = []
    let last: Reply | undefined
    for (let i = 0; i < 200; i++) {
      last = await api.post("/users/login", { email, password: `guess-${i}` })
      statuses.push(last.status)
    }
    const elapsed = performance.now() - started
    expect(last!.status).toBe(429)
    expect(last!.body.code).toBe("rate_limited")
    const hashed = statuses.filter((s) => s === 401).length
    expect(hashed).toBeLessThanOrEqual(10)
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - hashed)
    // Without the limit 200 hashes take 200 × ~36 ms of CPU (over 7 s); refused attempts cost next to nothing.
    expect(elapsed).toBeLessThan(5_000)
    const ok = await pollUntil(
      async () => {
        const r = await api.post("/users/login", { email, password: PASSWORD })
        return r.status === 200 ? r : undefined
      },
      { timeoutMs: 15_000, intervalMs: 250, message: "the owner to get in after the cool-down" }
    )
    expect(ok.body.user.email).toBe(email)
  }, 60_000)

  test("a fourth notification stream on one account is 429 too_many_streams", async () => {
    const me = await registerCustomer(api, "streamer")
    const aborts: Array<AbortController> = []
    const open = async () => {
      const abort = new AbortController()
      aborts.push(abort)
      const res = await fetch(`${api.base}/notifications/stream`, {
        headers: { accept: "text/event-stream", authorization: `Bearer ${me.token}` },
        signal: abort.signal
      })
      if (res.status === 200) await res.body!.getReader().read() // the opening comment: open on the server
      return res
    }
    try {
      for (let i = 0; i < 3; i++) expect((await open()).status).toBe(200)
      const fourth = await open()
      expect(fourth.status).toBe(429)
      expect(Number(fourth.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
      expect(((await fourth.json()) as { code: string }).code).toBe("too_many_streams")
    } finally {
      for (const a of aborts) a.abort()
    }
  }, 30_000)
})
