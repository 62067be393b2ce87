// Test harness: the screenings service in-process against a throw-away vhost, a temp SQLite dir and a local JWKS.
import { catalog, exchangeOf, makeEnvelope, newId, type Envelope, type EventType } from "@bat/contracts"
import { bootService, TOKEN_AUDIENCE, TOKEN_ISSUER, type RunningService } from "@bat/http"
import { createTestVhost, pollUntil, type TestVhost, serviceAmqpUrl } from "@bat/testing"
import * as amqp from "amqplib"
import { Clock, Effect } from "effect"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { screeningsService } from "../src/service.ts"

/** The wall clock, shifted by an offset the test controls. */
export const makeShiftableClock = () => {
  const base = Effect.runSync(Effect.clockWith((c) => Effect.succeed(c)))
  let offsetMs = 0
  const millis = () => base.currentTimeMillisUnsafe() + offsetMs
  const nanos = () => base.currentTimeNanosUnsafe() + BigInt(offsetMs) * 1_000_000n
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: Effect.sync(() => base.monotonicTimeNanosUnsafe()),
    sleep: (d) => base.sleep(d)
  }
  return {
    clock,
    now: millis,
    advance: (ms: number) => {
      offsetMs += ms
    }
  }
}

export interface Reply {
  readonly status: number
  readonly contentType: string
  readonly body: any
}

export interface Harness {
  readonly url: string
  readonly svc: RunningService
  readonly time: ReturnType<typeof makeShiftableClock>
  readonly staff: string
  readonly customer: string
  readonly strangerToken: string
  /** Every event the service emitted so far, in order. */
  readonly emitted: Array<Envelope<any>>
  readonly api: (method: string, path: string, opts?: { token?: string; body?: unknown; rawBody?: string }) => Promise<Reply>
  /** Publishes an event as its producer would; data is taken as given (ids are plain strings in tests). */
  readonly publish: (type: EventType, data: object, opts?: { id?: string }) => Promise<string>
  readonly publishRaw: (type: string, body: string) => Promise<void>
  /** Waits until the service committed these consumed message ids (its inbox). */
  readonly waitConsumed: (...ids: Array<string>) => Promise<void>
  readonly waitForEvent: (pred: (e: Envelope<any>) => boolean, message: string) => Promise<Envelope<any>>
  readonly stop: () => Promise<void>
}

