// One broker user per service (DESIGN §17): the permissions, the settings that pick the user, and a
// consumer running as its own user — producers' user-ids accepted, its own retries and replays too,
// anything else parked; a layout the service may not declare is waited for, not guessed.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { dlqOf, inboxOf, makeEnvelope, newId } from "@bat/contracts"
import { createTestVhost, pollUntil, serviceAmqpUrl, type TestVhost } from "@bat/testing"
import * as amqp from "amqplib"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brokerCredentialsFor, brokerPermissionsOf, checkUserId, ownTopologyFor } from "../src/index.ts"
import { consumerKit } from "./consumerKit.ts"

let vh: TestVhost
let dir: string
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-users", layout: true })
  dir = mkdtempSync(join(tmpdir(), "bat-users-"))
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await vh.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const { newStore, effectsOf, startConsumer } = consumerKit({ url: () => serviceAmqpUrl(vh.amqpUrl, "screenings"), dir: () => dir, cleanups })

const hall = () =>
  makeEnvelope("HallCreated", { hallId: newId(), cinemaId: newId(), name: "Hall", rows: [{ label: "A", seats: 3 }], capacity: 3 } as never, {
    source: "cinemas",
    correlationId: newId()
  })

/** Publishes `envelope` as `service`'s broker user (to `exchange`, or straight to a queue through the default exchange). */
const publishAs = async (service: string, envelope: ReturnType<typeof hall>, to: { exchange: string; routingKey: string }, userId?: string) => {
  const conn = await amqp.connect(serviceAmqpUrl(vh.amqpUrl, service))
  conn.on("error", () => {})
  try {
    const ch = await conn.createConfirmChannel()
    ch.on("error", () => {})
    ch.publish(to.exchange, to.routingKey, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      messageId: envelope.id,
      type: envelope.type,
      contentType: "application/json",
      ...(userId === undefined ? {} : { userId })
    })
    await ch.waitForConfirms()
  } finally {
    await conn.close().catch(() => {})
  }
}

