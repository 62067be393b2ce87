// Faults the messaging layer must survive (DESIGN §3.1), injected for real: failed settlements, channels
// closed by the broker, a header table amqplib cannot decode, a message that kills its consumer process,
// and a fresh broker where consumers start after producers.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { dlqOf, inboxOf, makeEnvelope, newId } from "@bat/contracts"
import { createTestVhost, pollUntil, publishNestedHeaders, type TestVhost } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { eventMessage, startMessaging, type Messaging } from "../src/index.ts"
import { consumerKit } from "./consumerKit.ts"

let vh: TestVhost
let dir: string
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-faults" })
  dir = mkdtempSync(join(tmpdir(), "bat-faults-"))
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await vh.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const { newStore, effectsOf, startConsumer } = consumerKit({ url: () => vh.amqpUrl, dir: () => dir, cleanups })

const hallData = (name = "Hall") => ({ hallId: newId(), cinemaId: newId(), name, rows: [{ label: "A", seats: 3 }], capacity: 3 })

const withRawChannel = async <A>(f: (ch: amqp.ConfirmChannel) => Promise<A>): Promise<A> => {
  const conn = await amqp.connect(vh.amqpUrl)
  conn.on("error", () => {})
  try {
    const ch = await conn.createConfirmChannel()
    ch.on("error", () => {})
    return await f(ch)
  } finally {
    await conn.close().catch(() => {})
  }
}

const withRawChannelOn = async <A>(url: string, f: (ch: amqp.Channel) => Promise<A>): Promise<A> => {
  const conn = await amqp.connect(url)
  conn.on("error", () => {})
  try {
    const ch = await conn.createChannel()
    ch.on("error", () => {})
    return await f(ch)
  } finally {
    await conn.close().catch(() => {})
  }
}

const sendHalls = (n: number, headers: Record<string, unknown> = {}, name = "Hall"): Promise<Array<string>> =>
  withRawChannel(async (ch) => {
    const ids: Array<string> = []
    for (let i = 0; i < n; i++) {
      const env = makeEnvelope("HallCreated", hallData(`${name} ${i}`) as never, { source: "cinemas", correlationId: newId() })
      ids.push(env.id)
      ch.sendToQueue(inboxOf("screenings"), Buffer.from(JSON.stringify(env)), {
        persistent: true,
        messageId: env.id,
        type: env.type,
        contentType: "application/json",
        headers
      })
    }
    await ch.waitForConfirms()
    return ids
  })

const depth = (queue: string) => withRawChannel(async (ch) => (await ch.checkQueue(queue)).messageCount)

/** The broker closes a channel that acks a delivery tag it never sent (406 PRECONDITION_FAILED). */
const provokeChannelClose = (ch: amqp.Channel) =>
  ch.ack({ fields: { deliveryTag: 987_654_321 } } as unknown as amqp.Message)

/** Internal channels, reached only here to make the broker close them. */
const channelsOf = (m: Messaging) =>
  m.broker as unknown as {
    publisher: amqp.ConfirmChannel | undefined
    slots: Array<{ channel: amqp.Channel | undefined }>
  }

