// Notification streams per account (DESIGN §17): an account may have a few streams open at once; past that 429.
import { newId } from "@bat/contracts"
import { bootService, type RunningService } from "@bat/http"
import { createTestVhost, expectProblem, pollUntil, startTokenMint, tempDir, type TestVhost, type TokenMint } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { notificationsService } from "../src/service.ts"

let vhost: TestVhost
let mint: TokenMint
const running: Array<{ svc: RunningService; dir: ReturnType<typeof tempDir> }> = []

const boot = async (env: Record<string, string>) => {
  const dir = tempDir("notifications-limits")
  const svc = await bootService(
    notificationsService({ PORT: "0", DATA_DIR: dir.dir, AMQP_URL: vhost.amqpUrl, JWKS_URL: mint.jwksUrl, SSE_HEARTBEAT_MS: "500", ...env })
  )
  running.push({ svc, dir })
  return svc
}

beforeAll(async () => {
  vhost = await createTestVhost()
  mint = await startTokenMint()
})
afterAll(async () => {
  for (const r of running) {
    await r.svc.stop().catch(() => {})
    r.dir.remove()
  }
  await mint?.stop()
  await vhost?.cleanup()
})

/** Opens a stream as `userId`; `close` ends it. */
const open = async (svc: RunningService, userId: string) => {
  const abort = new AbortController()
  const res = await fetch(`${svc.url}/notifications/stream`, {
    headers: { authorization: `Bearer ${await mint.token(userId, "customer")}`, accept: "text/event-stream" },
    signal: abort.signal
  })
  if (res.status === 200) {
    // Read the opening comment, so the stream is really open on the server.
    const reader = res.body!.getReader()
    await reader.read()
    return { res, close: () => abort.abort() }
  }
  return { res, close: () => abort.abort() }
}

const metric = async (svc: RunningService, limit: string) => {
  const text = await (await fetch(`${svc.url}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`bookaticket_rate_limited_total{limit="${limit}"}`))
  return line === undefined ? undefined : Number(line.split(" ").at(-1))
}

describe("notification streams per account", () => {
  test("past the cap a stream is 429 too_many_streams with Retry-After; closing one makes room; other accounts are not held up", async () => {
    const svc = await boot({ MAX_STREAMS_PER_ACCOUNT: "3" })
    expect(await metric(svc, "notification_streams_account")).toBeGreaterThanOrEqual(0)
    const before = (await metric(svc, "notification_streams_account"))!
    const user = newId()
    const streams = [await open(svc, user), await open(svc, user), await open(svc, user)]
    try {
      expect(streams.map((s) => s.res.status)).toEqual([200, 200, 200])
      const fourth = await open(svc, user)
      expect(Number(fourth.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
      await expectProblem(fourth.res, 429, "too_many_streams")
      expect((await metric(svc, "notification_streams_account"))! - before).toBe(1)
      const other = await open(svc, newId())
      expect(other.res.status).toBe(200)
      other.close()
      streams.shift()!.close()
      const again = await pollUntil(
        async () => {
          const s = await open(svc, user)
          if (s.res.status === 200) return s
          await s.res.body?.cancel()
          return undefined
        },
        { timeoutMs: 5_000, message: "room for a stream once one closed" }
      )
      streams.push(again)
    } finally {
      for (const s of streams) s.close()
    }
  })

  test("the default cap is 10, and ABUSE_LIMITS=off lifts it", async () => {
    const capped = await boot({})
    const off = await boot({ ABUSE_LIMITS: "off", MAX_STREAMS_PER_ACCOUNT: "1" })
    const user = newId()
    const opened: Array<{ close: () => void }> = []
    try {
      for (let i = 0; i < 10; i++) {
        const s = await open(capped, user)
        opened.push(s)
        expect(s.res.status).toBe(200)
      }
      const eleventh = await open(capped, user)
      await expectProblem(eleventh.res, 429, "too_many_streams")
      for (let i = 0; i < 3; i++) {
        const s = await open(off, user)
        opened.push(s)
        expect(s.res.status).toBe(200)
      }
    } finally {
      for (const s of opened) s.close()
    }
  })
})
