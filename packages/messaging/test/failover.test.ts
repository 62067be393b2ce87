// AMQP_URL with several nodes (DESIGN §12): the broker link goes to the first node that answers and,
// when that link is lost, to the next one, with consumers and the publisher back on the new link.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { exchangeOf, inboxOf, newId } from "@bat/contracts"
import { createTestVhost, freePort, pollUntil, startTcpProxy, type TcpProxy, type TestVhost } from "@bat/testing"
import { Broker, brokerUrls, connectOptionsOf } from "../src/Broker.ts"
import { topologyFor } from "../src/Topology.ts"

let vh: TestVhost
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-failover" })
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await vh.cleanup()
})

const urlOnPort = (port: number) => {
  const u = new URL(vh.amqpUrl)
  u.port = String(port)
  return u.href
}

const proxy = async (): Promise<TcpProxy> => {
  const p = await startTcpProxy(Number(new URL(vh.amqpUrl).port || 5672))
  cleanups.push(() => p.close())
  return p
}

/** A broker on `urls` consuming screenings' inbox; returns what it received and its log lines. */
const startBroker = async (urls: ReadonlyArray<string>) => {
  const received: Array<string> = []
  const logs: Array<{ message: string; fields?: Record<string, unknown> }> = []
  const broker = new Broker({
    url: urls.join(","),
    topology: topologyFor("screenings"),
    maxReconnectDelayMs: 1_000,
    log: (_level, message, fields) => logs.push({ message, ...(fields ? { fields } : {}) })
  })
  broker.consume({
    queue: inboxOf("screenings"),
    prefetch: 10,
    onMessage: (msg, ch) => {
      received.push(String(msg.properties.messageId))
      ch.ack(msg)
    }
  })
  await broker.start()
  cleanups.push(() => broker.close())
  return { broker, received, logs }
}

/** Publishes one HallCreated (screenings consumes it) through `broker` and waits until it comes back. */
const roundTrip = async (broker: Broker, received: Array<string>) => {
  const id = newId()
  await pollUntil(() => broker.isHealthy(), { timeoutMs: 15_000, message: "the broker link, publisher and consumer to be up" })
  await broker.publish([
    { exchange: exchangeOf("cinemas"), routingKey: "HallCreated", body: JSON.stringify({ id }), options: { persistent: true, messageId: id, type: "HallCreated" } }
  ])
  await pollUntil(() => received.includes(id), { timeoutMs: 10_000, message: `message ${id} to be consumed` })
  return id
}

describe("AMQP_URL parsing", () => {
  test("several comma-separated URLs are several nodes; spaces and empty entries are ignored", () => {
    expect(brokerUrls("amqp://a:5672/v")).toEqual(["amqp://a:5672/v"])
    expect(brokerUrls(" amqp://a:5672/v , amqp://b:5673/v,")).toEqual(["amqp://a:5672/v", "amqp://b:5673/v"])
    expect(() => brokerUrls(" , ")).toThrow()
  })
  test("a URL becomes the options amqplib reads from a URL string", () => {
    expect(connectOptionsOf("amqp://u%40x:p%2Fw@h1:5673/my%2Fvhost?heartbeat=10&frameMax=8192")).toMatchObject({
      protocol: "amqp",
      hostname: "h1",
      port: 5673,
      username: "u@x",
      password: "p/w",
      vhost: "my%2Fvhost",
      heartbeat: 10,
      frameMax: 8192
    })
    const bare = connectOptionsOf("amqp://h2")
    expect(bare.port).toBe(5672)
    expect(bare.username).toBeUndefined()
    expect(bare.vhost).toBeUndefined()
    expect(connectOptionsOf("amqps://[::1]:5671/").hostname).toBe("::1")
    expect(() => connectOptionsOf("http://h3")).toThrow()
  })
})

describe("failing over between nodes", () => {
  test("a first node that refuses connections is skipped: the link goes to the second", async () => {
    const dead = await freePort()
    const b = await proxy()
    const { broker, received, logs } = await startBroker([urlOnPort(dead), urlOnPort(b.port)])
    await roundTrip(broker, received)
    expect(broker.currentNode).toBe(`127.0.0.1:${b.port}`)
    expect(b.connections).toBeGreaterThan(0)
    expect(logs.some((l) => l.message.startsWith("broker connection attempt failed") && l.fields?.node === `127.0.0.1:${dead}`)).toBe(true)
    // The password never reaches a log line.
    expect(JSON.stringify(logs)).not.toContain("guest:guest")
  })

  test("a cut link fails over to the other node and back, with the consumer and publisher following", async () => {
    const a = await proxy()
    const b = await proxy()
    a.cut()
    const { broker, received, logs } = await startBroker([urlOnPort(a.port), urlOnPort(b.port)])
    const sent = [await roundTrip(broker, received)]
    expect(broker.currentNode).toBe(`127.0.0.1:${b.port}`)
    expect(a.connections).toBe(0)

    // The second node goes away: the link moves back to the first.
    a.restore()
    b.cut()
    await pollUntil(() => !broker.isHealthy() || a.connections > 0, { timeoutMs: 5_000, message: "the cut to be noticed" })
    sent.push(await roundTrip(broker, received))
    expect(broker.currentNode).toBe(`127.0.0.1:${a.port}`)
    expect(a.connections).toBeGreaterThan(0)
    expect(b.connections).toBe(0)
    expect(logs.some((l) => l.message.startsWith("broker link lost") && l.fields?.node === `127.0.0.1:${b.port}`)).toBe(true)

    // And once more, round-robin: the first goes, the second is back.
    b.restore()
    a.cut()
    await pollUntil(() => !broker.isHealthy() || b.connections > 0, { timeoutMs: 5_000, message: "the second cut to be noticed" })
    sent.push(await roundTrip(broker, received))
    expect(broker.currentNode).toBe(`127.0.0.1:${b.port}`)
    // Every message sent over the three links arrived (an ack lost with a cut link means a redelivery).
    expect(sent.every((id) => received.includes(id))).toBe(true)
  }, 60_000)

  test("with every node down it keeps trying, and takes whichever comes back", async () => {
    const a = await proxy()
    const b = await proxy()
    a.cut()
    b.cut()
    const { broker, received } = await startBroker([urlOnPort(a.port), urlOnPort(b.port)])
    await Bun.sleep(1_500)
    expect(broker.connected).toBe(false)
    b.restore()
    await roundTrip(broker, received)
    expect(broker.currentNode).toBe(`127.0.0.1:${b.port}`)
  }, 30_000)
})
