import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { dlqOf, holdExpiredQueue, inboxOf, makeEnvelope, newId, type EventData } from "@bat/contracts"
import { createTestVhost, pollUntil, startTcpProxy, type TestVhost } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Broker, eventMessage, holdTimerMessage, startMessaging, topologyFor, type Messaging } from "../src/index.ts"
import { definitionsJson, definitionsPath } from "../src/exportDefinitions.ts"
import { consumerKit } from "./consumerKit.ts"

let vh: TestVhost
let dir: string
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-msg" })
  dir = mkdtempSync(join(tmpdir(), "bat-msg-"))
})
// Each test stops what it started, so no consumer of an earlier test competes for the inbox.
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await vh.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const { newStore, effectsOf, startConsumer } = consumerKit({ url: () => vh.amqpUrl, dir: () => dir, cleanups })

const hall = (n: number): EventData<"HallCreated"> =>
  ({ hallId: newId(), cinemaId: newId(), name: `Hall ${n}`, rows: [{ label: "A", seats: 3 }], capacity: 3 }) as never

const rawChannel = async () => {
  const conn = await amqp.connect(vh.amqpUrl)
  const ch = await conn.createConfirmChannel()
  cleanups.push(() => conn.close().catch(() => {}))
  return ch
}

const sendToInbox = async (body: string | object, id = newId(), type = "HallCreated") => {
  const ch = await rawChannel()
  ch.sendToQueue(inboxOf("screenings"), Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), {
    persistent: true,
    messageId: id,
    type,
    contentType: "application/json"
  })
  await ch.waitForConfirms()
}

const queueDepth = async (queue: string) => {
  const ch = await rawChannel()
  const q = await ch.checkQueue(queue)
  await ch.close()
  return q.messageCount
}

const envelopeOf = (data: unknown, id = newId()) =>
  makeEnvelope("HallCreated", data, { id, source: "cinemas", correlationId: newId() })