describe("permissions and settings", () => {
  test("each user configures and writes only its own exchange and queues, and reads its queues and its sources", () => {
    const p = brokerPermissionsOf("payments")
    const matches = (re: string, name: string) => new RegExp(re).test(name)
    for (const own of ["payments.events", "payments.inbox", "payments.dlq", "payments.retry.1000ms", "payments.hold.900000ms", "payments.hold-expired"]) {
      expect(matches(p.configure, own)).toBe(true)
      expect(matches(p.write, own)).toBe(true)
    }
    for (const other of ["booking.events", "booking.inbox", "notifications.dlq", "paymentsXevents", "payments.events.x", "amq.topic"]) {
      expect(matches(p.configure, other)).toBe(false)
      expect(matches(p.write, other)).toBe(false)
    }
    expect(matches(p.write, "amq.default")).toBe(true)
    expect(matches(p.configure, "amq.default")).toBe(false)
    expect(matches(p.read, "payments.inbox")).toBe(true)
    expect(matches(p.read, "booking.events")).toBe(true) // it binds TicketReserved from there
    expect(matches(p.read, "booking.inbox")).toBe(false)
    expect(matches(p.read, "users.events")).toBe(true) // and UserUnregistered from there
    expect(matches(p.read, "movies.events")).toBe(false)
  })

  test("a service connects as its own user; production refuses another user and example passwords", () => {
    expect(brokerCredentialsFor("booking", {}).url).toBe("amqp://bookaticket-booking:CHANGE-ME-dev-booking@127.0.0.1:5672")
    const env = { AMQP_URL: "amqp://mq1:5672/v,amqp://mq2:5672/v", AMQP_USER: "bookaticket-booking", AMQP_PASSWORD: "s3cret" }
    expect(brokerCredentialsFor("booking", env)).toEqual({
      url: "amqp://bookaticket-booking:s3cret@mq1:5672/v,amqp://bookaticket-booking:s3cret@mq2:5672/v",
      user: "bookaticket-booking",
      ownUser: true
    })
    expect(brokerCredentialsFor("booking", { AMQP_URL: "amqp://guest:guest@h:5672/v" })).toMatchObject({ user: "guest", ownUser: false })
    expect(() => brokerCredentialsFor("booking", { NODE_ENV: "production", AMQP_URL: "amqp://guest:guest@h:5672" })).toThrow(/^AMQP_USER: /)
    expect(() => brokerCredentialsFor("booking", { ...env, NODE_ENV: "production", AMQP_PASSWORD: "CHANGE-ME" })).toThrow(/^AMQP_PASSWORD: /)
    expect(() => brokerCredentialsFor("booking", { ...env, NODE_ENV: "production" })).not.toThrow()
  })

  test("the user-id check: the producer's user, the consumer's own republishing only with the producer's first user-id", () => {
    const self = { user: "bookaticket-booking", ownUser: true }
    expect(checkUserId("PaymentSuccessful", "bookaticket-payments", {}, self).ok).toBe(true)
    expect(checkUserId("PaymentSuccessful", "bookaticket-screenings", {}, self).ok).toBe(false)
    expect(checkUserId("PaymentSuccessful", undefined, {}, self).ok).toBe(false)
    expect(checkUserId("PaymentSuccessful", "bookaticket-booking", { "x-producer-user-id": "bookaticket-payments" }, self).ok).toBe(true)
    expect(checkUserId("PaymentSuccessful", "bookaticket-booking", { "x-producer-user-id": "bookaticket-screenings" }, self).ok).toBe(false)
    expect(checkUserId("PaymentSuccessful", "bookaticket-booking", {}, self).ok).toBe(false)
    // forged header from someone else: only the consumer's own user-id makes the header count
    expect(checkUserId("PaymentSuccessful", "bookaticket-screenings", { "x-producer-user-id": "bookaticket-payments" }, self).ok).toBe(false)
    expect(checkUserId("TicketBookingAttempted", "bookaticket-booking", {}, self).ok).toBe(true)
    // its own event, republished by itself: the first user-id it recorded still decides (a parked forgery replayed)
    expect(checkUserId("TicketBookingAttempted", "bookaticket-booking", { "x-producer-user-id": "bookaticket-booking" }, self).ok).toBe(true)
    expect(checkUserId("TicketBookingAttempted", "bookaticket-booking", { "x-producer-user-id": "bookaticket-movies" }, self).ok).toBe(false)
    expect(checkUserId("TicketBookingAttempted", "bookaticket-booking", { "x-producer-user-id": "" }, self).ok).toBe(false)
    // a shared user (development) accepts itself and the real producers, nobody else
    const shared = { user: "guest", ownUser: false }
    expect(checkUserId("PaymentSuccessful", "guest", {}, shared).ok).toBe(true)
    expect(checkUserId("PaymentSuccessful", undefined, {}, shared).ok).toBe(true)
    expect(checkUserId("PaymentSuccessful", "bookaticket-payments", {}, shared).ok).toBe(true)
    expect(checkUserId("PaymentSuccessful", "bookaticket-screenings", {}, shared).ok).toBe(false)
  })

  test("a service's own layout: its exchange, queues and bindings; the rest is only required", () => {
    const t = ownTopologyFor("booking", { retryDelays: [100] })
    expect(t.exchanges).toEqual(["booking.events"])
    expect(t.queues.map((q) => q.name).sort()).toEqual(["booking.dlq", "booking.inbox", "booking.retry.100ms"])
    expect(t.bindings.every((b) => b.destination === "booking.inbox")).toBe(true)
    expect(t.requiresExchanges).toEqual(["payments.events", "screenings.events", "users.events"])
    expect(t.requiresQueues).toEqual(["notifications.inbox", "payments.inbox", "screenings.inbox"])
  })
})

