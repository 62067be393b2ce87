// The customer web page in a real browser, driven only by role and accessible name (DESIGN §11 "must show"):
// the whole journey, the live seat map seen by another viewer, two people wanting one seat, a declined card,
// a hold running out, and cancelling from My tickets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { pollUntil } from "@bat/testing"
import type { BrowserContext, Page } from "playwright-core"
import {
  CARD_DECLINED,
  CARD_OK,
  PASSWORD,
  logIn,
  newContext,
  newCustomer,
  pay,
  payByApi,
  seat,
  seatBecomes,
  setupShowing,
  startSystem,
  statusOf,
  type Showing,
  type System,
} from "./harness.ts"

const HOLD_TTL_MS = 10_000

let system: System
let showing: Showing
let other: Showing
const contexts: BrowserContext[] = []

const openPage = async (): Promise<Page> => {
  const context = await newContext(system)
  contexts.push(context)
  return context.newPage()
}

/** A viewer with nobody signed in, on the screening's page. */
const viewer = async (): Promise<Page> => {
  const page = await openPage()
  await page.goto(`/show/${showing.screeningId}`)
  await seat(page, "A1", "available").or(seat(page, "A1", "held")).or(seat(page, "A1", "sold")).waitFor()
  return page
}

/** The seat's status as the API tells it. */
const apiSeat = async (seatNumber: string): Promise<string | undefined> => {
  const map = await system.api.get(`/screenings/${showing.screeningId}/seats`)
  for (const row of map.body.rows ?? []) for (const s of row.seats) if (s.seatNumber === seatNumber) return s.status
  return undefined
}

beforeAll(async () => {
  system = await startSystem("customer", { HOLD_TTL_MS: String(HOLD_TTL_MS) })
  ;[showing, other] = await Promise.all([
    setupShowing(system.staff, ["A", "B", "C", "D", "E", "F"], 6),
    setupShowing(system.staff, ["A"], 4),
  ])
}, 120_000)

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {})
  await system?.stop()
}, 30_000)

