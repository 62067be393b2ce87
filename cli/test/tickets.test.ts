// `bookaticket tickets` as a person reads it (DESIGN §8, §9): movie titles, cinema and hall names and start
// times local to the cinema (across a daylight-saving change and in a zone with a 30-minute offset), never
// the screening's id in the table; --json keeps every id. The API is a stub whose answers are checked
// against the booking service's response schemas, so it cannot drift from the real one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Server } from "bun"
import { Schema } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BookingApi } from "@bat/contracts"
import { repoRoot } from "@bat/testing"

const user = "01a22900-0000-7000-8000-000000000001"
const ids = {
  berlin: "01a22900-0000-7000-8000-0000000000b1",
  kolkata: "01a22900-0000-7000-8000-0000000000b2",
  unknown: "01a22900-0000-7000-8000-0000000000b3",
  screeningBerlin: "01a22900-0000-7000-8000-0000000000c1",
  screeningKolkata: "01a22900-0000-7000-8000-0000000000c2",
  screeningUnknown: "01a22900-0000-7000-8000-0000000000c3",
  ticket1: "01a22900-0000-7000-8000-0000000000d1",
  ticket2: "01a22900-0000-7000-8000-0000000000d2",
}

// 2026-10-25 is the last Sunday of October: Berlin's clocks go back from 03:00 CEST to 02:00 CET, so
// 00:30Z and 01:30Z both read 02:30 locally, once as CEST and once as CET.
const bookings: Array<(typeof BookingApi.BookingView)["Encoded"]> = [
  {
    bookingId: ids.berlin,
    userId: user,
    screeningId: ids.screeningBerlin,
    screening: {
      screeningId: ids.screeningBerlin,
      startsAt: "2026-10-25T01:30:00.000Z",
      movieTitle: "Dune: Part Two",
      cinemaName: "Kino am Ufer",
      hallName: "Saal 1",
      timeZone: "Europe/Berlin",
    },
    status: "reserved",
    seatNumbers: ["A1", "A2"],
    tickets: [
      { ticketId: ids.ticket1, seatNumber: "A1" },
      { ticketId: ids.ticket2, seatNumber: "A2" },
    ],
    amount: 2500,
    currency: "EUR",
    expiresAt: "2026-10-25T00:30:00.000Z",
    createdAt: "2026-10-25T00:15:00.000Z",
  },
  {
    bookingId: ids.kolkata,
    userId: user,
    screeningId: ids.screeningKolkata,
    screening: {
      screeningId: ids.screeningKolkata,
      startsAt: "2026-12-05T14:00:00.000Z",
      movieTitle: "Arrival",
      cinemaName: "Regal",
      hallName: "Screen 7",
      timeZone: "Asia/Kolkata",
    },
    status: "booked",
    seatNumbers: ["C4"],
    tickets: [],
    amount: 45000,
    currency: "INR",
    createdAt: "2026-12-01T10:00:00.000Z",
  },
  {
    bookingId: ids.unknown,
    userId: user,
    screeningId: ids.screeningUnknown,
    screening: {
      screeningId: ids.screeningUnknown,
      startsAt: null,
      movieTitle: null,
      cinemaName: null,
      hallName: null,
      timeZone: null,
    },
    status: "failed",
    seatNumbers: ["B1"],
    tickets: [],
    amount: null,
    currency: null,
    reason: "unknown_screening",
    createdAt: "2026-12-01T09:00:00.000Z",
  },
]
const page: BookingApi.BookingPage = Schema.decodeUnknownSync(BookingApi.BookingPage)({ items: bookings, nextCursor: null })

