// tickets show, cancel, checkin, report and the screenings cancel preview as a person reads them, against a
// stub API whose every answer is first decoded with the booking service's response schemas (so the stub
// cannot drift from the contract) and which keeps the door's rules: a ticket is admitted once, and an
// Idempotency-Key repeat gets its first answer.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test"
import type { Server } from "bun"
import { Schema } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BookingApi, CinemasApi } from "@bat/contracts"
import { repoRoot } from "@bat/testing"

const id = (n: number) => `01a22900-0000-7000-8000-${n.toString(16).padStart(12, "0")}`
const ids = { staff: id(1), customer: id(2), booked: id(10), cancelled: id(11), closed: id(12), screening: id(20), other: id(21), cinema: id(30), t1: id(40), t2: id(41), t3: id(42), t4: id(43), t5: id(44) }

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")
const codeFor = (ticketId: string, bookingId: string, seatNumber: string) =>
  `${b64({ alg: "EdDSA", kid: "k1" })}.${b64({ ticketId, bookingId, screeningId: ids.screening, seatNumber, startsAt: "2026-12-05T18:30:00Z" })}.${"s".repeat(86)}`
const codes = {
  a1: codeFor(ids.t1, ids.booked, "A1"),
  a2: codeFor(ids.t2, ids.booked, "A2"),
  c1: codeFor(ids.t3, ids.cancelled, "C1"),
  /** Answered checkin_too_early / checkin_too_late by the stub. */
  e1: codeFor(ids.t4, ids.booked, "B1"),
  l1: codeFor(ids.t5, ids.booked, "B2"),
}
const tampered = `${codes.a2.slice(0, -3)}xyz`

const screening = {
  screeningId: ids.screening,
  startsAt: "2026-12-05T18:30:00.000Z",
  movieTitle: "Dune",
  cinemaName: "Kino Mitte",
  hallName: "Hall 1",
  timeZone: "Europe/Berlin",
}
const view = (v: (typeof BookingApi.BookingView)["Encoded"]) => Schema.decodeUnknownSync(BookingApi.BookingView)(v)
const bookingBase = { userId: ids.customer, screeningId: ids.screening, screening, amount: 2500, currency: "EUR", createdAt: "2026-12-01T10:00:00.000Z" }
const booked = view({
  ...bookingBase,
  bookingId: ids.booked,
  status: "booked",
  seatNumbers: ["A1", "A2"],
  tickets: [
    { ticketId: ids.t1, seatNumber: "A1", code: codes.a1 },
    { ticketId: ids.t2, seatNumber: "A2", code: codes.a2 },
  ],
  cancellableUntil: "2026-12-05T17:30:00.000Z",
})
const cancelled = view({ ...bookingBase, bookingId: ids.cancelled, status: "cancelled", seatNumbers: ["C1"], tickets: [{ ticketId: ids.t3, seatNumber: "C1" }], reason: "customer_cancelled" })
const closed = view({ ...bookingBase, bookingId: ids.closed, status: "booked", seatNumbers: ["D1"], tickets: [{ ticketId: id(43), seatNumber: "D1" }], cancellableUntil: "2026-12-05T17:30:00.000Z" })

const report = Schema.decodeUnknownSync(BookingApi.ScreeningReport)({
  screeningId: ids.screening,
  screening,
  capacity: 20,
  seats: { available: 13, reserved: 3, booked: 4, admitted: 1 },
  bookings: { pending: 0, reserved: 1, booked: 2, cancelled: 1, failed: 1 },
  revenue: { gross: 12500, refunded: 2500, net: 10000, currency: "EUR" },
})
const dayReport = Schema.decodeUnknownSync(BookingApi.DayReport)({
  date: "2026-12-05",
  cinemaId: ids.cinema,
  screenings: [report],
  totals: { capacity: 20, seats: report.seats, bookings: report.bookings, revenue: [report.revenue] },
})
const cinema = Schema.decodeUnknownSync(CinemasApi.Cinema)({ cinemaId: ids.cinema, name: "Kino Mitte", address: "Unter den Linden 1", timeZone: "Europe/Berlin", halls: [], revision: 1 })