describe("the customer web page", () => {
  test("screenings are listed by name and local time, and filtered by cinema and movie", async () => {
    const page = await openPage()
    await page.goto("/")
    const mine = page.getByRole("link", { name: showing.linkName, exact: true })
    const theirs = page.getByRole("link", { name: other.linkName, exact: true })
    await mine.waitFor()
    await theirs.waitFor()
    await page.getByRole("combobox", { name: "Cinema" }).selectOption({ label: showing.cinema })
    await theirs.waitFor({ state: "detached" })
    await mine.waitFor()
    await page.getByRole("combobox", { name: "Movie" }).selectOption({ label: other.title })
    await page.getByText("No screenings match these filters.").waitFor()
    await page.getByRole("combobox", { name: "Cinema" }).selectOption({ label: "Any cinema" })
    await theirs.waitFor()
    await expect(mine.count()).resolves.toBe(0)
  }, 60_000)

  test("a wrong password and an e-mail already taken are said in plain words", async () => {
    const known = await newCustomer(system, "Gil Known")
    const page = await openPage()
    await page.goto("/sign-in")
    await page.getByRole("textbox", { name: "Email" }).fill(known.email)
    await page.getByLabel("Password", { exact: true }).fill("not the password")
    await page.getByRole("button", { name: "Log in", exact: true }).click()
    await pollUntil(
      async () => (await statusOf(page).textContent()) === "That email and password do not match an account. Please check them and try again.",
      { message: "the wrong password said plainly" },
    )
    await page.getByRole("link", { name: "Create an account", exact: true }).click()
    await page.getByRole("textbox", { name: "Full name" }).fill("Gil Again")
    await page.getByRole("textbox", { name: "Email" }).fill(known.email)
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD)
    await page.getByRole("button", { name: "Create account", exact: true }).click()
    await pollUntil(
      async () => (await statusOf(page).textContent()) === "An account with this email already exists. Please log in instead.",
      { message: "the taken e-mail said plainly" },
    )
  }, 60_000)

  test("a session that has expired asks to log in again, then comes back", async () => {
    const customer = await newCustomer(system, "Hal Expired")
    const page = await openPage()
    await logIn(page, customer.email)
    // The next list of tickets is answered as the booking service answers an expired token.
    await page.route("**/tickets?limit=50", (route) =>
      route.fulfill({
        status: 401,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "urn:bookaticket:problem:token_expired", title: "Unauthorized", status: 401, detail: "The token has expired; log in again.", code: "token_expired" }),
      }),
      { times: 1 },
    )
    await page.getByRole("link", { name: "My tickets", exact: true }).click()
    await pollUntil(async () => (await statusOf(page).textContent()) === "Your session has expired. Please log in again.", {
      message: "the expired session said plainly",
    })
    await page.getByRole("textbox", { name: "Email" }).fill(customer.email)
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD)
    await page.getByRole("button", { name: "Log in", exact: true }).click()
    await page.getByRole("heading", { name: "My tickets", exact: true }).waitFor()
    await page.getByText("You have no bookings yet.").waitFor()
  }, 60_000)

  test("browse, pick two seats by keyboard, register, book, see the hold, pay, see Booked live, and find the QR codes", async () => {
    const page = await openPage()
    let loads = 0
    page.on("load", () => loads++)
    await page.goto("/")
    await page.getByRole("link", { name: showing.linkName, exact: true }).click()

    // Keyboard only: Space on one seat, Tab to the next, Enter on it.
    await seat(page, "A1", "available").focus()
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(seat(page, "A1", "available").getAttribute("aria-pressed")).resolves.toBe("true")
    await expect(seat(page, "A2", "available").getAttribute("aria-pressed")).resolves.toBe("true")
    // The arrow keys move along the row; Space chooses a seat and Space again lets it go.
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Space")
    await expect(seat(page, "A3", "available").getAttribute("aria-pressed")).resolves.toBe("true")
    await page.keyboard.press("Space")
    await expect(seat(page, "A3", "available").getAttribute("aria-pressed")).resolves.toBe("false")
    await page.getByRole("button", { name: "Book 2 seats", exact: true }).press("Enter")

    // Not signed in: the page asks to log in, and offers to create an account; the choice survives it.
    await page.getByRole("link", { name: "Create an account", exact: true }).click()
    const email = `journey-${crypto.randomUUID().slice(0, 8)}@browser.test`
    await page.getByRole("textbox", { name: "Full name" }).fill("Ann Journey")
    await page.getByRole("textbox", { name: "Email" }).fill(email)
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD)
    await page.getByRole("button", { name: "Create account", exact: true }).click()
    const book = page.getByRole("button", { name: "Book 2 seats", exact: true })
    await book.waitFor()
    await book.click()

    await expect(pollUntil(async () => /^Held until \d\d:\d\d$/.test((await statusOf(page).textContent()) ?? ""), { timeoutMs: 15_000, message: "Held until" })).resolves.toBe(true)
    await seat(page, "A1", "held").waitFor()
    const loadsBeforePaying = loads
    await pay(page, CARD_OK)
    await pollUntil(async () => (await statusOf(page).textContent()) === "Booked", { timeoutMs: 15_000, message: "Booked in the live region" })
    expect(loads).toBe(loadsBeforePaying)
    await seat(page, "A1", "sold").waitFor()

    await page.getByRole("link", { name: "My tickets", exact: true }).click()
    for (const s of ["A1", "A2"]) {
      const qr = page.getByRole("img", { name: `Ticket ${s} QR code`, exact: true })
      await qr.waitFor({ timeout: 10_000 })
      await pollUntil(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { message: `the QR image of ${s} drawn` })
    }
  }, 60_000)

  test("another viewer sees seats turn held, then sold, without reloading", async () => {
    const watcher = await viewer()
    let loads = 0
    watcher.on("load", () => loads++)
    // A second viewer whose network drops the seat stream: it falls back to polling the map every 2 s.
    const poller = await openPage()
    await poller.context().route("**/seats/stream", (route) => route.abort())
    await poller.goto(`/show/${showing.screeningId}`)
    await seat(poller, "B1", "available").waitFor()
    const customer = await newCustomer(system, "Ben Watched")
    // The watcher has chosen B1 (not booked yet) when someone else gets it.
    await seat(watcher, "B1", "available").click()
    await expect(seat(watcher, "B1", "available").getAttribute("aria-pressed")).resolves.toBe("true")

    const book = await customer.api.post("/tickets/book", { screeningId: showing.screeningId, seatNumbers: ["B1", "B2"] })
    expect(book.status).toBe(202)
    // From the moment the seat map answers `reserved` to the moment the other viewer's page says held.
    await pollUntil(async () => (await apiSeat("B1")) === "reserved", { intervalMs: 25, timeoutMs: 15_000, message: "B1 reserved in the API" })
    const heldMs = await seatBecomes(watcher, "B1", "held", 2_000)
    await seat(watcher, "B2", "held").waitFor({ timeout: 2_000 })
    const polledHeldMs = heldMs + (await seatBecomes(poller, "B1", "held", 5_000))
    await expect(seat(watcher, "B1", "held").getAttribute("aria-pressed")).resolves.toBe("false")
    expect(await statusOf(watcher).textContent()).toBe("Sorry, seat B1 was just taken by someone else. Please choose another seat.")

    expect(await payByApi(customer, book.body.bookingId)).toBe("succeeded")
    await pollUntil(async () => (await apiSeat("B1")) === "booked", { intervalMs: 25, timeoutMs: 15_000, message: "B1 booked in the API" })
    const soldMs = await seatBecomes(watcher, "B1", "sold", 2_000)
    await seat(watcher, "B2", "sold").waitFor({ timeout: 2_000 })
    const polledSoldMs = soldMs + (await seatBecomes(poller, "B1", "sold", 5_000))
    expect(loads).toBe(0)
    console.log(
      `live seat map: another viewer saw "held" ${heldMs.toFixed(0)} ms and "sold" ${soldMs.toFixed(0)} ms after the seat map API did; ` +
        `one without the stream (polling) ${polledHeldMs.toFixed(0)} ms and ${polledSoldMs.toFixed(0)} ms`,
    )
  }, 60_000)

  test("two customers book the same seat at once: one holds it, the other is told it was taken", async () => {
    const [ann, bob] = await Promise.all([newCustomer(system, "Ann Racer"), newCustomer(system, "Bob Racer")])
    const pages = await Promise.all([openPage(), openPage()])
    await Promise.all([logIn(pages[0]!, ann.email), logIn(pages[1]!, bob.email)])
    for (const page of pages) {
      await page.goto(`/show/${showing.screeningId}`)
      await seat(page, "C3", "available").click()
    }
    const buttons = pages.map((page) => page.getByRole("button", { name: "Book 1 seat", exact: true }))
    await Promise.all(buttons.map((b) => b.click()))

    const outcome = async (page: Page) => {
      const text = await pollUntil(
        async () => {
          const said = (await statusOf(page).textContent()) ?? ""
          return /^Held until|^Sorry/.test(said) ? said : undefined
        },
        { timeoutMs: 15_000, message: "an outcome in the live region" },
      )
      return text
    }
    const said = await Promise.all(pages.map(outcome))
    const held = said.filter((s) => /^Held until \d\d:\d\d$/.test(s))
    const taken = said.filter((s) => s === "Sorry, seat C3 was just taken by someone else. Please choose another seat.")
    expect({ held: held.length, taken: taken.length }).toEqual({ held: 1, taken: 1 })
  }, 60_000)

  test("a declined card is said plainly and frees the seats on every open map", async () => {
    const watcher = await viewer()
    const customer = await newCustomer(system, "Dora Declined")
    const page = await openPage()
    await logIn(page, customer.email)
    await page.goto(`/show/${showing.screeningId}`)
    await seat(page, "D1", "available").click()
    await page.getByRole("button", { name: "Book 1 seat", exact: true }).click()
    await pollUntil(async () => /^Held until/.test((await statusOf(page).textContent()) ?? ""), { timeoutMs: 15_000, message: "Held until" })
    await seatBecomes(watcher, "D1", "held")

    // A number failing the Luhn check is refused as entered, with the field saying why.
    await pay(page, "4242424242424241")
    await pollUntil(async () => (await statusOf(page).textContent()) === "Please check the card details.", { message: "the card refused as entered" })
    await page.getByText("This card number is not valid. Please check the digits.").waitFor()
    await pay(page, CARD_DECLINED)
    await pollUntil(
      async () => (await statusOf(page).textContent()) === "Your card was declined. No money was taken; your seats are released.",
      { timeoutMs: 15_000, message: "the decline said plainly" },
    )
    await seatBecomes(page, "D1", "available")
    await seatBecomes(watcher, "D1", "available")
  }, 60_000)

  test("an unpaid hold runs out: the customer is told, and the seats are free on every open map", async () => {
    const watcher = await viewer()
    const customer = await newCustomer(system, "Eli Late")
    const page = await openPage()
    await logIn(page, customer.email)
    await page.goto(`/show/${showing.screeningId}`)
    await seat(page, "E1", "available").click()
    await page.getByRole("button", { name: "Book 1 seat", exact: true }).click()
    await pollUntil(async () => /^Held until/.test((await statusOf(page).textContent()) ?? ""), { timeoutMs: 15_000, message: "Held until" })
    await page.getByRole("timer").waitFor()
    await seatBecomes(watcher, "E1", "held")

    await pollUntil(
      async () => (await statusOf(page).textContent()) === "Your hold expired before payment, so the seats were released.",
      { timeoutMs: HOLD_TTL_MS + 10_000, message: "the hold's end said plainly" },
    )
    await seatBecomes(page, "E1", "available", HOLD_TTL_MS)
    await seatBecomes(watcher, "E1", "available", HOLD_TTL_MS)
  }, 60_000)

  test("cancelling from My tickets frees the seats on another viewer's map", async () => {
    const watcher = await viewer()
    const customer = await newCustomer(system, "Fay Cancels")
    const book = await customer.api.post("/tickets/book", { screeningId: showing.screeningId, seatNumbers: ["F1", "F2"] })
    await pollUntil(async () => (await customer.api.get(`/tickets/bookings/${book.body.bookingId}`)).body.status === "reserved", {
      timeoutMs: 15_000,
      message: "F1, F2 held",
    })
    expect(await payByApi(customer, book.body.bookingId)).toBe("succeeded")
    await seatBecomes(watcher, "F1", "sold")

    const page = await openPage()
    await logIn(page, customer.email)
    await page.getByRole("link", { name: "My tickets", exact: true }).click()
    await page.getByRole("img", { name: "Ticket F1 QR code", exact: true }).waitFor()
    await page.getByRole("button", { name: "Cancel booking", exact: true }).click()
    await page.getByRole("button", { name: "Yes, cancel booking", exact: true }).click()
    await pollUntil(async () => /^Cancelled\./.test((await statusOf(page).textContent()) ?? ""), { timeoutMs: 15_000, message: "the cancellation said" })
    await seatBecomes(watcher, "F1", "available")
    await seatBecomes(watcher, "F2", "available")
    await expect(page.getByRole("button", { name: "Cancel booking", exact: true }).count()).resolves.toBe(0)
  }, 60_000)
})