describe("messaging against a real broker", () => {
  test("events written while the broker link is cut are published, in order, once it comes back", async () => {
    const proxy = await startTcpProxy(5672)
    cleanups.push(() => proxy.close())
    const viaProxy = new URL(vh.amqpUrl)
    viaProxy.port = String(proxy.port)
    const store = newStore("cinemas")
    const producer = await startMessaging({ service: "cinemas", url: viaProxy.href, store, relayPollMs: 100 })
    cleanups.push(() => producer.stop())

    const ch = await rawChannel()
    const q = await ch.assertQueue("", { exclusive: true })
    await ch.bindQueue(q.queue, "cinemas.events", "#")
    const received: Array<number> = []
    await ch.consume(q.queue, (m) => {
      if (m) received.push(JSON.parse(m.content.toString()).data.revision)
    }, { noAck: true })

    proxy.cut()
    await pollUntil(() => !producer.broker.connected, { message: "the producer to notice the cut link" })
    const total = 50
    for (let i = 1; i <= total; i++) {
      store.transactSync(() =>
        store.appendOutbox([
          eventMessage("cinemas", "CinemaCreated", { cinemaId: newId(), revision: i, name: `c${i}`, address: "x" } as never, {
            correlationId: newId()
          })
        ])
      )
    }
    expect(producer.relay.backlog()).toBe(total)
    expect(received).toEqual([])

    proxy.restore()
    await pollUntil(() => received.length >= total, { timeoutMs: 20_000, message: "all 50 events after reconnect" })
    expect(received).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    await pollUntil(() => producer.relay.backlog() === 0, { message: "the outbox to be marked sent" })
    // Screenings subscribes to these events, so its inbox holds them now: leave it empty for the next tests.
    await ch.purgeQueue(inboxOf("screenings"))
  })

  test("a message delivered twice has one effect", async () => {
    const store = newStore("dup")
    await startConsumer(store)
    const env = envelopeOf(hall(1))
    await sendToInbox(env, env.id)
    await sendToInbox(env, env.id)
    const marker = envelopeOf(hall(2))
    await sendToInbox(marker, marker.id)
    await pollUntil(() => effectsOf(store).some((e) => e.message_id === marker.id))
    expect(effectsOf(store).filter((e) => e.message_id === env.id)).toHaveLength(1)
  })

  test("a crash after commit and before ack causes no second effect", async () => {
    const store = newStore("crash")
    let crashed = false
    let first: Messaging | undefined
    first = await startConsumer(store, {
      beforeAck: async () => {
        if (crashed) return
        crashed = true
        await first!.broker.close() // the process dies here: committed, never acked
        throw new Error("simulated crash")
      }
    })
    const env = envelopeOf(hall(3))
    await sendToInbox(env, env.id)
    await pollUntil(() => crashed && effectsOf(store).length === 1, { message: "the first, un-acked application" })

    await startConsumer(store) // the restarted process gets the redelivery
    await pollUntil(async () => (await queueDepth(inboxOf("screenings"))) === 0, { message: "the redelivery to be acked" })
    const marker = envelopeOf(hall(4))
    await sendToInbox(marker, marker.id)
    await pollUntil(() => effectsOf(store).some((e) => e.message_id === marker.id))
    expect(effectsOf(store).filter((e) => e.message_id === env.id)).toHaveLength(1)
  })

  test("an undecodable message is parked in the DLQ with its error while the consumer keeps going", async () => {
    const store = newStore("poison")
    const m = await startConsumer(store)
    const badId = newId()
    await sendToInbox("{not json", newId())
    await sendToInbox(envelopeOf({ hallId: "nope" }, badId), badId)
    const good = envelopeOf(hall(5))
    await sendToInbox(good, good.id)
    await pollUntil(() => effectsOf(store).some((e) => e.message_id === good.id), { message: "the good message" })
    const parked = await pollUntil(async () => {
      const list = await m.listParked(10)
      return list.length >= 2 ? list : undefined
    })
    const bad = parked.find((p) => p.messageId === badId)!
    expect(bad.reason).toBe("undecodable")
    expect(bad.error).toContain("hallId")
    expect(bad.attempts).toBe(1)
    expect(parked.some((p) => p.error.includes("not JSON"))).toBe(true)
    expect(await m.parkedCount()).toBe(2) // listing leaves them in place
    expect(effectsOf(store).map((e) => e.message_id)).toEqual([good.id])
    // Leave the DLQ empty for the next test.
    await rawChannel().then((ch) => ch.purgeQueue(dlqOf("screenings")))
  })

  test("a transient failure is retried after a delay and then succeeds", async () => {
    const store = newStore("retry")
    await startConsumer(store, { fail: (attempt) => attempt === 1, retryDelays: [400, 800] })
    const env = envelopeOf(hall(6))
    const sentAt = Date.now()
    await sendToInbox(env, env.id)
    await pollUntil(() => effectsOf(store).some((e) => e.attempt === 2), { message: "the second attempt" })
    const at = store.db.prepare("SELECT at FROM effects WHERE attempt = 2").get() as { at: number }
    expect(at.at - sentAt).toBeGreaterThanOrEqual(380)
    // The failed attempt rolled back: only the successful one left its effect.
    expect(effectsOf(store)).toEqual([{ message_id: env.id, attempt: 2 }])
  })

  test("a message failing every attempt is parked with its error, and a replay applies it once fixed", async () => {
    const store = newStore("exhaust")
    let broken = true
    const m = await startConsumer(store, { fail: () => broken, retryDelays: [100, 200] })
    const env = envelopeOf(hall(7))
    await sendToInbox(env, env.id)
    const parked = await pollUntil(async () => (await m.listParked(5)).find((p) => p.messageId === env.id), {
      message: "the message to be parked after 3 attempts"
    })
    expect(parked.reason).toBe("attempts_exhausted")
    expect(parked.attempts).toBe(3)
    expect(parked.error).toContain("transient failure on attempt 3")
    expect(effectsOf(store)).toEqual([])
    broken = false
    expect(await m.replayParked([env.id])).toBe(1)
    await pollUntil(() => effectsOf(store).length === 1, { message: "the replayed message to apply" })
    expect(effectsOf(store)[0]!.message_id).toBe(env.id)
    // The replay's ack reaches the quorum queue's count a moment later.
    await pollUntil(async () => (await m.parkedCount()) === 0, { timeoutMs: 5_000, message: "the DLQ to be empty after the replay" })
  })

  test("a hold message with a 1-second TTL reaches the expiry queue in about a second with no consumer", async () => {
    const broker = new Broker({ url: vh.amqpUrl, topology: topologyFor("payments", { holdTtlMs: 1000 }) })
    await broker.start()
    cleanups.push(() => broker.close())
    await broker.waitForConnect()
    const msg = holdTimerMessage(1000, { bookingId: newId(), paymentId: newId() } as never, { correlationId: newId() })
    const started = Date.now()
    await broker.publish([
      { exchange: msg.exchange, routingKey: msg.routingKey, body: msg.body, options: { persistent: true, messageId: msg.id, type: msg.type } }
    ])
    await pollUntil(async () => (await queueDepth(holdExpiredQueue)) === 1, { timeoutMs: 10_000, intervalMs: 20 })
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(3_000)
  })
})

describe("topology", () => {
  test("rabbitmq/definitions.json matches the topology in code", async () => {
    expect(await Bun.file(definitionsPath).text()).toBe(definitionsJson())
  })
})
