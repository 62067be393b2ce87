// The OpenAPI UI in a real browser: it renders under its own Content-Security-Policy with nothing from
// another host, and a token pasted into "Authorize" is never written to the origin's storage.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Elysia } from "elysia"
import { chromium, type Browser } from "playwright-core"
import { authorize, makeServiceApp, operation } from "../src/index.ts"

let browser: Browser
let app: { readonly server: { readonly port?: number } | null; readonly stop: (closeActive?: boolean) => Promise<unknown> }
let url: string

beforeAll(async () => {
  const routes = new Elysia({ prefix: "/notes" }).use(authorize({ authenticate: async () => ({ userId: "u1", role: "customer" }) })).get("/mine", () => ({ ok: true }), {
    ...operation({ summary: "The caller's notes", auth: "user", ok: { status: 200 } }),
  })
  app = makeServiceApp({ service: "notes", prefix: "/notes", readiness: async () => ({ ok: true, checks: {} }), log: () => {} })
    .use(routes)
    .listen({ port: 0, hostname: "127.0.0.1" })
  url = `http://127.0.0.1:${app.server!.port}`
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await app?.stop(true)
})

test("the UI renders under its policy, and a pasted token is kept in no storage of the origin", async () => {
  const context = await browser.newContext()
  try {
    // Only the service itself: anything else would fail the page.
    const foreign: Array<string> = []
    await context.route("**/*", (route) => {
      if (new URL(route.request().url()).origin === url) return route.continue()
      foreign.push(route.request().url())
      return route.abort()
    })
    const page = await context.newPage()
    const problems: Array<string> = []
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text())
    })
    page.on("pageerror", (e) => problems.push(e.message))
    await page.goto(`${url}/notes/openapi`)
    await page.getByRole("button", { name: /authorize/i }).first().click({ timeout: 20_000 })
    expect(await page.evaluate(() => (window as any).ui.getConfigs().persistAuthorization)).toBe(false)
    await page.locator(".auth-container input").first().fill("pasted.secret.token")
    await page.locator(".auth-btn-wrapper button.authorize").first().click()
    await page.locator(".auth-btn-wrapper button", { hasText: /logout/i }).first().waitFor({ timeout: 10_000 })
    // The token is in the page's memory (requests would carry it) ...
    const inMemory = await page.evaluate(() => JSON.stringify((window as any).ui.authSelectors.authorized().toJS()))
    expect(inMemory).toContain("pasted.secret.token")
    // ... and nowhere the origin keeps.
    const stored = await page.evaluate(() => ({
      local: Object.fromEntries(Object.entries(localStorage)),
      session: Object.fromEntries(Object.entries(sessionStorage)),
      cookie: document.cookie,
    }))
    expect(stored).toEqual({ local: {}, session: {}, cookie: "" })
    await page.reload()
    await page.getByRole("button", { name: /authorize/i }).first().waitFor({ timeout: 20_000 })
    const afterReload = await page.evaluate(() => JSON.stringify((window as any).ui.authSelectors.authorized().toJS()))
    expect(afterReload).not.toContain("pasted.secret.token")
    expect({ foreign, problems }).toEqual({ foreign: [], problems: [] })
  } finally {
    await context.close()
  }
}, 60_000)
