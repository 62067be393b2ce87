// Revocation (DESIGN §17): once a customer unregisters, the token they still hold is refused by EVERY service
// within seconds (users at once, the others on UserUnregistered), cached verifications included, after a
// restart too; and their open notification stream is closed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import { pollUntil, type Fleet, type TestVhost } from "@bat/testing"
import { Api, registerCustomer } from "./client.ts"
import { startWholeFleet, stopWholeFleet } from "./wholeFleet.ts"

const ADMIN = { email: "revocation-admin@e2e.test", password: "revocation-admin-password" }
/** Every service's own path prefix: each has a staff route (`_ops/dlq`) that authenticates the caller first. */
const prefixes = {
  users: "/users",
  cinemas: "/cinemas",
  movies: "/movies",
  screenings: "/screenings",
  booking: "/tickets",
  payments: "/payments",
  notifications: "/notifications"
} as const

let fleet: Fleet
let vh: TestVhost
let dataDir: string
let api: Api

beforeAll(async () => {
  ;({ vh, dataDir, fleet, api } = await startWholeFleet("bat-e2e-revocation", ADMIN))
}, 120_000)

afterAll(() => stopWholeFleet({ fleet, vh, dataDir }), 30_000)

describe("an unregistered user's token", () => {
  test("is refused 401 by every service within 5 s of unregistering, its open stream closes, and a restart keeps refusing it", async () => {
    const me = await registerCustomer(api, "leaving")
    const who = await me.get("/users/me")
    expect(who.status).toBe(200)
    const userId = who.body.userId as string
    /** What each place answers the customer's token now. */
    const answers = async () => {
      const direct = await Promise.all(
        Object.entries(prefixes).map(async ([service, prefix]) => {
          const res = await fetch(`${fleet.urls[service]}${prefix}/_ops/dlq`, { headers: { authorization: `Bearer ${me.token}` } })
          return [`${service} ${prefix}/_ops/dlq`, res.status, ((await res.json()) as { code?: string }).code ?? null] as const
        })
      )
      const front = await Promise.all(
        [
          ["GET /tickets", () => me.get("/tickets")],
          ["POST /tickets/book", () => me.post("/tickets/book", { screeningId: newId(), seatNumbers: ["A1"] })],
          ["GET /users/me", () => me.get("/users/me")],
          ["GET /notifications", () => me.get("/notifications")],
          ["GET /payments/{id}", () => me.get(`/payments/${newId()}`)]
        ].map(async ([name, call]) => {
          const r = await (call as () => Promise<{ status: number; body: any }>)()
          return [name as string, r.status, (r.body?.code as string | undefined) ?? null] as const
        })
      )
      return [...direct, ...front]
    }

    // Before: a customer's token is good (staff-only routes are 403 for it, not 401).
    const before = await answers()
    expect(before.filter(([, status]) => status === 401)).toEqual([])
    expect(Object.fromEntries(before.map(([name, status]) => [name, status]))).toMatchObject({
      "GET /tickets": 200,
      "POST /tickets/book": 202,
      "GET /users/me": 200,
      "GET /notifications": 200
    })

    // An open notification stream, through the front door.
    const stream = await fetch(`${fleet.urls.gateway}/notifications/stream`, {
      headers: { authorization: `Bearer ${me.token}`, accept: "text/event-stream" }
    })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("connected")
    let streamEnded = false
    const drained = (async () => {
      for (;;) {
        const { done } = await reader.read().catch(() => ({ done: true }))
        if (done) return void (streamEnded = true)
      }
    })()

    const gone = await me.call("DELETE", `/users/${userId}/unregister`)
    expect(gone.status).toBe(204)
    const unregisteredAt = Date.now()

    // Within 5 s every service refuses the token: 401 token_revoked everywhere (never 200/202/403/404).
    const after = await pollUntil(
      async () => {
        const now = await answers()
        return now.every(([, status, code]) => status === 401 && code === "token_revoked") ? now : undefined
      },
      { timeoutMs: 5_000, intervalMs: 100, message: "every service to refuse the unregistered user's token" }
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(await answers())}`)
    })
    expect(after.length).toBe(Object.keys(prefixes).length + 5)
    await pollUntil(() => streamEnded, { timeoutMs: Math.max(500, 5_000 - (Date.now() - unregisteredAt)), message: "the open notification stream to close" })
    await drained
    const reopened = await fetch(`${fleet.urls.gateway}/notifications/stream`, {
      headers: { authorization: `Bearer ${me.token}`, accept: "text/event-stream" }
    })
    expect(reopened.status).toBe(401)
    expect(((await reopened.json()) as { code: string }).code).toBe("token_revoked")

    // Each service keeps the revocation in its own database: booking, restarted, still refuses it.
    await fleet.restart("booking")
    const afterRestart = await me.get("/tickets")
    expect([afterRestart.status, afterRestart.body?.code]).toEqual([401, "token_revoked"])
  }, 90_000)
})
