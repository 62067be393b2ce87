// Abuse limits of the users service (DESIGN §17): log-in failures per account and per address, with growing
// delays and a lock the owner gets past after the cool-down; registrations per address; ABUSE_LIMITS=off.
import { bootService, type RunningService } from "@bat/http"
import { createTestVhost, json, pollUntil, tempDir, type TestVhost } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { usersService } from "../src/service.ts"

let vhost: TestVhost
const running: Array<{ svc: RunningService; dir: ReturnType<typeof tempDir> }> = []

const boot = async (env: Record<string, string>) => {
  const dir = tempDir("users-limits")
  const svc = await bootService(
    usersService({ PORT: "0", DATA_DIR: dir.dir, AMQP_URL: vhost.amqpUrl, ADMIN_EMAIL: "boss@cinema.test", ADMIN_PASSWORD: "correct horse battery", ...env })
  )
  running.push({ svc, dir })
  const post = (path: string, body: unknown, from?: string) =>
    fetch(`${svc.url}${path}`, { method: "POST", ...json(body, from === undefined ? {} : { "x-forwarded-for": from }) })
  return { svc, post }
}

let n = 0
const email = () => `limits.${Date.now()}.${++n}@example.com`
const PASSWORD = "s3cret-enough"

beforeAll(async () => {
  vhost = await createTestVhost()
})
afterAll(async () => {
  for (const r of running) {
    await r.svc.stop().catch(() => {})
    r.dir.remove()
  }
  await vhost?.cleanup()
})

