// A service keeps serving HTTP whatever the broker does, and `/ready` tells the truth about its
// messaging (DESIGN §3.1): a real broker behind a cuttable proxy, channels closed by the broker.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { newId, subscriptions } from "@bat/contracts"
import { eventMessage } from "@bat/messaging"
import { createTestVhost, pollUntil, startTcpProxy, type TestVhost } from "@bat/testing"
import type * as amqp from "amqplib"
import { Effect, Schema } from "effect"
import { Elysia } from "elysia"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bootService, operation, type RunningService } from "../src/index.ts"

let vh: TestVhost
let dir: string
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-ready" })
  dir = mkdtempSync(join(tmpdir(), "bat-ready-"))
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await vh.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

/** A minimal consuming service: one handler, one read route. */
const boot = async (amqpUrl: string, env: Record<string, string> = {}): Promise<RunningService> => {
  const svc = await bootService({
    service: "screenings",
    defaultPort: 0,
    prefix: "/screenings",
    migrations: [],
    // A handler for every subscription, as boot requires; none of them does anything here.
    handlers: () => Object.fromEntries((subscriptions.screenings ?? []).map((type) => [type, () => Effect.void])),
    routes: () =>
      new Elysia().get("/screenings/ping", () => ({ pong: true }), {
        ...operation({ summary: "Answers while HTTP serves", auth: "none", ok: { status: 200, schema: Schema.Struct({ pong: Schema.Boolean }) } })
      }),
    env: {
      PORT: "0",
      AMQP_URL: amqpUrl,
      DATA_DIR: join(dir, newId()),
      JWKS_URL: "http://127.0.0.1:9/users/.well-known/jwks.json",
      ...env
    }
  })
  cleanups.push(() => svc.stop())
  return svc
}

const status = async (svc: RunningService, path: string) => {
  const res = await fetch(`${svc.url}${path}`)
  await res.body?.cancel()
  return res.status
}

const channelsOf = (svc: RunningService) =>
  svc.messaging.broker as unknown as { publisher: amqp.ConfirmChannel | undefined; slots: Array<{ channel: amqp.Channel | undefined }> }

/** The broker closes a channel that acks a delivery tag it never sent. */
const provokeClose = (ch: amqp.Channel | undefined) => {
  if (!ch) throw new Error("no channel to close")
  ch.ack({ fields: { deliveryTag: 987_654_321 } } as unknown as amqp.Message)
}

/** Polls /ready every few ms until it answers `want`; returns how long that took. */
const readyBecomes = async (svc: RunningService, want: number, timeoutMs: number): Promise<number> => {
  const t0 = performance.now()
  await pollUntil(async () => (await status(svc, "/ready")) === want, { timeoutMs, intervalMs: 5, message: `/ready ${want}` })
  return performance.now() - t0
}

describe("a service and its broker link", () => {
  test("started while the broker is down, it answers HTTP at once with /ready 503, and is ready within 5 s of the broker's return", async () => {
    const proxy = await startTcpProxy(5672)
    cleanups.push(() => proxy.close())
    proxy.cut()
    const url = new URL(vh.amqpUrl)
    url.port = String(proxy.port)
    const t0 = performance.now()
    const svc = await boot(url.href)
    const bootMs = performance.now() - t0
    expect(bootMs).toBeLessThan(5_000)
    expect(await status(svc, "/health")).toBe(200)
    expect(await status(svc, "/screenings/ping")).toBe(200)
    expect(await status(svc, "/ready")).toBe(503)
    // A long outage: the reconnect back-off reaches its ceiling meanwhile.
    await Bun.sleep(12_000)
    expect(await status(svc, "/ready")).toBe(503)
    expect(await status(svc, "/screenings/ping")).toBe(200)
    proxy.restore()
    const backMs = await readyBecomes(svc, 200, 5_000)
    console.log(`booted in ${bootMs.toFixed(0)} ms without a broker; ready ${backMs.toFixed(0)} ms after the broker came back`)
  }, 30_000)

  test("/ready is 503 while the publisher or a consumer channel is down, and 200 once each is reopened", async () => {
    const svc = await boot(vh.amqpUrl)
    await readyBecomes(svc, 200, 10_000)

    provokeClose(channelsOf(svc).publisher)
    await readyBecomes(svc, 503, 2_000)
    const publisherMs = await readyBecomes(svc, 200, 5_000)

    provokeClose(channelsOf(svc).slots[0]?.channel)
    await readyBecomes(svc, 503, 2_000)
    const consumerMs = await readyBecomes(svc, 200, 5_000)
    console.log(`ready again ${publisherMs.toFixed(0)} ms after the publisher channel closed, ${consumerMs.toFixed(0)} ms after the consumer's`)
  })

  test("/ready is 503 while the oldest unsent outbox row is older than READY_OUTBOX_MAX_AGE_MS", async () => {
    const svc = await boot(vh.amqpUrl, { READY_OUTBOX_MAX_AGE_MS: "1000" })
    await readyBecomes(svc, 200, 10_000)
    const broker = svc.messaging.broker
    const publish = broker.publish.bind(broker)
    let refusing = true
    broker.publish = async (messages) => {
      if (refusing) throw new Error("publisher confirms timed out")
      return publish(messages)
    }
    svc.store.transactSync(() =>
      svc.store.appendOutbox([eventMessage("screenings", "ScreeningCancelled", { screeningId: newId(), reason: "t" } as never, { correlationId: newId() })])
    )
    // 503 for the outbox's age alone, with the link, publisher and consumers up (the fresh publisher
    // channel the relay asks for after three refusals makes it 503 for a moment for another reason).
    const aged = await pollUntil(
      async () => {
        const res = await fetch(`${svc.url}/ready`)
        const body = (await res.json()) as { checks: { oldestUnsentMs: number; publisher: string; consumers: string } }
        const linkUp = body.checks.publisher === "open" && body.checks.consumers === "running"
        return res.status === 503 && linkUp && body.checks.oldestUnsentMs > 1_000 ? body : undefined
      },
      { timeoutMs: 3_000, intervalMs: 50, message: "/ready 503 for an outbox row older than 1 s" }
    )
    expect(aged.checks.oldestUnsentMs).toBeGreaterThan(1_000)
    refusing = false
    await readyBecomes(svc, 200, 5_000)
  })
})