/** What the stub saw and decided. */
const state = {
  admitted: new Map<string, string>(),
  keys: new Map<string, { status: number; body: unknown }>(),
  checkins: [] as Array<{ key: string | null; body: { code: string; screeningId?: string } }>,
  /** Fail this many check-ins with a dropped connection before answering (a flaky network). */
  dropNext: 0,
  deleted: [] as string[],
  cancelledIds: [] as string[],
}

const problem = (status: number, code: string, detail: string, extra: object = {}) =>
  new Response(JSON.stringify({ type: "about:blank", title: code, status, code, detail, ...extra }), {
    status,
    headers: { "content-type": "application/problem+json" },
  })

const checkin = (body: { code: string; screeningId?: string }): { status: number; body: unknown } => {
  // Like the API: a door always names its screening.
  if (typeof body.screeningId !== "string") return { status: 422, body: { status: 422, code: "invalid_input", detail: "The request body is invalid." } }
  const known = [[codes.a1, ids.t1, "A1"], [codes.a2, ids.t2, "A2"], [codes.c1, ids.t3, "C1"], [codes.e1, ids.t4, "B1"], [codes.l1, ids.t5, "B2"]].find(([c]) => c === body.code)
  if (!known) return { status: 422, body: { status: 422, code: "invalid_ticket_code", detail: "This is not a ticket code of ours." } }
  const [, ticketId, seatNumber] = known as [string, string, string]
  if (ticketId === ids.t3) return { status: 409, body: { status: 409, code: "ticket_not_valid", detail: "This ticket is not valid." } }
  if (body.screeningId && body.screeningId !== ids.screening) return { status: 409, body: { status: 409, code: "wrong_screening", detail: "This ticket is for another screening." } }
  if (ticketId === ids.t4) {
    const opensAt = "2026-12-05T17:30:00.000Z"
    return { status: 409, body: { status: 409, code: "checkin_too_early", detail: `Check-in for this ticket's screening opens at ${opensAt}; come back then.`, opensAt } }
  }
  if (ticketId === ids.t5) {
    const endedAt = "2026-12-05T20:40:00.000Z"
    return { status: 409, body: { status: 409, code: "checkin_too_late", detail: `This ticket's screening ended at ${endedAt}.`, endedAt } }
  }
  const first = state.admitted.get(ticketId)
  if (first) return { status: 409, body: { status: 409, code: "already_admitted", detail: `Already admitted at ${first}.`, admittedAt: first } }
  const admittedAt = "2026-12-05T18:02:00.000Z"
  state.admitted.set(ticketId, admittedAt)
  const admission = Schema.decodeUnknownSync(BookingApi.Admission)({ ticketId, bookingId: ids.booked, seatNumber, screening, admittedAt })
  return { status: 200, body: admission }
}

