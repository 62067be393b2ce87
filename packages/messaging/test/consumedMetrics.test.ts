import { afterAll, afterEach, beforeAll, expect, test } from "bun:test"
import { inboxOf, makeEnvelope, newId } from "@bat/contracts"
import { createTestVhost, pollUntil, type TestVhost } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ConsumeOutcome } from "../src/index.ts"
import { consumerKit } from "./consumerKit.ts"

let vh: TestVhost
let dir: string
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-msg-metrics" })
  dir = mkdtempSync(join(tmpdir(), "bat-msg-metrics-"))
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await vh.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const { newStore, startConsumer } = consumerKit({ url: () => vh.amqpUrl, dir: () => dir, cleanups })

test("each settled delivery is reported once with how it ended: done, retried or parked", async () => {
  const seen: Array<string> = []
  const store = newStore("metrics")
  // The handler fails the very first attempt it sees, once.
  let flakyAttempts = 0
  await startConsumer(store, {
    retryDelays: [200],
    fail: (attempt) => attempt === 1 && flakyAttempts++ === 0,
    metrics: { consumed: (type: string, outcome: ConsumeOutcome) => seen.push(`${type} ${outcome}`) }
  })
  const conn = await amqp.connect(vh.amqpUrl)
  cleanups.push(() => conn.close().catch(() => {}))
  const ch = await conn.createConfirmChannel()
  const send = (body: string, type: string) =>
    ch.sendToQueue(inboxOf("screenings"), Buffer.from(body), { persistent: true, messageId: newId(), type, contentType: "application/json" })
  const hall = () =>
    JSON.stringify(
      makeEnvelope("HallCreated", { hallId: newId(), cinemaId: newId(), name: "Hall", rows: [{ label: "A", seats: 3 }], capacity: 3 } as never, {
        source: "cinemas",
        correlationId: newId()
      })
    )
  send(hall(), "HallCreated") // fails once, retried, then done
  await ch.waitForConfirms()
  await pollUntil(() => seen.length === 2, { timeoutMs: 10_000, message: "the retry and then the success" })
  send("not json", "HallCreated") // parked at once
  send("{}", "NoSuchType") // parked, with a type label that cannot grow
  send(hall(), "HallCreated") // done
  await ch.waitForConfirms()
  await pollUntil(() => seen.length === 5, { timeoutMs: 10_000, message: "every delivery settled" })
  expect(seen).toEqual(["HallCreated retried", "HallCreated done", "HallCreated parked", "unknown parked", "HallCreated done"])
})