describe("a consumer running as its own broker user", () => {
  test("applies its producer's events, retries them through its own user, and parks another user's", async () => {
    const store = newStore("screenings")
    await startConsumer(store, { fail: (attempt) => attempt === 1, retryDelays: [100] })
    const genuine = hall()
    await publishAs("cinemas", genuine, { exchange: "cinemas.events", routingKey: "HallCreated" }, "bookaticket-cinemas")
    // The first attempt fails, the retry (republished as bookaticket-screenings) is applied.
    await pollUntil(() => effectsOf(store).some((e) => e.message_id === genuine.id && e.attempt === 2), { message: "the retried HallCreated" })

    const forged = hall()
    await publishAs("booking", forged, { exchange: "", routingKey: inboxOf("screenings") }, "bookaticket-booking")
    const parked = await pollUntil(async () => {
      const conn = await amqp.connect(vh.amqpUrl)
      try {
        const ch = await conn.createChannel()
        const m = await ch.get(dlqOf("screenings"), { noAck: true }) // taken out: the DLQ is empty for the next test
        return m ? m.properties.headers : undefined
      } finally {
        await conn.close().catch(() => {})
      }
    })
    expect(parked).toMatchObject({ "x-park-reason": "wrong_user_id", "x-producer-user-id": "bookaticket-booking" })
    expect(effectsOf(store).some((e) => e.message_id === forged.id)).toBe(false)
  })

  test("replays of a message parked after its attempts ran out still apply it", async () => {
    const store = newStore("screenings")
    let failing = true
    const m = await startConsumer(store, { fail: () => failing, retryDelays: [50] })
    const genuine = hall()
    await publishAs("cinemas", genuine, { exchange: "cinemas.events", routingKey: "HallCreated" }, "bookaticket-cinemas")
    await pollUntil(async () => (await m.listParked()).some((p) => p.messageId === genuine.id && p.reason === "attempts_exhausted"), {
      message: "the exhausted message to be parked"
    })
    failing = false
    expect(await m.replayParked()).toBe(1)
    await pollUntil(() => effectsOf(store).some((e) => e.message_id === genuine.id), { message: "the replayed HallCreated applied" })
    expect(await m.parkedCount()).toBe(0)
  })

  test("a message another user wrote into the DLQ is replayed only into the service's own inbox, whatever queue it names", async () => {
    const store = newStore("screenings")
    const m = await startConsumer(store)
    // booking may write the default exchange (its retries go through it), so it can put a message in any queue;
    // naming booking's inbox as the original queue, it asks screenings' replay to publish it there as screenings.
    const forged = hall()
    const conn = await amqp.connect(serviceAmqpUrl(vh.amqpUrl, "booking"))
    conn.on("error", () => {})
    const ch = await conn.createConfirmChannel()
    ch.publish("", dlqOf("screenings"), Buffer.from(JSON.stringify(forged)), {
      persistent: true,
      messageId: forged.id,
      type: forged.type,
      contentType: "application/json",
      userId: "bookaticket-booking",
      headers: { "x-original-queue": inboxOf("booking"), "x-first-death-queue": inboxOf("booking"), "x-park-reason": "attempts_exhausted" }
    })
    await ch.waitForConfirms()
    await conn.close().catch(() => {})

    expect(await m.replayParked()).toBe(1)
    // Back in screenings' own inbox, refused again for its user-id; nothing reached booking's inbox.
    const parked = await pollUntil(async () => (await m.listParked()).find((p) => p.messageId === forged.id && p.reason === "wrong_user_id"), {
      message: "the replayed forgery parked again"
    })
    expect(parked.originalQueue).toBe(inboxOf("screenings"))
    const admin = await amqp.connect(vh.amqpUrl)
    try {
      const ach = await admin.createChannel()
      expect(await ach.get(inboxOf("booking"), { noAck: true })).toBe(false)
      while (await ach.get(dlqOf("screenings"), { noAck: true })) {} // the DLQ is empty for the next test
    } finally {
      await admin.close().catch(() => {})
    }
  })

  test("does not come up while a queue its events need is missing, and names it", async () => {
    const bare = await createTestVhost({ prefix: "bat-users-bare" })
    cleanups.push(() => bare.cleanup())
    const logs: Array<string> = []
    const store = newStore("screenings")
    const { startMessaging } = await import("../src/index.ts")
    const m = await startMessaging({
      service: "booking",
      url: serviceAmqpUrl(bare.amqpUrl, "booking"),
      store,
      waitForBroker: false,
      log: (_l, msg) => logs.push(msg)
    })
    cleanups.push(() => m.stop())
    await pollUntil(() => logs.some((l) => /exchange (payments|screenings|users)\.events does not exist/.test(l)), {
      message: "a log line naming the missing layout"
    })
    expect(m.broker.canPublish).toBe(false)
  })
})