let server: Server<undefined>
const configDir = mkdtempSync(join(tmpdir(), "bat-cli-door-"))

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url)
      const path = url.pathname
      if (req.method === "POST" && path === "/tickets/checkin") {
        const key = req.headers.get("idempotency-key")
        const body = (await req.json()) as { code: string; screeningId?: string }
        state.checkins.push({ key, body })
        const answer = (key && state.keys.get(key)) || checkin(body)
        if (key) state.keys.set(key, answer)
        if (state.dropNext > 0) {
          state.dropNext--
          // Done, but the answer is lost on the way back (the front door reports its upstream gone).
          return problem(502, "bad_gateway", "The booking service did not answer.")
        }
        return answer.status === 200
          ? Response.json(answer.body)
          : new Response(JSON.stringify(answer.body), { status: answer.status, headers: { "content-type": "application/problem+json" } })
      }
      const cancel = /^\/tickets\/bookings\/([^/]+)\/cancel$/.exec(path)
      if (req.method === "POST" && cancel) {
        if (cancel[1] === ids.closed) return problem(409, "cancellation_closed", "This booking could be cancelled until 2026-12-05T17:30:00.000Z; that time has passed.")
        if (cancel[1] === ids.booked) {
          state.cancelledIds.push(ids.booked)
          const { cancellableUntil: _, ...rest } = booked
          return Response.json(view({ ...rest, status: "cancelled", reason: "customer_cancelled" } as never))
        }
        return problem(404, "booking_not_found", "No such booking.")
      }
      const one = [booked, cancelled, closed].find((b) => path === `/tickets/bookings/${b.bookingId}`)
      if (one) return Response.json(one)
      if (path === `/tickets/reports/screenings/${ids.screening}`) return Response.json(report)
      if (path.startsWith("/tickets/reports/screenings/")) return problem(404, "screening_not_found", "No such screening.")
      if (path === "/tickets/reports/days/2026-12-05") return Response.json(dayReport)
      if (path.startsWith("/tickets/reports/days/")) return Response.json({ ...dayReport, date: path.slice(-10), screenings: [], totals: { capacity: 0, seats: { available: 0, reserved: 0, booked: 0, admitted: 0 }, bookings: { pending: 0, reserved: 0, booked: 0, cancelled: 0, failed: 0 }, revenue: [] } })
      if (path === `/cinemas/${ids.cinema}`) return Response.json(cinema)
      if (req.method === "DELETE" && path.startsWith("/screenings/")) {
        state.deleted.push(path.slice("/screenings/".length))
        return new Response(null, { status: 204 })
      }
      return problem(404, "not_found", "No such thing.")
    },
  })
  const exp = Math.floor(Date.now() / 1000) + 3600
  const token = `h.${Buffer.from(JSON.stringify({ sub: ids.staff, role: "staff", exp })).toString("base64url")}.s`
  writeFileSync(join(configDir, "config.json"), JSON.stringify({ api: `http://127.0.0.1:${server.port}`, token }), { mode: 0o600 })
})
afterAll(() => {
  server.stop(true)
  rmSync(configDir, { recursive: true, force: true })
})
beforeEach(() => {
  state.admitted.clear()
  state.keys.clear()
  state.checkins.length = 0
  state.dropNext = 0
})

const cli = async (args: string[], input?: string) => {
  const proc = Bun.spawn([process.execPath, "cli/src/main.ts", ...args], {
    cwd: repoRoot(),
    env: { ...process.env, BOOKATICKET_CONFIG_DIR: configDir, BOOKATICKET_API: `http://127.0.0.1:${server.port}`, NO_COLOR: "1" },
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code }
}

describe("tickets show", () => {
  test("names the screening in local time and draws each ticket's QR code with its code", async () => {
    const { stdout, stderr, code } = await cli(["tickets", "show", ids.booked])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(stdout).toMatch(/movie\s+Dune/)
    expect(stdout).toMatch(/hall\s+Hall 1/)
    expect(stdout).toMatch(/starts\s+Sat 5 Dec, 19:30 CET/)
    expect(stdout).toMatch(/cancel until\s+Sat 5 Dec, 18:30 CET/)
    expect(stdout).toContain("Seat A1 — show this at the door")
    expect(stdout).toContain(codes.a1)
    expect(stdout).toContain(codes.a2)
    // Two QR codes drawn with block characters.
    expect(stdout.split("\n").filter((l) => /[▀▄█]/.test(l)).length).toBeGreaterThan(20)
    expect(stdout).not.toContain(ids.screening)
  })

  test("--json prints the booking view", async () => {
    const { stdout, code } = await cli(["tickets", "show", ids.booked, "--json"])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(booked)))
  })

  test("tickets <bookingId> still shows one booking", async () => {
    const { stdout, code } = await cli(["tickets", ids.booked])
    expect(code).toBe(0)
    expect(stdout).toContain(codes.a1)
  })
})