export const startHarness = async (extraEnv: Record<string, string> = {}): Promise<Harness> => {
  const vhost: TestVhost = await createTestVhost({ prefix: "bat-test-screenings", layout: true })
  const dataDir = mkdtempSync(join(tmpdir(), "screenings-"))
  const cleanups: Array<() => Promise<void> | void> = [() => vhost.cleanup(), () => rmSync(dataDir, { recursive: true, force: true })]
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  }
  try {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" })
    const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "EdDSA", use: "sig" }
    const jwksServer = Bun.serve({ port: 0, fetch: () => Response.json({ keys: [jwk] }) })
    cleanups.push(() => jwksServer.stop(true))
    const sign = (sub: string, role: string, key = privateKey) =>
      new SignJWT({ role })
        .setProtectedHeader({ alg: "EdDSA", kid: "test-key" })
        .setSubject(sub)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("15m")
        .sign(key)
    const staff = await sign(newId(), "staff")
    const customer = await sign(newId(), "customer")
    const otherKey = await generateKeyPair("EdDSA", { crv: "Ed25519" })
    const strangerToken = await sign(newId(), "staff", otherKey.privateKey)

    const time = makeShiftableClock()
    const env = {
      PORT: "0",
      DATA_DIR: dataDir,
      AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "screenings"),
      JWKS_URL: `http://127.0.0.1:${jwksServer.port}/jwks.json`,
      ...extraEnv
    }
    const svc = await bootService(screeningsService(env, { clock: time.clock }))
    await svc.messaging.broker.waitForConnect() // HTTP answers before the broker link is up; the tests need both
    cleanups.push(() => svc.stop())

    const conn = await amqp.connect(vhost.amqpUrl)
    cleanups.push(() => conn.close().catch(() => undefined))
    const ch = await conn.createConfirmChannel()
    const emitted: Array<Envelope<any>> = []
    const q = await ch.assertQueue("", { exclusive: true })
    await ch.bindQueue(q.queue, exchangeOf("screenings"), "#")
    await ch.consume(q.queue, (msg) => {
      if (msg) emitted.push(JSON.parse(msg.content.toString("utf8")))
    }, { noAck: true })

    // Events go out as their producer's own broker user, with its user-id, as the producer sends them (DESIGN §17).
    const producerChannels = new Map<string, Promise<amqp.ConfirmChannel>>()
    const channelOf = (producer: string) => {
      let c = producerChannels.get(producer)
      if (c === undefined) {
        c = (async () => {
          const pc = await amqp.connect(serviceAmqpUrl(vhost.amqpUrl, producer))
          pc.on("error", () => {})
          cleanups.push(() => pc.close().catch(() => undefined))
          return pc.createConfirmChannel()
        })()
        producerChannels.set(producer, c)
      }
      return c
    }
    const publishRaw = async (type: string, body: string) => {
      const producer = (catalog as Record<string, { producer: string }>)[type]?.producer ?? "cinemas"
      const pch = await channelOf(producer)
      pch.publish(exchangeOf(producer), type, Buffer.from(body), {
        persistent: true,
        contentType: "application/json",
        messageId: newId(),
        type,
        userId: `bookaticket-${producer}`
      })
      await pch.waitForConfirms()
    }
    const publish = async (type: EventType, data: object, opts: { id?: string } = {}) => {
      const env = makeEnvelope(type, data, {
        source: catalog[type].producer,
        correlationId: newId(),
        ...(opts.id ? { id: opts.id } : {})
      })
      const producer = catalog[type].producer
      const pch = await channelOf(producer)
      pch.publish(exchangeOf(producer), type, Buffer.from(JSON.stringify(env)), {
        persistent: true,
        contentType: "application/json",
        messageId: env.id,
        type,
        userId: `bookaticket-${producer}`
      })
      await pch.waitForConfirms()
      return env.id
    }

    const api = async (method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string } = {}) => {
      const headers: Record<string, string> = {}
      if (opts.token) headers.authorization = `Bearer ${opts.token}`
      let body: string | undefined
      if (opts.rawBody !== undefined || opts.body !== undefined) {
        headers["content-type"] = "application/json"
        body = opts.rawBody ?? JSON.stringify(opts.body)
      }
      const res = await fetch(`${svc.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text === "" ? null : JSON.parse(text)
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: parsed as any }
    }

    const waitForEvent = (pred: (e: Envelope<any>) => boolean, message: string) =>
      pollUntil(() => emitted.find(pred), { timeoutMs: 10_000, message })

    const inboxHas = svc.store.db.prepare("SELECT count(*) AS n FROM inbox WHERE id IN (SELECT value FROM json_each(?))")
    const waitConsumed = async (...ids: Array<string>) => {
      await pollUntil(() => (inboxHas.get(JSON.stringify(ids)) as { n: number }).n === ids.length, {
        timeoutMs: 10_000,
        message: `messages ${ids.join(", ")} to be consumed`
      })
    }

    return { url: svc.url, svc, time, staff, customer, strangerToken, emitted, api, publish, publishRaw, waitConsumed, waitForEvent, stop }
  } catch (e) {
    await stop()
    throw e
  }
}

/** An ISO time `minutes` from the harness clock's now, on a whole minute. */
export const inMinutes = (h: Harness, minutes: number): string =>
  new Date(Math.ceil(h.time.now() / 60_000) * 60_000 + minutes * 60_000).toISOString()

/** Publishes CinemaCreated, HallCreated and MovieAdded and waits until the service can schedule with them. */
export const seedCatalog = async (
  h: Harness,
  opts: { rows?: Array<{ label: string; seats: number }>; durationMinutes?: number; cinemaId?: string } = {}
) => {
  const cinemaId = opts.cinemaId ?? newId()
  const hallId = newId()
  const movieId = newId()
  const rows = opts.rows ?? [
    { label: "A", seats: 3 },
    { label: "B", seats: 2 }
  ]
  const cinemaEvent = await h.publish("CinemaCreated", {
    cinemaId,
    revision: 1,
    name: "Roxy",
    address: "1 Main Street",
    timeZone: "Europe/Berlin"
  })
  const hallEvent = await h.publish("HallCreated", {
    hallId,
    cinemaId,
    name: "Hall 1",
    rows,
    capacity: rows.reduce((n, r) => n + r.seats, 0)
  })
  const movieEvent = await h.publish("MovieAdded", {
    movieId,
    revision: 1,
    title: "Metropolis",
    genre: "drama",
    durationMinutes: opts.durationMinutes ?? 120
  })
  await h.waitConsumed(cinemaEvent, hallEvent, movieEvent)
  return { cinemaId, hallId, movieId, rows }
}
