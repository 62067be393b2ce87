// Runs `bookaticket` as a subprocess (no terminal) against the whole system started with startFleet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createTestVhost, freePort, pollUntil, repoRoot, startFleet, type Fleet, type TestVhost } from "@bat/testing"

const ADMIN_EMAIL = "cli-admin@bookaticket.local"
const ADMIN_PASSWORD = "cli-fleet-test-password"
const root = repoRoot()

let vhost: TestVhost
let fleet: Fleet
let dataDir: string
let api: string
const staffDir = mkdtempSync(join(tmpdir(), "bat-cli-staff-"))
const customerDir = mkdtempSync(join(tmpdir(), "bat-cli-customer-"))

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI with stdin not a terminal (a pipe with `input`, or nothing). */
const cli = async (args: string[], options: { as?: "staff" | "customer"; input?: string; api?: string } = {}): Promise<Result> => {
  const proc = Bun.spawn([process.execPath, "cli/src/main.ts", ...args], {
    cwd: root,
    env: {
      ...process.env,
      BOOKATICKET_API: options.api ?? api,
      BOOKATICKET_CONFIG_DIR: options.as === "customer" ? customerDir : staffDir,
      NO_COLOR: "1",
    },
    stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

/** Runs with --json, expects exit 0 and returns the parsed stdout (which must be JSON and nothing else). */
const cliJson = async <T = any>(args: string[], options: Parameters<typeof cli>[1] = {}): Promise<T> => {
  const result = await cli([...args, "--json"], options)
  if (result.code !== 0) throw new Error(`bookaticket ${args.join(" ")} exited ${result.code}: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

const inDays = (days: number, hour: number) => {
  const d = new Date()
  d.setUTCDate(d.getUTCDate() + days)
  d.setUTCHours(hour, 0, 0, 0)
  return d.toISOString()
}

beforeAll(async () => {
  vhost = await createTestVhost()
  dataDir = mkdtempSync(join(tmpdir(), "bat-cli-fleet-"))
  fleet = await startFleet({
    env: { ...process.env, DATA_DIR: dataDir, AMQP_URL: vhost.amqpUrl, ADMIN_EMAIL, ADMIN_PASSWORD },
    ports: "free",
  })
  api = fleet.urls.gateway as string
}, 120_000)

afterAll(async () => {
  await fleet?.stop()
  await vhost?.cleanup()
  for (const dir of [dataDir, staffDir, customerDir]) if (dir) rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe("bookaticket against the running system", () => {
  const ids: Record<string, string> = {}

  test("login with --password-stdin stores the token in a 0600 file, and whoami shows a staff user", async () => {
    const login = await cli(["login", "--email", ADMIN_EMAIL, "--password-stdin"], { input: `${ADMIN_PASSWORD}\n` })
    expect(login.code).toBe(0)
    expect(login.stdout).toContain(`logged in as`)
    expect(login.stdout).not.toContain(ADMIN_PASSWORD)
    expect(statSync(join(staffDir, "config.json")).mode & 0o777).toBe(0o600)
    const me = await cliJson(["whoami"])
    expect(me).toMatchObject({ email: ADMIN_EMAIL, role: "staff" })
  })

  test("a wrong password is exit code 3 with a plain message", async () => {
    const result = await cli(["login", "--email", ADMIN_EMAIL, "--password-stdin"], { input: "not-the-password", as: "customer" })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("wrong e-mail or password")
  })

  test("login without a terminal and without --password-stdin explains what to do", async () => {
    const result = await cli(["login", "--email", ADMIN_EMAIL], { as: "customer" })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--password-stdin")
  })

  test("cinemas create, list, show and update", async () => {
    const created = await cliJson(["cinemas", "create", "--name", "CLI Central", "--address", "1 Main St", "--time-zone", "Europe/Berlin"])
    expect(created).toMatchObject({ name: "CLI Central", address: "1 Main St", timeZone: "Europe/Berlin" })
    ids.cinema = created.cinemaId
    const list = await cliJson(["cinemas", "list"])
    expect(list.items.map((c: { cinemaId: string }) => c.cinemaId)).toContain(ids.cinema)
    expect(list).toHaveProperty("nextCursor")
    const table = await cli(["cinemas", "list"])
    expect(table.code).toBe(0)
    expect(table.stdout).toContain("CLI Central")
    expect(table.stdout).toContain("Europe/Berlin")
    const unknownZone = await cli(["cinemas", "update", ids.cinema as string, "--time-zone", "Mars/Olympus"])
    expect(unknownZone.code).toBe(1)
    expect(unknownZone.stderr).toContain("timeZone")
    const updated = await cliJson(["cinemas", "update", ids.cinema as string, "--name", "CLI Central Plaza"])
    expect(updated.name).toBe("CLI Central Plaza")
    const shown = await cliJson(["cinemas", "show", ids.cinema as string])
    expect(shown).toMatchObject({ cinemaId: ids.cinema, name: "CLI Central Plaza", halls: [] })
  })

  test("halls add from --rows/--seats and from a layout file", async () => {
    const hall = await cliJson(["halls", "add", ids.cinema as string, "--name", "Hall 1", "--rows", "A-C", "--seats", "5"])
    expect(hall).toMatchObject({ name: "Hall 1", capacity: 15, rows: [{ label: "A", seats: 5 }, { label: "B", seats: 5 }, { label: "C", seats: 5 }] })
    ids.hall = hall.hallId
    const layout = join(dataDir, "layout.json")
    writeFileSync(layout, JSON.stringify([{ label: "A", seats: 4 }, { label: "B", seats: 6 }]))
    const studio = await cliJson(["halls", "add", ids.cinema as string, "--name", "Studio", "--layout", layout])
    expect(studio.capacity).toBe(10)
    const shown = await cli(["cinemas", "show", ids.cinema as string])
    expect(shown.stdout).toContain("A-C×5")
    expect(shown.stdout).toContain("Studio")
  })

  test("movies add, list, show and update", async () => {
    const movie = await cliJson(["movies", "add", "--title", "CLI Movie", "--genre", "drama", "--duration", "100"])
    expect(movie).toMatchObject({ title: "CLI Movie", genre: "drama", durationMinutes: 100 })
    ids.movie = movie.movieId
    const list = await cliJson(["movies", "list", "--limit", "200"])
    expect(list.items.map((m: { movieId: string }) => m.movieId)).toContain(ids.movie)
    expect(await cliJson(["movies", "update", ids.movie as string, "--genre", "thriller"])).toMatchObject({ genre: "thriller" })
    expect(await cliJson(["movies", "show", ids.movie as string])).toMatchObject({ title: "CLI Movie", genre: "thriller" })
  })

  test("screenings schedule (once the hall and movie have reached the screenings service), list, show, update", async () => {
    const startsAt = inDays(2, 18)
    const screening = await pollUntil(
      async () => {
        const result = await cli(["screenings", "schedule", "--movie", ids.movie as string, "--hall", ids.hall as string, "--starts", startsAt, "--price", "12.50", "--json"])
        if (result.code !== 0) throw new Error(result.stderr)
        return JSON.parse(result.stdout)
      },
      { timeoutMs: 20_000, intervalMs: 250, message: "screenings to know the new hall and movie" },
    )
    expect(screening).toMatchObject({ movieId: ids.movie, hallId: ids.hall, cinemaId: ids.cinema, price: { amount: 1250, currency: "EUR" }, status: "scheduled" })
    expect(Date.parse(screening.endsAt) - Date.parse(screening.startsAt)).toBe(100 * 60_000)
    ids.screening = screening.screeningId
    const list = await cliJson(["screenings", "list", "--cinema", ids.cinema as string])
    expect(list.items.map((s: { screeningId: string }) => s.screeningId)).toEqual([ids.screening])
    const table = await cli(["screenings", "list", "--cinema", ids.cinema as string])
    expect(table.stdout).toContain("CLI Movie")
    expect(table.stdout).toContain("EUR 12.50")
    expect(table.stdout).toContain("Hall 1")
    expect(table.stdout).not.toContain(ids.hall as string)
    expect(await cliJson(["screenings", "update", ids.screening as string, "--price", "11"])).toMatchObject({ price: { amount: 1100 } })
    expect(await cliJson(["screenings", "show", ids.screening as string])).toMatchObject({ screeningId: ids.screening, price: { amount: 1100 } })
  })

  test("screenings seats draws the map with a legend, and --json gives the counts", async () => {
    const map = await cliJson(["screenings", "seats", ids.screening as string])
    expect(map.counts).toEqual({ available: 15, reserved: 0, booked: 0 })
    const drawn = await cli(["screenings", "seats", ids.screening as string])
    expect(drawn.code).toBe(0)
    expect(drawn.stdout).toContain("SCREEN")
    expect(drawn.stdout).toContain("available 15")
    expect(drawn.stdout.split("\n").filter((l) => /^[ABC] /.test(l))).toHaveLength(3)
  })

  test("screenings list and show name the movie, cinema and hall, with start times local to the cinema across a DST change", async () => {
    const berlin = await cliJson(["cinemas", "create", "--name", "Kino Mitte", "--address", "Unter den Linden 1", "--time-zone", "Europe/Berlin"])
    const kolkata = await cliJson(["cinemas", "create", "--name", "Chitra", "--address", "1 Park St", "--time-zone", "Asia/Kolkata"])
    const saal = await cliJson(["halls", "add", berlin.cinemaId, "--name", "Saal 2", "--rows", "A-B", "--seats", "4"])
    const screen = await cliJson(["halls", "add", kolkata.cinemaId, "--name", "Screen 1", "--rows", "A", "--seats", "6"])
    const scheduleOnce = (hallId: string, startsAt: string) =>
      pollUntil(
        async () => {
          const result = await cli(["screenings", "schedule", "--movie", ids.movie as string, "--hall", hallId, "--starts", startsAt, "--price", "9", "--json"])
          if (result.code !== 0) throw new Error(result.stderr)
          return JSON.parse(result.stdout)
        },
        { timeoutMs: 20_000, intervalMs: 250, message: "screenings to know the new hall" },
      )
    // 31 Oct 2027 is the last Sunday of October: Berlin leaves summer time (CEST, +2) at 01:00 UTC for CET (+1).
    const beforeChange = await scheduleOnce(saal.hallId, "2027-10-31T00:00:00Z")
    const afterChange = await scheduleOnce(saal.hallId, "2027-10-31T18:30:00Z")
    const halfHour = await scheduleOnce(screen.hallId, "2027-10-31T13:45:00Z")
    // The names arrive with CinemaCreated; wait until the screenings service has them.
    await pollUntil(async () => (await cliJson(["screenings", "show", halfHour.screeningId])).cinema.name === "Chitra", {
      timeoutMs: 20_000,
      intervalMs: 250,
      message: "screenings to know the new cinemas",
    })
    await pollUntil(async () => (await cliJson(["screenings", "show", afterChange.screeningId])).cinema.name === "Kino Mitte", {
      timeoutMs: 20_000,
      intervalMs: 250,
      message: "screenings to know the new cinemas",
    })

    const list = await cli(["screenings", "list", "--cinema", berlin.cinemaId])
    expect(list.code).toBe(0)
    const rows = list.stdout.split("\n")
    const rowOf = (id: string) => rows.find((l) => l.includes(id)) ?? ""
    for (const text of ["CLI Movie", "Kino Mitte", "Saal 2", "Sun 31 Oct, 02:00 CEST"]) expect(rowOf(beforeChange.screeningId)).toContain(text)
    for (const text of ["CLI Movie", "Kino Mitte", "Saal 2", "Sun 31 Oct, 19:30 CET"]) expect(rowOf(afterChange.screeningId)).toContain(text)
    expect(list.stdout).not.toContain(saal.hallId)
    expect(list.stdout).not.toContain(berlin.cinemaId)

    const shown = await cli(["screenings", "show", afterChange.screeningId])
    expect(shown.code).toBe(0)
    for (const text of ["CLI Movie", "Kino Mitte", "Saal 2", "Sun 31 Oct 2027, 19:30 CET", "Sun 31 Oct 2027, 21:10 CET"]) {
      expect(shown.stdout).toContain(text)
    }
    const summer = await cli(["screenings", "show", beforeChange.screeningId])
    expect(summer.stdout).toContain("Sun 31 Oct 2027, 02:00 CEST")

    const india = await cli(["screenings", "show", halfHour.screeningId])
    for (const text of ["Chitra", "Screen 1", "Sun 31 Oct 2027, 19:15 GMT+5:30"]) expect(india.stdout).toContain(text)
    const indiaList = await cli(["screenings", "list", "--cinema", kolkata.cinemaId])
    expect(indiaList.stdout).toContain("Sun 31 Oct, 19:15 GMT+5:30")

    // --json keeps every id and the UTC times.
    const json = await cliJson(["screenings", "show", halfHour.screeningId])
    expect(json).toMatchObject({
      screeningId: halfHour.screeningId,
      movieId: ids.movie,
      cinemaId: kolkata.cinemaId,
      hallId: screen.hallId,
      startsAt: "2027-10-31T13:45:00.000Z",
      movie: { movieId: ids.movie, title: "CLI Movie" },
      cinema: { cinemaId: kolkata.cinemaId, name: "Chitra", timeZone: "Asia/Kolkata" },
      hall: { hallId: screen.hallId, name: "Screen 1" },
      seatsAvailable: 6,
    })
  })

  test("register logs the new customer in", async () => {
    const result = await cli(["register", "--name", "Ann Lee", "--email", `ann-${Date.now()}@example.com`, "--password-stdin", "--json"], {
      as: "customer",
      input: "ann-secret-password",
    })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ fullName: "Ann Lee", role: "customer" })
    expect(await cliJson(["whoami"], { as: "customer" })).toMatchObject({ fullName: "Ann Lee", role: "customer" })
  })

  test("book --wait prints the reservation and when it expires", async () => {
    const result = await cli(["book", ids.screening as string, "--seats", "A1,A2", "--wait", "--timeout", "50"], { as: "customer" })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("reserved A1, A2")
    expect(result.stdout).toContain("EUR 22.00")
    expect(result.stdout).toContain("held until")
    const bookingId = /bookaticket pay (\S+)/.exec(result.stdout)?.[1]
    expect(bookingId).toBeDefined()
    ids.booking = bookingId as string
  }, 60_000)

  test("book --wait --json gives the booking, and a taken seat is a failed booking with exit code 1", async () => {
    const result = await cli(["book", ids.screening as string, "--seats", "A2,A3", "--wait", "--json"], { as: "customer" })
    expect(result.code).toBe(1)
    const out = JSON.parse(result.stdout)
    expect(out.booking).toMatchObject({ status: "failed", reason: "seat_unavailable" })
    expect(out.notification.bookingId).toBe(out.booking.bookingId)
    expect(JSON.parse(result.stderr).error.message).toContain("already taken")
  }, 60_000)

  test("tickets lists my bookings, and tickets <id> shows one", async () => {
    const mine = await cliJson(["tickets"], { as: "customer" })
    expect(mine.items.map((b: { bookingId: string }) => b.bookingId)).toContain(ids.booking)
    // The names travelled ScreeningScheduled → booking's projection → the booking view (--json keeps the ids).
    expect(mine.items.find((b: { bookingId: string }) => b.bookingId === ids.booking).screening).toMatchObject({
      screeningId: ids.screening,
      movieTitle: "CLI Movie",
      cinemaName: "CLI Central Plaza",
      hallName: "Hall 1",
      timeZone: "Europe/Berlin",
    })
    const table = await cli(["tickets"], { as: "customer" })
    expect(table.code).toBe(0)
    const row = table.stdout.split("\n").find((l) => l.includes(ids.booking as string)) ?? ""
    for (const text of ["CLI Movie", "CLI Central Plaza", "Hall 1"]) expect(row).toContain(text)
    expect(row).toMatch(/\d{2}:\d{2} CES?T/)
    expect(table.stdout).not.toContain(ids.screening as string)
    const one = await cli(["tickets", ids.booking as string], { as: "customer" })
    expect(one.code).toBe(0)
    expect(one.stdout).toContain("reserved")
    expect(one.stdout).toContain("pay before")
  })

  test("the seat map shows the held seats", async () => {
    await pollUntil(async () => (await cliJson(["screenings", "seats", ids.screening as string])).counts.reserved === 2, {
      timeoutMs: 10_000,
      message: "two reserved seats on the map",
    })
  })

  test("pay with a declined card is exit code 1 and the card number is never echoed", async () => {
    const declined = await cli(["pay", ids.booking as string, "--card", "4000000000000002"], { as: "customer" })
    expect(declined.code).toBe(1)
    expect(declined.stderr).toContain("declined")
    expect(declined.stderr + declined.stdout).not.toContain("4000000000000002")
  }, 60_000)

  test("pay with the test card succeeds and the booking becomes booked", async () => {
    // A declined attempt released the hold; book again and pay properly.
    const booked = await cli(["book", ids.screening as string, "--seats", "B1", "--wait", "--json"], { as: "customer" })
    expect(booked.code).toBe(0)
    const bookingId = JSON.parse(booked.stdout).booking.bookingId as string
    const payment = await cliJson(["pay", bookingId, "--card", "4242 4242 4242 4242", "--exp", "12/30", "--cvc", "123"], { as: "customer" })
    expect(payment).toMatchObject({ bookingId, status: "succeeded", amount: 1100, currency: "EUR" })
    await pollUntil(async () => (await cliJson(["tickets", bookingId], { as: "customer" })).status === "booked", {
      timeoutMs: 15_000,
      message: "the booking to be booked",
    })
  }, 60_000)

  test("a customer may not change the programme: exit code 3", async () => {
    const result = await cli(["cinemas", "create", "--name", "Nope", "--address", "x"], { as: "customer" })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("not allowed")
  })

  test("dlq list and replay answer for a consuming service", async () => {
    expect(await cliJson(["dlq", "list", "--service", "booking"])).toEqual({ items: [], count: 0 })
    expect(await cliJson(["dlq", "replay", "--service", "booking"])).toEqual({ replayed: 0 })
    const wrong = await cli(["dlq", "list", "--service", "cinemas"])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain("--service must be one of screenings, booking, payments, notifications")
  })

  test("destructive commands are refused without --yes when there is no terminal, and nothing changes", async () => {
    for (const args of [
      ["screenings", "cancel", ids.screening as string],
      ["movies", "remove", ids.movie as string],
      ["cinemas", "delete", ids.cinema as string],
    ]) {
      const result = await cli(args)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("add --yes to confirm")
    }
    expect((await cliJson(["screenings", "show", ids.screening as string])).status).toBe("scheduled")
    expect((await cli(["movies", "show", ids.movie as string])).code).toBe(0)
    expect((await cli(["cinemas", "show", ids.cinema as string])).code).toBe(0)
  })

  test("bad arguments give a clear message and exit code 2", async () => {
    const seat = await cli(["book", ids.screening as string, "--seats", "A0"], { as: "customer" })
    expect(seat.code).toBe(2)
    expect(seat.stderr).toContain('"A0" is not a seat number')
    const time = await cli(["screenings", "schedule", "--movie", ids.movie as string, "--hall", ids.hall as string, "--starts", "2030-01-01T18:00", "--price", "10"])
    expect(time.code).toBe(2)
    expect(time.stderr).toContain("offset")
    const missing = await cli(["halls", "add", ids.cinema as string, "--rows", "A-C"])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("--name")
    const unknown = await cli(["cinemas", "frobnicate"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command")
  })

  test("an unknown id is the API's 404 detail with exit code 1", async () => {
    const result = await cli(["movies", "show", "0190d7c4-5a1b-7c3e-9f00-123456789abc"])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: .+/)
  })

  test("with --yes the destructive commands run", async () => {
    expect(await cliJson(["screenings", "cancel", ids.screening as string, "--yes"])).toEqual({ cancelled: ids.screening })
    expect((await cliJson(["screenings", "show", ids.screening as string])).status).toBe("cancelled")
    expect(await cliJson(["movies", "remove", ids.movie as string, "--yes"])).toEqual({ removed: ids.movie })
    expect(await cliJson(["cinemas", "delete", ids.cinema as string, "-y"])).toEqual({ deleted: ids.cinema })
    expect((await cli(["cinemas", "show", ids.cinema as string])).code).toBe(1)
  })

  test("an API nobody answers on is exit code 4 with a hint", async () => {
    const port = await freePort()
    const result = await cli(["cinemas", "list"], { api: `http://127.0.0.1:${port}` })
    expect(result.code).toBe(4)
    expect(result.stderr).toContain(`cannot reach http://127.0.0.1:${port} — is the system running? start it with \`bun run start\``)
  })

  test("logout forgets the token, after which whoami says to log in", async () => {
    expect((await cli(["logout"], { as: "customer" })).code).toBe(0)
    const result = await cli(["whoami"], { as: "customer" })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("not logged in — run `bookaticket login`")
  })

  test("the demo seeds a cinema, two halls, three movies and a week of screenings, and a second run adds nothing", async () => {
    const demo = async () => {
      const proc = Bun.spawn([process.execPath, "scripts/demo.ts"], {
        cwd: root,
        env: { ...process.env, BOOKATICKET_API: api, ADMIN_EMAIL, ADMIN_PASSWORD },
        stdout: "pipe",
        stderr: "pipe",
      })
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      expect(stderr).toBe("")
      expect(code).toBe(0)
      return stdout
    }
    const first = await demo()
    expect(first).toContain("created cinema Bookaticket Central")
    expect(first).toContain("screenings: 35 scheduled, 0 already there")
    const second = await demo()
    expect(second).toContain("cinema Bookaticket Central exists")
    expect(second).toContain("screenings: 0 scheduled, 35 already there")
    const cinemas = (await cliJson(["cinemas", "list", "--limit", "200"])).items.filter((c: { name: string }) => c.name === "Bookaticket Central")
    expect(cinemas).toHaveLength(1)
    expect(cinemas[0].halls.map((h: { name: string }) => h.name).sort()).toEqual(["Hall 1", "Hall 2"])
    const screenings = await cliJson(["screenings", "list", "--cinema", cinemas[0].cinemaId, "--limit", "200"])
    expect(screenings.items).toHaveLength(35)
  }, 120_000)
})