describe("cancel", () => {
  test("without a terminal and without --yes it refuses and changes nothing", async () => {
    const { stderr, code } = await cli(["cancel", ids.booked])
    expect(code).toBe(2)
    expect(stderr).toContain("add --yes to confirm")
    expect(stderr).toContain("a refund of EUR 25.00 follows")
    expect(state.cancelledIds).toEqual([])
  })

  test("with --yes a booked booking is cancelled and the refund is announced", async () => {
    const { stdout, code } = await cli(["cancel", ids.booked, "--yes"])
    expect(code).toBe(0)
    expect(stdout).toContain("Cancelled seats A1, A2 for Dune at Kino Mitte, Hall 1 — Sat 5 Dec, 19:30 CET; a refund of EUR 25.00 follows")
    expect(state.cancelledIds).toEqual([ids.booked])
  })

  test("a closed cancellation and an ended booking are plain sentences with exit code 1", async () => {
    const late = await cli(["cancel", ids.closed, "--yes"])
    expect(late.code).toBe(1)
    expect(late.stderr).toContain("it is too late to cancel: this booking could be cancelled until Sat 5 Dec, 18:30 CET")
    const ended = await cli(["cancel", ids.cancelled, "--yes", "--json"])
    expect(ended.code).toBe(1)
    expect(JSON.parse(ended.stderr).error).toMatchObject({ code: "booking_not_cancellable", message: expect.stringContaining("already cancelled") })
  })
})

describe("checkin", () => {
  test("one code: one line naming the seat and the screening; a second scan is refused with the first time", async () => {
    const first = await cli(["checkin", codes.a1, "--screening", ids.screening])
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    expect(first.stdout).toBe("Admitted: seat A1, Dune, Sat 5 Dec 19:30, Hall 1\n")
    const again = await cli(["checkin", codes.a1, "--screening", ids.screening])
    expect(again.code).toBe(1)
    expect(again.stdout).toBe("Already admitted at Sat 5 Dec 19:02 — seat A1\n")
    expect(again.stderr).toBe("")
  })

  test("refusals read as sentences", async () => {
    expect((await cli(["checkin", codes.c1, "--screening", ids.screening])).stdout).toBe("Not valid: booking cancelled — seat C1\n")
    expect((await cli(["checkin", codes.a2, "--screening", ids.other])).stdout).toBe(
      "Wrong screening: this ticket is for Dune, Sat 5 Dec 19:30, Hall 1 — seat A2\n",
    )
    const bad = await cli(["checkin", tampered, "--screening", ids.screening])
    expect(bad.stdout).toBe("Not a valid ticket code\n")
    expect(bad.code).toBe(1)
    const junk = await cli(["checkin", "not a code", "--screening", ids.screening])
    expect(junk.stdout).toBe("Not a valid ticket code\n")
  })

  test("- reads one code per line, skips blank lines, prints one numbered line each and exits 1 if any was refused", async () => {
    const { stdout, stderr, code } = await cli(["checkin", "-", "--screening", ids.screening], `${codes.a1}\n\n${codes.a1}\r\n   \n${tampered}\n${codes.a2}\n`)
    expect(code).toBe(1)
    const lines = stdout.trimEnd().split("\n")
    expect(lines).toEqual([
      "  1  Admitted: seat A1, Dune, Sat 5 Dec 19:30, Hall 1",
      "  2  Already admitted at Sat 5 Dec 19:02 — seat A1",
      "  3  Not a valid ticket code",
      "  4  Admitted: seat A2, Dune, Sat 5 Dec 19:30, Hall 1",
    ])
    expect(stderr).toContain("4 scanned: 2 admitted, 2 refused")
    // Every scan had its own key: the repeated code was a new scan, not a replay of the first.
    const keys = state.checkins.map((c) => c.key)
    expect(keys.every((k) => k !== null && /^[\x21-\x7e]{1,255}$/.test(k))).toBe(true)
    expect(new Set(keys).size).toBe(keys.length)
  })

  test("a scan whose answer is lost is sent again with the same key and gets the first answer, not a refusal", async () => {
    state.dropNext = 1
    const { stdout, code } = await cli(["checkin", codes.a2, "--screening", ids.screening])
    expect(code).toBe(0)
    expect(stdout).toBe("Admitted: seat A2, Dune, Sat 5 Dec 19:30, Hall 1\n")
    expect(state.checkins).toHaveLength(2)
    expect(state.checkins[1]!.key).toBe(state.checkins[0]!.key)
  })

  test("a door must name its screening: without --screening nothing is sent and the usage error says what to add", async () => {
    const { stdout, stderr, code } = await cli(["checkin", codes.a1])
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr).toContain("--screening <screeningId>")
    expect(state.checkins).toHaveLength(0)
  })

  test("outside the check-in window: too early says when the door opens, too late when the screening ended", async () => {
    const early = await cli(["checkin", codes.e1, "--screening", ids.screening])
    expect(early.code).toBe(1)
    expect(early.stdout).toBe("Too early: the door opens Sat 5 Dec 18:30 — seat B1\n")
    const late = await cli(["checkin", codes.l1, "--screening", ids.screening])
    expect(late.code).toBe(1)
    expect(late.stdout).toBe("Too late: the screening ended Sat 5 Dec 21:40 — seat B2\n")
    expect(state.checkins.map((c) => c.body.screeningId)).toEqual([ids.screening, ids.screening])
  })

  test("--json gives every result with its ids", async () => {
    const { stdout, code } = await cli(["checkin", "-", "--json", "--screening", ids.screening], `${codes.a1}\n${codes.c1}\n`)
    expect(code).toBe(1)
    const out = JSON.parse(stdout)
    expect(out).toMatchObject({ admitted: 1, refused: 1 })
    expect(out.items[0]).toMatchObject({ index: 1, status: "admitted", admission: { ticketId: ids.t1, bookingId: ids.booked } })
    expect(out.items[1]).toMatchObject({ index: 2, status: "refused", code: "ticket_not_valid", seatNumber: "C1" })
  })
})

