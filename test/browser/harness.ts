// What the browser tests share: a fleet with its front door on its own vhost and ports, a catalog made
// through the staff API, customers made through the API, and a Chromium that may reach only this machine.
import { createTestVhost, pollUntil, startFleet, type Fleet, type TestVhost } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core"
import { localParts } from "../../packages/contracts/src/localTime.ts"
import { Api } from "../e2e/client.ts"

export const ADMIN = { email: "admin@browser.test", password: "admin-browser-password" }
export const PASSWORD = "correct horse battery"
export const CARD_OK = "4242424242424242"
export const CARD_DECLINED = "4000000000000002"

export interface System {
  readonly fleet: Fleet
  readonly base: string
  readonly api: Api
  readonly staff: Api
  readonly browser: Browser
  stop(): Promise<void>
}

export const startSystem = async (name: string, env: Record<string, string> = {}): Promise<System> => {
  const vh: TestVhost = await createTestVhost({ prefix: `bat-web-${name}` })
  const dataDir = mkdtempSync(join(tmpdir(), `bat-web-${name}-`))
  let fleet: Fleet | undefined
  let browser: Browser | undefined
  try {
    fleet = await startFleet({
      ports: "free",
      env: {
        ...process.env,
        AMQP_URL: vh.amqpUrl,
        DATA_DIR: dataDir,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        CLOCK_SKEW_GRACE_MS: "0",
        ...env,
      },
      readyTimeoutMs: 60_000,
    })
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    })
  } catch (error) {
    await fleet?.stop()
    await vh.cleanup()
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  const base = fleet.urls.gateway!
  const api = new Api(base)
  const login = await api.post("/users/login", ADMIN)
  if (login.status !== 200) throw new Error(`staff login: ${login.status} ${JSON.stringify(login.body)}`)
  const started = fleet
  const chromiumBrowser = browser
  return {
    fleet,
    base,
    api,
    staff: api.as(login.body.token),
    browser,
    stop: async () => {
      await chromiumBrowser.close().catch(() => {})
      await started.stop()
      await vh.cleanup()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A browser context that may load only from this machine: a CDN or web font would fail the page. */
export const newContext = async (system: System): Promise<BrowserContext> => {
  const context = await system.browser.newContext({ baseURL: system.base, locale: "en-GB" })
  await context.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname
    return host === "127.0.0.1" || host === "localhost" ? route.continue() : route.abort()
  })
  return context
}

export interface Showing {
  readonly screeningId: string
  readonly title: string
  readonly cinema: string
  /** The accessible name of its link on the page (DESIGN §11). */
  readonly linkName: string
}

/** A cinema in Berlin with one hall of `rows` × `seats`, a movie, and a screening of it tomorrow evening. */
export const setupShowing = async (staff: Api, rows: readonly string[], seats: number): Promise<Showing> => {
  const tag = crypto.randomUUID().slice(0, 6)
  const cinemaName = `Kino Mitte ${tag}`
  const cinema = await staff.post("/cinemas", { name: cinemaName, address: "Rosenthaler Str. 39, Berlin", timeZone: "Europe/Berlin" })
  if (cinema.status !== 201) throw new Error(`cinema: ${cinema.status} ${JSON.stringify(cinema.body)}`)
  const hall = await staff.post(`/cinemas/${cinema.body.cinemaId}/halls`, { name: "Hall 1", rows: rows.map((label) => ({ label, seats })) })
  if (hall.status !== 201) throw new Error(`hall: ${hall.status} ${JSON.stringify(hall.body)}`)
  const title = `Dune ${tag}`
  const movie = await staff.post("/movies", { title, genre: "science fiction", durationMinutes: 155 })
  if (movie.status !== 201) throw new Error(`movie: ${movie.status} ${JSON.stringify(movie.body)}`)
  const tomorrow = new Date(Date.now() + 86_400_000)
  tomorrow.setUTCHours(18, 30, 0, 0)
  const startsAt = tomorrow.toISOString()
  const scheduled = await pollUntil(
    async () => {
      const r = await staff.post("/screenings", { movieId: movie.body.movieId, hallId: hall.body.hallId, startsAt, price: { amount: 1250, currency: "EUR" } })
      return r.status === 201 ? r : undefined
    },
    { timeoutMs: 20_000, message: "the screening to be scheduled" },
  )
  const screeningId = scheduled.body.screeningId as string
  // The page names it only once screenings has heard the cinema's and movie's names.
  await pollUntil(
    async () => {
      const s = await staff.get(`/screenings/${screeningId}`)
      return s.body?.cinema?.name === cinemaName && s.body?.movie?.title === title && s.body?.hall?.name === "Hall 1"
    },
    { timeoutMs: 20_000, message: "the screening's names" },
  )
  const local = localParts(startsAt, "Europe/Berlin")!
  return { screeningId, title, cinema: cinemaName, linkName: `${title}, ${local.day}, ${local.time}, ${cinemaName}, Hall 1` }
}

export interface Customer {
  readonly email: string
  readonly api: Api
}

export const newCustomer = async (system: System, name: string): Promise<Customer> => {
  const email = `${name.toLowerCase().replace(/\W+/g, "-")}-${crypto.randomUUID().slice(0, 8)}@browser.test`
  const reg = await system.api.post("/users/register", { fullName: name, email, password: PASSWORD })
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`)
  const login = await system.api.post("/users/login", { email, password: PASSWORD })
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`)
  return { email, api: system.api.as(login.body.token) }
}

/** Pays a held booking through the API, asking again while payments has not heard of the hold yet. */
export const payByApi = async (customer: Customer, bookingId: string, number = CARD_OK): Promise<string> =>
  pollUntil(
    async () => {
      const r = await customer.api.post("/payments", { bookingId, card: { number, expMonth: 12, expYear: 2030, cvc: "123" } })
      if (r.status === 409 && r.body.code === "reservation_not_found_yet") return undefined
      if (r.status !== 200) throw new Error(`pay: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.status as string
    },
    { timeoutMs: 15_000, message: "payments to know the hold" },
  )

/** Logs in through the page, as a person would. */
export const logIn = async (page: Page, email: string): Promise<void> => {
  await page.goto("/sign-in")
  await page.getByRole("textbox", { name: "Email" }).fill(email)
  // A password field has no role of its own: it is found by its label, as a screen reader names it.
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD)
  await page.getByRole("button", { name: "Log in", exact: true }).click()
  await page.getByRole("button", { name: "Log out" }).waitFor()
}

export const seat = (page: Page, seatNumber: string, state: "available" | "held" | "sold") =>
  page.getByRole("button", { name: `Seat ${seatNumber}, ${state}`, exact: true })

/** Waits until `seatNumber` reads `state` on the page; resolves with how long that took. */
export const seatBecomes = async (page: Page, seatNumber: string, state: "available" | "held" | "sold", timeoutMs = 15_000): Promise<number> => {
  const started = performance.now()
  await seat(page, seatNumber, state).waitFor({ state: "visible", timeout: timeoutMs })
  return performance.now() - started
}

/** Pays on the page with `card`. */
export const pay = async (page: Page, card: string): Promise<void> => {
  await page.getByRole("textbox", { name: "Card number" }).fill(card)
  await page.getByRole("textbox", { name: "Expiry month" }).fill("12")
  await page.getByRole("textbox", { name: "Expiry year" }).fill("2030")
  await page.getByRole("textbox", { name: "CVC" }).fill("123")
  await page.getByRole("button", { name: "Pay", exact: true }).click()
}

/** The one live region. */
export const statusOf = (page: Page) => page.getByRole("status")