let server: Server<undefined>
const configDir = mkdtempSync(join(tmpdir(), "bat-cli-tickets-"))

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname
      if (path === "/tickets") return Response.json(page)
      const one = page.items.find((b) => path === `/tickets/bookings/${b.bookingId}`)
      if (one) return Response.json(one)
      return new Response(JSON.stringify({ status: 404, code: "booking_not_found", detail: "No such booking." }), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      })
    },
  })
  const exp = Math.floor(Date.now() / 1000) + 3600
  const token = `h.${Buffer.from(JSON.stringify({ sub: user, role: "customer", exp })).toString("base64url")}.s`
  writeFileSync(
    join(configDir, "config.json"),
    JSON.stringify({ api: `http://127.0.0.1:${server.port}`, token, user: { userId: user, fullName: "Ada", email: "ada@example.com", role: "customer" } }),
    { mode: 0o600 },
  )
})
afterAll(() => {
  server.stop(true)
  rmSync(configDir, { recursive: true, force: true })
})

const cli = async (args: string[]) => {
  const proc = Bun.spawn([process.execPath, "cli/src/main.ts", ...args], {
    cwd: repoRoot(),
    env: { ...process.env, BOOKATICKET_CONFIG_DIR: configDir, BOOKATICKET_API: `http://127.0.0.1:${server.port}`, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code }
}

/** The table's body line for a booking (cli-table3 draws one line per row when nothing wraps). */
const rowOf = (table: string, bookingId: string): string => {
  const line = table.split("\n").find((l) => l.includes(bookingId))
  expect(line, `a row for ${bookingId}`).toBeDefined()
  return line!
}

describe("bookaticket tickets", () => {
  test("the table names the movie, cinema and hall and shows local start times, never the screening's id", async () => {
    const { stdout, stderr, code } = await cli(["tickets"])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const header = stdout.split("\n").find((l) => l.includes("booking"))!
    for (const column of ["movie", "cinema", "hall", "starts", "seats", "amount"]) expect(header).toContain(column)

    // Berlin after the clocks went back: 01:30Z is 02:30 CET; the hold deadline at 00:30Z was 02:30 CEST.
    const berlin = rowOf(stdout, ids.berlin)
    for (const text of ["reserved", "Dune: Part Two", "Kino am Ufer", "Saal 1", "Sun 25 Oct, 02:30 CET ", "pay before Sun 25 Oct, 02:30 CEST", "A1, A2"]) {
      expect(berlin).toContain(text)
    }
    // India is UTC+5:30 all year: 14:00Z is 19:30.
    const kolkata = rowOf(stdout, ids.kolkata)
    for (const text of ["booked", "Arrival", "Regal", "Screen 7", "Sat 5 Dec, 19:30 GMT+5:30", "C4"]) expect(kolkata).toContain(text)
    // Not yet named: said so in words, not with an id.
    const unknown = rowOf(stdout, ids.unknown)
    expect(unknown).toContain("(not known yet)")
    expect(unknown).toContain("the screening is not known")

    for (const screeningId of [ids.screeningBerlin, ids.screeningKolkata, ids.screeningUnknown]) expect(stdout).not.toContain(screeningId)
    expect(stdout).not.toContain("UTC")
  })

  test("--json keeps every id", async () => {
    const { stdout, code } = await cli(["tickets", "--json"])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual(page)
  })

  test("tickets <bookingId> names the screening with its local start and the hold deadline in the cinema's zone", async () => {
    const { stdout, code } = await cli(["tickets", ids.berlin])
    expect(code).toBe(0)
    expect(stdout).toMatch(/movie\s+Dune: Part Two/)
    expect(stdout).toMatch(/cinema\s+Kino am Ufer/)
    expect(stdout).toMatch(/hall\s+Saal 1/)
    expect(stdout).toMatch(/starts\s+Sun 25 Oct, 02:30 CET\n/)
    expect(stdout).toMatch(/pay before\s+Sun 25 Oct, 02:30 CEST/)
    expect(stdout).not.toContain(ids.screeningBerlin)
    expect(stdout).toContain(ids.ticket1)
  })

  test("tickets <bookingId> of a screening not named yet falls back to its id", async () => {
    const { stdout, code } = await cli(["tickets", ids.unknown])
    expect(code).toBe(0)
    expect(stdout).toMatch(/movie\s+\(not known yet\)/)
    expect(stdout).toContain(ids.screeningUnknown)
  })
})