describe("reports", () => {
  test("report screening shows names, local start, seats, bookings and money", async () => {
    const { stdout, code } = await cli(["report", "screening", ids.screening])
    expect(code).toBe(0)
    for (const text of ["Dune", "Kino Mitte", "Hall 1", "Sat 5 Dec, 19:30 CET", "EUR 125.00", "EUR 25.00", "EUR 100.00"]) expect(stdout).toContain(text)
    expect(stdout).not.toContain(ids.screening)
    const missing = await cli(["report", "screening", ids.other])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("No such screening.")
  })

  test("report day lists the day's screenings with local times and totals; --json keeps ids", async () => {
    const { stdout, code } = await cli(["report", "day", "--date", "2026-12-05", "--cinema", ids.cinema])
    expect(code).toBe(0)
    expect(stdout).toContain("Sat 5 Dec 2026 at Kino Mitte")
    const row = stdout.split("\n").find((l) => l.includes("Dune"))!
    for (const text of ["19:30 CET", "Hall 1", "EUR 100.00"]) expect(row).toContain(text)
    expect(stdout.split("\n").find((l) => l.includes("total"))).toContain("1 screening")
    const json = JSON.parse((await cli(["report", "day", "--date", "2026-12-05", "--cinema", ids.cinema, "--json"])).stdout)
    expect(json.screenings[0].screeningId).toBe(ids.screening)
    const bad = await cli(["report", "day", "--date", "5.12.2026"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--date must be a day such as 2026-12-05")
  })
})

describe("screenings cancel", () => {
  test("says what it will cancel and refund before asking, and with --yes proceeds", async () => {
    const refused = await cli(["screenings", "cancel", ids.screening])
    expect(refused.code).toBe(2)
    expect(refused.stdout).toContain("This cancels 3 bookings (7 seats: 4 booked, 3 held) and refunds EUR 100.00.")
    expect(refused.stderr).toContain("cancel screening Dune, Sat 5 Dec 19:30, Hall 1 and every booking for it")
    expect(state.deleted).toEqual([])
    const done = await cli(["screenings", "cancel", ids.screening, "--yes"])
    expect(done.code).toBe(0)
    expect(done.stdout).toContain("This cancels 3 bookings (7 seats: 4 booked, 3 held) and refunds EUR 100.00.")
    expect(state.deleted).toEqual([ids.screening])
    const json = await cli(["screenings", "cancel", ids.other, "--yes", "--json"])
    expect(JSON.parse(json.stdout)).toEqual({ cancelled: ids.other })
  })
})
