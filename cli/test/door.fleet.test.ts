// The door, cancellation and report commands against the whole system (startFleet, a throw-away vhost):
// a customer books and pays, sees the QR codes, a door admits the tickets (one, then a stream of codes
// with a repeat and a tampered one), the customer cancels another booking and is told the refund
// follows, staff read the screening's and the day's report, and cancelling the screening says first
// what it will cancel and refund.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { localParts } from "@bat/contracts"
import { simpleParser } from "mailparser"
import { createTestVhost, pollUntil, repoRoot, startFleet, type Fleet, type TestVhost } from "@bat/testing"

const ADMIN_EMAIL = "door-admin@bookaticket.local"
const ADMIN_PASSWORD = "door-fleet-test-password"
const root = repoRoot()

let vhost: TestVhost
let fleet: Fleet
let dataDir: string
let api: string
const staffDir = mkdtempSync(join(tmpdir(), "bat-door-staff-"))
const customerDir = mkdtempSync(join(tmpdir(), "bat-door-customer-"))

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const cli = async (args: string[], options: { as?: "staff" | "customer"; input?: string } = {}): Promise<Result> => {
  const proc = Bun.spawn([process.execPath, "cli/src/main.ts", ...args], {
    cwd: root,
    env: { ...process.env, BOOKATICKET_API: api, BOOKATICKET_CONFIG_DIR: options.as === "customer" ? customerDir : staffDir, NO_COLOR: "1" },
    stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

const cliJson = async <T = any>(args: string[], options: Parameters<typeof cli>[1] = {}): Promise<T> => {
  const result = await cli([...args, "--json"], options)
  if (result.code !== 0) throw new Error(`bookaticket ${args.join(" ")} exited ${result.code}: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

// Two days ahead at 18:00 UTC: well before the cancellation cut-off.
const startsAt = (() => {
  const d = new Date()
  d.setUTCDate(d.getUTCDate() + 2)
  d.setUTCHours(18, 0, 0, 0)
  return d.toISOString()
})()
const local = localParts(startsAt, "Europe/Berlin")!
const localDate = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(startsAt))

beforeAll(async () => {
  vhost = await createTestVhost()
  dataDir = mkdtempSync(join(tmpdir(), "bat-door-fleet-"))
  // The screening starts two days ahead; the door opens three days before it here, so its tickets can be scanned.
  fleet = await startFleet({
    env: { ...process.env, DATA_DIR: dataDir, AMQP_URL: vhost.amqpUrl, ADMIN_EMAIL, ADMIN_PASSWORD, CHECKIN_OPENS_MINUTES: "4320" },
    ports: "free",
  })
  api = fleet.urls.gateway as string
}, 120_000)

afterAll(async () => {
  await fleet?.stop()
  await vhost?.cleanup()
  for (const dir of [dataDir, staffDir, customerDir]) if (dir) rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe("tickets at the door, cancellation and reports, through the CLI", () => {
  const ids: Record<string, string> = {}
  const codes: Record<string, string> = {}
  const screeningPhrase = `CLI Door Movie, ${local.day} ${local.time}, Door Hall`

  /** Books seats as the customer and waits for the hold; returns the booking id. */
  const hold = async (seats: string) => {
    const result = await cli(["book", ids.screening!, "--seats", seats, "--wait", "--json"], { as: "customer" })
    if (result.code !== 0) throw new Error(`book ${seats} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout).booking.bookingId as string
  }
  /** Books and pays; returns the booking id once it is booked with its codes. */
  const bookAndPay = async (seats: string) => {
    const bookingId = await hold(seats)
    await cliJson(["pay", bookingId, "--card", "4242424242424242"], { as: "customer" })
    await pollUntil(
      async () => {
        const b = await cliJson(["tickets", "show", bookingId], { as: "customer" })
        return b.status === "booked" && b.tickets.every((t: { code?: string }) => typeof t.code === "string")
      },
      { timeoutMs: 20_000, intervalMs: 250, message: `booking of ${seats} to be booked with its codes` },
    )
    return bookingId
  }

  test("setup: staff create a cinema in Berlin, a hall, a movie and a screening; a customer registers", async () => {
    const login = await cli(["login", "--email", ADMIN_EMAIL, "--password-stdin"], { input: `${ADMIN_PASSWORD}\n` })
    expect(login.code).toBe(0)
    const cinema = await cliJson(["cinemas", "create", "--name", "Door Kino", "--address", "1 Door St", "--time-zone", "Europe/Berlin"])
    ids.cinema = cinema.cinemaId
    ids.hall = (await cliJson(["halls", "add", ids.cinema!, "--name", "Door Hall", "--rows", "A-B", "--seats", "5"])).hallId
    ids.movie = (await cliJson(["movies", "add", "--title", "CLI Door Movie", "--genre", "drama", "--duration", "100"])).movieId
    const screening = await pollUntil(
      async () => {
        const r = await cli(["screenings", "schedule", "--movie", ids.movie!, "--hall", ids.hall!, "--starts", startsAt, "--price", "12.50", "--json"])
        if (r.code !== 0) throw new Error(r.stderr)
        return JSON.parse(r.stdout)
      },
      { timeoutMs: 20_000, intervalMs: 250, message: "screenings to know the new hall and movie" },
    )
    ids.screening = screening.screeningId
    const register = await cli(["register", "--name", "Dora Door", "--email", `dora-${Date.now()}@example.com`, "--password-stdin"], {
      as: "customer",
      input: "dora-secret-password",
    })
    expect(register.code).toBe(0)
    // Booking learns the screening (and its names) from ScreeningScheduled; its report knows it from then on.
    await pollUntil(async () => (await cliJson(["report", "screening", ids.screening!])).screening.cinemaName === "Door Kino", {
      timeoutMs: 20_000,
      intervalMs: 250,
      message: "booking to know the screening and its names",
    })
  }, 60_000)

  test("tickets show draws each booked ticket's QR code with its code; --json prints the booking view", async () => {
    ids.paid = await bookAndPay("A1,A2")
    const view = await cliJson(["tickets", "show", ids.paid!], { as: "customer" })
    codes.a1 = view.tickets.find((t: { seatNumber: string }) => t.seatNumber === "A1").code
    codes.a2 = view.tickets.find((t: { seatNumber: string }) => t.seatNumber === "A2").code
    const shown = await cli(["tickets", "show", ids.paid!], { as: "customer" })
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/movie\s+CLI Door Movie/)
    expect(shown.stdout).toMatch(/cinema\s+Door Kino/)
    expect(shown.stdout).toContain(`${local.day}, ${local.time} ${local.zone}`)
    expect(shown.stdout).toContain("Seat A1 — show this at the door")
    expect(shown.stdout).toContain(codes.a1!)
    expect(shown.stdout).toContain(codes.a2!)
    expect(shown.stdout.split("\n").filter((l) => /[▀▄█]/.test(l)).length).toBeGreaterThan(20)
    expect(shown.stdout).not.toContain(ids.screening!)

    // The booked e-mail (written as an .eml file: no SMTP_URL) carries the same codes and a QR image each.
    const booked = await pollUntil(
      async () => {
        const files = readdirSync(dataDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".eml"))
        for (const f of files) {
          const mail = await simpleParser(readFileSync(join(dataDir, f)), { skipImageLinks: true })
          if (mail.subject?.startsWith("Booked:") && mail.text?.includes(codes.a1!)) return mail
        }
        return undefined
      },
      { timeoutMs: 15_000, message: "the booked e-mail with the ticket codes" },
    )
    expect(booked.text).toContain(`Seat A1 — show this code at the door: ${codes.a1}`)
    expect(booked.text).toContain(`Seat A2 — show this code at the door: ${codes.a2}`)
    const images = booked.attachments.filter((a) => a.contentType === "image/png")
    expect(images).toHaveLength(2)
    for (const seat of ["A1", "A2"]) {
      const img = new RegExp(`<img src="cid:(ticket-[0-9a-f-]+@bookaticket)" alt="Ticket ${seat} QR code"`).exec(String(booked.html))
      expect(img).not.toBeNull()
      expect(images.map((a) => a.cid)).toContain(img![1])
    }
  }, 60_000)

  test("checkin admits a ticket once with one line naming the seat and the screening", async () => {
    const first = await cli(["checkin", codes.a1!, "--screening", ids.screening!])
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    expect(first.stdout).toBe(`Admitted: seat A1, ${screeningPhrase}\n`)
    const customer = await cli(["checkin", codes.a2!, "--screening", ids.screening!], { as: "customer" })
    expect(customer.code).toBe(3)
    const wrong = await cli(["checkin", codes.a2!, "--screening", "0190d7c4-5a1b-7c3e-9f00-123456789abc"])
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toBe(`Wrong screening: this ticket is for ${screeningPhrase} — seat A2\n`)
  }, 60_000)

  test("checkin - reads codes one per line: a valid one, a repeated one and a tampered one, one line each, exit 1", async () => {
    const tampered = `${codes.a2!.slice(0, -4)}${codes.a2!.endsWith("AAAA") ? "BBBB" : "AAAA"}`
    const { stdout, stderr, code } = await cli(["checkin", "-", "--screening", ids.screening!], { input: `${codes.a2}\n\n${codes.a1}\n${tampered}\n` })
    expect(code).toBe(1)
    const lines = stdout.trimEnd().split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe(`  1  Admitted: seat A2, ${screeningPhrase}`)
    expect(lines[1]).toMatch(/^ {2}2 {2}Already admitted at \d{2}:\d{2} — seat A1$/)
    expect(lines[2]).toBe("  3  Not a valid ticket code")
    expect(stderr).toContain("3 scanned: 1 admitted, 2 refused")
  }, 60_000)

  test("cancel: an admitted booking is refused in a sentence; a paid one is cancelled with its refund announced", async () => {
    const admitted = await cli(["cancel", ids.paid!, "--yes"], { as: "customer" })
    expect(admitted.code).toBe(1)
    expect(admitted.stderr).toContain("already been admitted at the door")

    ids.refunded = await bookAndPay("B1")
    const view = await cliJson(["tickets", "show", ids.refunded!], { as: "customer" })
    codes.b1 = view.tickets[0].code
    const asked = await cli(["cancel", ids.refunded!], { as: "customer" })
    expect(asked.code).toBe(2)
    expect(asked.stderr).toContain("add --yes to confirm")
    const done = await cli(["cancel", ids.refunded!, "--yes"], { as: "customer" })
    expect(done.stderr).toBe("")
    expect(done.code).toBe(0)
    expect(done.stdout).toContain(`Cancelled seat B1 for CLI Door Movie at Door Kino, Door Hall — ${local.day}, ${local.time} ${local.zone}; a refund of EUR 12.50 follows`)
    const again = await cli(["cancel", ids.refunded!, "--yes"], { as: "customer" })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("already cancelled")
    const door = await cli(["checkin", codes.b1!, "--screening", ids.screening!])
    expect(door.code).toBe(1)
    expect(door.stdout).toBe("Not valid: booking cancelled — seat B1\n")

    const held = await hold("B2")
    const released = await cli(["cancel", held, "--yes"], { as: "customer" })
    expect(released.code).toBe(0)
    expect(released.stdout).toContain("Cancelled seat B2")
    expect(released.stdout).toContain("nothing was charged")
  }, 90_000)

  test("report screening and report day show the seats, bookings and money once the refund is through", async () => {
    ids.held = await hold("B3")
    // The refund of B1 is asynchronous (payments → booking): wait until the report counts it.
    const report = await pollUntil(
      async () => {
        const r = await cliJson(["report", "screening", ids.screening!])
        return r.revenue.refunded === 1250 ? r : undefined
      },
      { timeoutMs: 30_000, intervalMs: 500, message: "the refund in the report" },
    )
    expect(report).toMatchObject({
      screeningId: ids.screening,
      capacity: 10,
      seats: { reserved: 1, booked: 2, admitted: 2 },
      revenue: { gross: 3750, refunded: 1250, net: 2500, currency: "EUR" },
    })
    const shown = await cli(["report", "screening", ids.screening!])
    expect(shown.code).toBe(0)
    for (const text of ["CLI Door Movie", "Door Kino", "Door Hall", "EUR 37.50", "EUR 12.50", "EUR 25.00"]) expect(shown.stdout).toContain(text)
    expect(shown.stdout).not.toContain(ids.screening!)

    const day = await cli(["report", "day", "--date", localDate, "--cinema", ids.cinema!])
    expect(day.code).toBe(0)
    expect(day.stdout).toContain("at Door Kino")
    const row = day.stdout.split("\n").find((l) => l.includes("CLI Door Movie")) ?? ""
    for (const text of [`${local.time} ${local.zone}`, "Door Hall", "EUR 25.00"]) expect(row).toContain(text)
    const json = await cliJson(["report", "day", "--date", localDate, "--cinema", ids.cinema!])
    expect(json.screenings.map((s: { screeningId: string }) => s.screeningId)).toEqual([ids.screening])
  }, 60_000)

  test("screenings cancel says what it will cancel and refund before asking, and with --yes does it", async () => {
    const summary = "This cancels 2 bookings (3 seats: 2 booked, 1 held) and refunds EUR 25.00."
    const asked = await cli(["screenings", "cancel", ids.screening!])
    expect(asked.code).toBe(2)
    expect(asked.stdout).toContain(summary)
    expect(asked.stderr).toContain(`cancel screening ${screeningPhrase} and every booking for it`)
    const done = await cli(["screenings", "cancel", ids.screening!, "--yes"])
    expect(done.code).toBe(0)
    expect(done.stdout).toContain(summary)
    expect((await cliJson(["screenings", "show", ids.screening!])).status).toBe("cancelled")
  }, 60_000)
})