describe("faults the messaging layer survives", () => {
  test("a batch whose retries cannot be published loses nothing: every message is applied once or retried, never acked unsettled", async () => {
    const store = newStore("screenings")
    // Every message fails its first attempt, so every batch has retries to publish.
    const m = await startConsumer(store, { fail: (attempt) => attempt === 1 })
    const realPublish = m.broker.publish.bind(m.broker)
    let refused = 0
    m.broker.publish = async (messages) => {
      if (messages.some((x) => x.routingKey.startsWith("screenings.retry.")) && refused < 4) {
        refused++
        throw new Error("publisher channel closed before the confirms arrived")
      }
      return realPublish(messages)
    }
    const ids = await sendHalls(40)
    await pollUntil(
      () => new Set(effectsOf(store).filter((e) => e.attempt === 2).map((e) => e.message_id)).size === ids.length,
      { timeoutMs: 20_000, message: "every message to succeed on its retry" }
    )
    expect(refused).toBe(4)
    const applied = effectsOf(store).filter((e) => e.attempt === 2).map((e) => e.message_id)
    expect(applied.length).toBe(ids.length) // applied exactly once each
    expect(new Set(applied)).toEqual(new Set(ids))
    await pollUntil(async () => (await depth(inboxOf("screenings"))) === 0, { message: "the inbox to drain" })
    expect(await depth(dlqOf("screenings"))).toBe(0)
  })

  test("a message with headers too large to copy is parked with only the headers it needs", async () => {
    const store = newStore("screenings")
    const m = await startConsumer(store)
    // 60 KB of headers: amqplib decodes them, but could not re-encode them plus the park headers (64 KB buffer).
    const big = { a: "x".repeat(30_000), b: "y".repeat(30_000), traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }
    await withRawChannel(async (ch) => {
      ch.sendToQueue(inboxOf("screenings"), Buffer.from("{not json"), { persistent: true, messageId: newId(), type: "HallCreated", headers: big })
      await ch.waitForConfirms()
    })
    const good = await sendHalls(3)
    await pollUntil(() => effectsOf(store).length === 3, { message: "the good messages behind it" })
    expect(effectsOf(store).map((e) => e.message_id)).toEqual(good)
    await pollUntil(async () => (await depth(dlqOf("screenings"))) === 1, { message: "the message to be parked" })
    const parked = await m.listParked()
    expect(parked[0]!.reason).toBe("undecodable")
    const headers = await withRawChannel(async (ch) => {
      const got = await ch.get(dlqOf("screenings"), { noAck: false })
      if (!got) throw new Error("no parked message")
      ch.nack(got, false, true)
      return got.properties.headers ?? {}
    })
    expect(headers.a).toBeUndefined()
    expect(headers.b).toBeUndefined()
    expect(headers.traceparent).toBe(big.traceparent)
    expect(headers["x-park-reason"]).toBe("undecodable")
    await withRawChannel((ch) => ch.purgeQueue(dlqOf("screenings")))
  })

  test("a publisher channel and a consumer channel closed by the broker are back within 5 s, unhealthy while down", async () => {
    const store = newStore("screenings")
    const m = await startConsumer(store)
    expect(m.broker.isHealthy()).toBe(true)

    const publisher = channelsOf(m).publisher
    if (!publisher) throw new Error("no publisher channel")
    provokeChannelClose(publisher)
    await pollUntil(() => !m.broker.health().publisher, { timeoutMs: 2_000, message: "the publisher channel to close" })
    expect(m.broker.isHealthy()).toBe(false)
    const t0 = performance.now()
    await pollUntil(() => m.broker.isHealthy(), { timeoutMs: 5_000, intervalMs: 20, message: "the publisher channel to be reopened" })
    const publisherBackMs = performance.now() - t0
    // It really publishes again: an event through the outbox reaches a queue.
    store.transactSync(() =>
      store.appendOutbox([eventMessage("screenings", "ScreeningCancelled", { screeningId: newId(), reason: "test" } as never, { correlationId: newId() })])
    )
    await pollUntil(() => m.relay.backlog() === 0, { timeoutMs: 5_000, message: "the outbox row to be confirmed" })

    const consumer = channelsOf(m).slots[0]?.channel
    if (!consumer) throw new Error("no consumer channel")
    provokeChannelClose(consumer)
    await pollUntil(() => !m.broker.health().consumers[0]!.up, { timeoutMs: 2_000, message: "the consumer channel to close" })
    expect(m.broker.isHealthy()).toBe(false)
    const t1 = performance.now()
    await pollUntil(() => m.broker.isHealthy(), { timeoutMs: 5_000, intervalMs: 20, message: "the consumer to be re-registered" })
    const consumerBackMs = performance.now() - t1
    const ids = await sendHalls(5)
    await pollUntil(() => effectsOf(store).length === 5, { message: "messages consumed on the reopened channel" })
    expect(effectsOf(store).map((e) => e.message_id)).toEqual(ids)
    console.log(`publisher back in ${publisherBackMs.toFixed(0)} ms, consumer back in ${consumerBackMs.toFixed(0)} ms`)
  })

  test("a recycled publisher channel is replaced by a fresh one that publishes", async () => {
    const store = newStore("screenings")
    const m = await startConsumer(store)
    const before = channelsOf(m).publisher
    m.broker.recyclePublisher("test")
    await pollUntil(() => m.broker.isHealthy() && channelsOf(m).publisher !== undefined && channelsOf(m).publisher !== before, {
      timeoutMs: 5_000,
      intervalMs: 20,
      message: "a new publisher channel"
    })
    store.transactSync(() =>
      store.appendOutbox([eventMessage("screenings", "ScreeningCancelled", { screeningId: newId(), reason: "test" } as never, { correlationId: newId() })])
    )
    await pollUntil(() => m.relay.backlog() === 0, { timeoutMs: 5_000, message: "the outbox row to be confirmed on the new channel" })
  })

  test("a message with a 15,000-level header table ends in the DLQ after the delivery limit while others keep flowing", async () => {
    const bomb = newId()
    const vhost = await createTestVhost({ prefix: "bat-bomb" })
    cleanups.push(() => vhost.cleanup())
    const store = newStore("screenings")
    const errors: Array<unknown> = []
    const onUncaught = (e: unknown) => errors.push(e)
    process.on("uncaughtException", onUncaught)
    cleanups.push(() => process.off("uncaughtException", onUncaught))
    // Declares the topology (delivery limit 4), then the poison goes in ahead of the good messages.
    const m = await startConsumer(store, { url: vhost.amqpUrl, deliveryLimit: 4 })
    await m.stop()
    await publishNestedHeaders({ amqpUrl: vhost.amqpUrl, queue: inboxOf("screenings"), depth: 15_000, messageId: bomb, type: "HallCreated", timeoutMs: 40_000 })
    const good = await (async () => {
      const conn = await amqp.connect(vhost.amqpUrl)
      const ch = await conn.createConfirmChannel()
      const ids: Array<string> = []
      for (let i = 0; i < 10; i++) {
        const env = makeEnvelope("HallCreated", hallData() as never, { source: "cinemas", correlationId: newId() })
        ids.push(env.id)
        ch.sendToQueue(inboxOf("screenings"), Buffer.from(JSON.stringify(env)), { persistent: true, messageId: env.id, type: env.type })
      }
      await ch.waitForConfirms()
      await conn.close()
      return ids
    })()
    const again = await startConsumer(store, { url: vhost.amqpUrl, deliveryLimit: 4 })
    await pollUntil(() => effectsOf(store).length === good.length, { timeoutMs: 60_000, message: "the good messages behind the poison" })
    expect(effectsOf(store).map((e) => e.message_id)).toEqual(good)
    await pollUntil(async () => (await again.parkedCount().catch(() => -1)) === 1, { timeoutMs: 30_000, message: "the poison in the DLQ" })
    await pollUntil(() => again.broker.isHealthy(), { timeoutMs: 10_000, message: "the consumer to be healthy again" })
    expect(await again.parkedCount()).toBe(1)
    // Listing it reads it on a connection of its own: that one fails, the service's link does not.
    const listing = await again.listParked().then(
      () => "listed",
      (e: Error) => e.message
    )
    console.log(`listing the parked header table: ${listing}`)
    await Bun.sleep(200)
    expect(again.broker.isHealthy()).toBe(true)
    expect(errors).toEqual([])
  }, 120_000)

  test("a message that kills its consumer process on every delivery is parked after three crashes while the others are applied once", async () => {
    const vhost = await createTestVhost({ prefix: "bat-crash" })
    cleanups.push(() => vhost.cleanup())
    const file = join(dir, `crashing-${newId()}.db`)
    const store = newStore("screenings", file)
    const spawnConsumer = () =>
      Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "crashingConsumer.ts"), vhost.amqpUrl, file], {
        stdout: "ignore",
        stderr: "ignore"
      })
    // The first run declares the topology; then the poison goes in between good messages.
    let child = spawnConsumer()
    await pollUntil(async () => {
      try {
        const conn = await amqp.connect(vhost.amqpUrl)
        const ch = await conn.createChannel()
        ch.on("error", () => {})
        const ok = await ch.checkQueue(inboxOf("screenings")).then(() => true, () => false)
        await conn.close().catch(() => {})
        return ok
      } catch {
        return false
      }
    }, { timeoutMs: 15_000, message: "the consumer to declare its inbox" })
    const send = async (names: Array<string>) => {
      const conn = await amqp.connect(vhost.amqpUrl)
      const ch = await conn.createConfirmChannel()
      const ids: Array<string> = []
      for (const name of names) {
        const env = makeEnvelope("HallCreated", hallData(name) as never, { source: "cinemas", correlationId: newId() })
        ids.push(env.id)
        ch.sendToQueue(inboxOf("screenings"), Buffer.from(JSON.stringify(env)), { persistent: true, messageId: env.id, type: env.type })
      }
      await ch.waitForConfirms()
      await conn.close()
      return ids
    }
    const before = await send(["a", "b", "c"])
    const [poison] = await send(["poison"])
    const after = await send(["d", "e", "f", "g"])
    let crashes = 0
    const dlq = async () => {
      const conn = await amqp.connect(vhost.amqpUrl)
      const ch = await conn.createChannel()
      const n = (await ch.checkQueue(dlqOf("screenings"))).messageCount
      await conn.close()
      return n
    }
    const deadline = performance.now() + 60_000
    while (performance.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        crashes++
        child = spawnConsumer() // what a supervisor does
      }
      if (effectsOf(store).length === before.length + after.length && (await dlq()) === 1) break
      await Bun.sleep(100)
    }
    child.kill()
    await child.exited
    expect(crashes).toBe(3)
    expect(await dlq()).toBe(1)
    expect(effectsOf(store).map((e) => e.message_id).sort()).toEqual([...before, ...after].sort())
    const parked = await withRawChannelOn(vhost.amqpUrl, async (ch) => {
      const got = await ch.get(dlqOf("screenings"), { noAck: false })
      if (!got) throw new Error("nothing parked")
      ch.nack(got, false, true)
      return got
    })
    expect(parked.properties.messageId).toBe(poison)
    expect(parked.properties.headers?.["x-park-reason"]).toBe("consumer_crashed")
  }, 90_000)

  test("events published before their consumer first started are delivered on a fresh broker", async () => {
    const vhost = await createTestVhost({ prefix: "bat-fresh" })
    cleanups.push(() => vhost.cleanup())
    const producerStore = newStore("cinemas")
    const producer = await startMessaging({ service: "cinemas", url: vhost.amqpUrl, store: producerStore, relayPollMs: 100 })
    cleanups.push(() => producer.stop())
    const ids: Array<string> = []
    producerStore.transactSync(() => {
      const rows = [0, 1, 2].map((i) => eventMessage("cinemas", "HallCreated", hallData(`H${i}`) as never, { correlationId: newId() }))
      for (const r of rows) ids.push(r.id)
      producerStore.appendOutbox(rows)
    })
    await pollUntil(() => producer.relay.backlog() === 0, { message: "the events to be confirmed" })
    expect(producer.broker.returned).toBe(0)
    // The consumer starts only now, for the first time on this broker.
    const store = newStore("screenings")
    await startConsumer(store, { url: vhost.amqpUrl })
    await pollUntil(() => effectsOf(store).length === 3, { message: "the events published before the consumer existed" })
    expect(effectsOf(store).map((e) => e.message_id)).toEqual(ids)
  })

  test("an unroutable publish is returned, logged and counted", async () => {
    const store = newStore("cinemas")
    const m = await startMessaging({ service: "cinemas", url: vh.amqpUrl, store })
    cleanups.push(() => m.stop())
    await m.broker.publish([{ exchange: "", routingKey: `no-such-queue-${newId()}`, body: "{}", options: { persistent: true, messageId: newId(), type: "X" } }])
    await pollUntil(() => m.broker.returned === 1, { timeoutMs: 2_000, message: "the return to be counted" })
  })
})

describe("subscriptions written once", () => {
  test("a handler map must cover exactly its service's subscriptions", async () => {
    const { subscriptionMismatch } = await import("../src/index.ts")
    const { subscriptions } = await import("@bat/contracts")
    for (const [service, types] of Object.entries(subscriptions)) {
      expect(subscriptionMismatch(service, [...types!])).toBeUndefined()
    }
    expect(subscriptionMismatch("payments", ["TicketReserved"])).toContain("no handler for them")
    expect(subscriptionMismatch("payments", ["TicketReserved", "TicketCancelled", "MovieAdded"])).toContain("not bound to them")
    expect(subscriptionMismatch("payments", ["TicketReserved", "TicketCancelled", "UserUnregistered", "HoldTimerElapsed"], ["HoldTimerElapsed"])).toBeUndefined()
  })
})