const metric = async (svc: RunningService, limit: string): Promise<number | undefined> => {
  const text = await (await fetch(`${svc.url}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`bookaticket_rate_limited_total{limit="${limit}"}`))
  return line === undefined ? undefined : Number(line.split(" ").at(-1))
}

describe("log-in limits", () => {
  test("a stranger cannot keep an account locked for its owner: the owner's own address is let past the account's lock", async () => {
    const { post } = await boot({ LOGIN_DELAY_MS: "60000", LOGIN_LOCK_SECONDS: "600" })
    const owner = email()
    expect((await post("/users/register", { fullName: "Owner", email: owner, password: PASSWORD }, "198.51.100.7")).status).toBe(201)
    expect((await post("/users/login", { email: owner, password: PASSWORD }, "198.51.100.7")).status).toBe(200)
    // A stranger from another address locks the account with wrong passwords.
    const strangers: Array<number> = []
    for (let i = 0; i < 15; i++) strangers.push((await post("/users/login", { email: owner, password: `guess-${i}` }, "203.0.113.9")).status)
    expect(strangers.at(-1)).toBe(429)
    // Locked for the stranger and for a new address; the owner, from where they logged in before, still gets in.
    expect((await post("/users/login", { email: owner, password: PASSWORD }, "203.0.113.9")).status).toBe(429)
    expect((await post("/users/login", { email: owner, password: PASSWORD }, "192.0.2.44")).status).toBe(429)
    expect((await post("/users/login", { email: owner, password: PASSWORD }, "198.51.100.7")).status).toBe(200)
    // Wrong passwords from the owner's address meet a lock of their own there.
    const own: Array<number> = []
    for (let i = 0; i < 15; i++) own.push((await post("/users/login", { email: owner, password: `typo-${i}` }, "198.51.100.7")).status)
    expect(own.at(-1)).toBe(429)
  })

  test("the 200th wrong password is 429 without its hash being checked, and the owner gets in after the cool-down", async () => {
    const { svc, post } = await boot({ LOGIN_DELAY_MS: "60000", LOGIN_LOCK_SECONDS: "2" })
    // Known from the first scrape, before anything was refused.
    expect(await metric(svc, "login_account")).toBeGreaterThanOrEqual(0)
    expect(await metric(svc, "login_address")).toBeGreaterThanOrEqual(0)
    expect(await metric(svc, "register_address")).toBeGreaterThanOrEqual(0)
    const limitedBefore = (await metric(svc, "login_account"))!
    const owner = email()
    expect((await post("/users/register", { fullName: "Owner", email: owner, password: PASSWORD })).status).toBe(201)
    const statuses: Array<number> = []
    let last: Response | undefined
    for (let i = 0; i < 200; i++) {
      last = await post("/users/login", { email: owner, password: `wrong-${i}` })
      statuses.push(last.status)
      if (i < 199) await last.body?.cancel()
    }
    expect(last!.status).toBe(429)
    expect(last!.headers.get("content-type")).toBe("application/problem+json")
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(((await last!.json()) as { code: string }).code).toBe("rate_limited")
    // Only the attempts let through were hashed (5 free failures and one after them, give or take a slow machine).
    const checked = statuses.filter((s) => s === 401).length
    expect(checked).toBeGreaterThanOrEqual(5)
    expect(checked).toBeLessThanOrEqual(10)
    expect(statuses.filter((s) => s === 429).length).toBe(200 - checked)
    expect((await metric(svc, "login_account"))! - limitedBefore).toBeGreaterThanOrEqual(190)
    // Locked now, for the owner too; once the cool-down is over, the right password gets in.
    const started = Date.now()
    const ok = await pollUntil(
      async () => {
        const r = await post("/users/login", { email: owner, password: PASSWORD })
        await r.body?.cancel()
        return r.status === 200 ? r : r.status === 429 ? undefined : Promise.reject(new Error(`login answered ${r.status}`))
      },
      { timeoutMs: 10_000, intervalMs: 200, message: "the owner to get in after the cool-down" }
    )
    expect(ok.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(8_000)
    // A success starts the account afresh: the next wrong password is an ordinary 401.
    expect((await post("/users/login", { email: owner, password: "wrong" })).status).toBe(401)
  })

  test("many accounts tried from one address are limited by address; another address still logs in", async () => {
    const { post } = await boot({ LOGIN_ADDRESS_FREE_FAILURES: "3", LOGIN_ADDRESS_LOCK_FAILURES: "4", LOGIN_LOCK_SECONDS: "600" })
    const mine = email()
    expect((await post("/users/register", { fullName: "Mine", email: mine, password: PASSWORD }, "203.0.113.50")).status).toBe(201)
    const statuses: Array<number> = []
    for (let i = 0; i < 8; i++) statuses.push((await post("/users/login", { email: email(), password: "guess" }, "198.51.100.7")).status)
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401])
    expect(statuses.at(-1)).toBe(429)
    // The owner, elsewhere, is not held up by that address.
    expect((await post("/users/login", { email: mine, password: PASSWORD }, "203.0.113.50")).status).toBe(200)
  })
})

describe("registration limits", () => {
  test("registrations per address: past the rate 429 with Retry-After; another address still registers", async () => {
    const { svc, post } = await boot({ REGISTER_RATE_PER_ADDRESS: "3/1h" })
    const before = (await metric(svc, "register_address"))!
    for (let i = 0; i < 3; i++) expect((await post("/users/register", { fullName: "R", email: email(), password: PASSWORD }, "198.51.100.20")).status).toBe(201)
    const refused = await post("/users/register", { fullName: "R", email: email(), password: PASSWORD }, "198.51.100.20")
    expect(refused.status).toBe(429)
    // One token comes back every 20 minutes.
    const retry = Number(refused.headers.get("retry-after"))
    expect(retry).toBeGreaterThan(1100)
    expect(retry).toBeLessThanOrEqual(1200)
    expect(((await refused.json()) as { code: string }).code).toBe("rate_limited")
    expect((await post("/users/register", { fullName: "R", email: email(), password: PASSWORD }, "198.51.100.21")).status).toBe(201)
    expect((await metric(svc, "register_address"))! - before).toBe(1)
  })
})

describe("ABUSE_LIMITS", () => {
  test("ABUSE_LIMITS=off lifts every limit", async () => {
    const { post } = await boot({ ABUSE_LIMITS: "off", REGISTER_RATE_PER_ADDRESS: "1/1h", LOGIN_ACCOUNT_FREE_FAILURES: "0", LOGIN_ACCOUNT_LOCK_FAILURES: "1" })
    const owner = email()
    for (const e of [owner, email(), email()]) expect((await post("/users/register", { fullName: "O", email: e, password: PASSWORD })).status).toBe(201)
    for (let i = 0; i < 3; i++) expect((await post("/users/login", { email: owner, password: "wrong" })).status).toBe(401)
    expect((await post("/users/login", { email: owner, password: PASSWORD })).status).toBe(200)
  })

  test("ABUSE_LIMITS=off is refused with NODE_ENV=production, and a malformed limit stops the start", async () => {
    const dir = tempDir("users-limits-prod")
    try {
      const base = { PORT: "0", DATA_DIR: dir.dir, AMQP_URL: vhost.amqpUrl, ADMIN_EMAIL: "boss@cinema.test", ADMIN_PASSWORD: "a real secret of the cinema" }
      // A production broker password (not the development one), so the start reaches the limits' check.
      await expect(bootService(usersService({ ...base, NODE_ENV: "production", AMQP_USER: "bookaticket-users", AMQP_PASSWORD: "a-production-secret", ABUSE_LIMITS: "off" }))).rejects.toThrow(
        /ABUSE_LIMITS=off is refused with NODE_ENV=production/
      )
      await expect(bootService(usersService({ ...base, REGISTER_RATE_PER_ADDRESS: "lots" }))).rejects.toThrow(/REGISTER_RATE_PER_ADDRESS must be a rate/)
    } finally {
      dir.remove()
    }
  })
})
