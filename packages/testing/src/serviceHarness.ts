// Service test scaffolding: temp data dirs, an event tap on an exchange, a publisher standing in for other
// services, problem+json assertions, and a stand-in for the users service's token issuing.
import { catalog, exchangeOf, makeEnvelope, newId, type Envelope, type EventData, type EventType } from "@bat/contracts"
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@bat/http"
import { userOfUrl } from "@bat/messaging"
import { pollUntil, serviceAmqpUrl } from "./broker.ts"
import { expect } from "bun:test"
import amqp from "amqplib"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface EventTap {
  readonly events: ReadonlyArray<Envelope & { readonly data: any }>
  /** Ids of events whose AMQP messageId/type/persistence/content type did not match the envelope. */
  readonly badProperties: ReadonlyArray<string>
  /** The first event of `type` whose data satisfies `match`, waiting for it with a deadline. */
  readonly waitFor: (type: string, match?: (data: any) => boolean) => Promise<Envelope & { readonly data: any }>
  readonly close: () => Promise<void>
}

/** Binds an exclusive queue to every routing key of `exchange` (declared as the services declare it). */
export const tapExchange = async (amqpUrl: string, exchange: string): Promise<EventTap> => {
  const conn = await amqp.connect(amqpUrl)
  conn.on("error", () => {})
  const ch = await conn.createChannel()
  await ch.assertExchange(exchange, "topic", { durable: true })
  const q = await ch.assertQueue("", { exclusive: true })
  await ch.bindQueue(q.queue, exchange, "#")
  const events: Array<Envelope & { data: any }> = []
  const badProperties: Array<string> = []
  await ch.consume(
    q.queue,
    (m) => {
      if (m === null) return
      const env = JSON.parse(m.content.toString()) as Envelope & { data: any }
      // The AMQP properties must match the envelope (DESIGN §3); tests assert none differ.
      const p = m.properties
      if (p.messageId !== env.id || p.type !== env.type || p.deliveryMode !== 2 || p.contentType !== "application/json") {
        badProperties.push(env.id)
      }
      events.push(env)
    },
    { noAck: true }
  )
  return {
    events,
    badProperties,
    waitFor: (type, match = () => true) =>
      pollUntil(() => events.find((e) => e.type === type && match(e.data)), {
        timeoutMs: 10_000,
        message: `a ${type} event on ${exchange}`
      }),
    close: async () => {
      await conn.close().catch(() => {})
    }
  }
}

export interface EventPublisher {
  /**
   * Publishes `type` as its producer would (its exchange, routing key = type, persistent, messageId = id,
   * type = type); resolves with the envelope once the broker confirms it.
   */
  readonly publish: <T extends EventType>(
    type: T,
    data: EventData<T>,
    meta?: { readonly id?: string; readonly correlationId?: string }
  ) => Promise<Envelope<EventData<T>>>
  /** Publishes an envelope as it is (a duplicate, or one sent straight to a queue); by default to its producer's exchange. */
  readonly publishEnvelope: (envelope: Envelope<unknown>, to?: { readonly exchange: string; readonly routingKey: string }) => Promise<void>
  readonly close: () => Promise<void>
}

/**
 * Publishes events in the other services' place, each as its producer's own broker user (DESIGN §17)
 * with its AMQP user-id, as the producer itself would; `amqpUrl` names the vhost (its credentials are
 * not used). With `{ as: "given" }` everything goes out under `amqpUrl`'s own user instead (a service
 * under test that runs with a shared user).
 */
export const startEventPublisher = async (amqpUrl: string, options: { readonly as?: "producers" | "given" } = {}): Promise<EventPublisher> => {
  const links = new Map<string, Promise<{ conn: amqp.ChannelModel; ch: amqp.ConfirmChannel; user: string }>>()
  const linkFor = (producer: string) => {
    let link = links.get(producer)
    if (link === undefined) {
      const url = options.as === "given" ? amqpUrl : serviceAmqpUrl(amqpUrl, producer)
      link = (async () => {
        const conn = await amqp.connect(url)
        conn.on("error", () => {})
        const ch = await conn.createConfirmChannel()
        ch.on("error", () => {})
        return { conn, ch, user: userOfUrl(url) }
      })()
      link.catch(() => links.delete(producer))
      links.set(producer, link)
    }
    return link
  }
  const publishEnvelope: EventPublisher["publishEnvelope"] = async (envelope, to) => {
    const producer = catalog[envelope.type as EventType].producer
    const { ch, user } = await linkFor(options.as === "given" ? "" : producer)
    const exchange = to?.exchange ?? exchangeOf(producer)
    ch.publish(exchange, to?.routingKey ?? envelope.type, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      messageId: envelope.id,
      type: envelope.type,
      contentType: "application/json",
      userId: user
    })
    await ch.waitForConfirms()
  }
  return {
    publish: async (type, data, meta = {}) => {
      const envelope = makeEnvelope(type, data, {
        source: catalog[type].producer,
        correlationId: meta.correlationId ?? newId(),
        ...(meta.id ? { id: meta.id } : {})
      })
      await publishEnvelope(envelope)
      return envelope
    },
    publishEnvelope,
    close: async () => {
      for (const link of links.values()) {
        const l = await link.catch(() => undefined)
        await l?.conn.close().catch(() => {})
      }
    }
  }
}

export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  body: JSON.stringify(body),
  headers: { "content-type": "application/json", ...headers }
})

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

// Bun 1.4.5's toMatchObject writes asymmetric matchers into the object it checks, so every
// toMatchObject here is given a copy.

/** Asserts a problem+json response with this status and code, and returns its body. */
export const expectProblem = async (res: Response, status: number, code: string) => {
  const text = await res.text()
  expect(structuredClone({ status: res.status, contentType: res.headers.get("content-type"), text })).toMatchObject({
    status,
    contentType: "application/problem+json"
  })
  const body = JSON.parse(text) as Record<string, unknown>
  expect(structuredClone(body)).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) })
  return body
}

/** Ids that name nothing because of their shape, as they go into a path. */
export const MALFORMED_IDS: ReadonlyArray<string> = [
  "not-a-uuid",
  "42",
  "x".repeat(300),
  "0196b5e6-6a3e-7c3a-9a51-3c1f0d6f7a1", // one digit short
  "0196b5e6-6a3e-7c3a-9a51-3c1f0d6f7a10z",
  "%C3%A9t%C3%A9",
  "a%20b",
  "a%2Fb",
  "%25"
]

const problemSummary = async (res: Response) => {
  const text = await res.text()
  let code: unknown
  try {
    code = (JSON.parse(text) as { code?: unknown }).code
  } catch {
    code = text.slice(0, 80)
  }
  return { status: res.status, contentType: res.headers.get("content-type"), code }
}

/**
 * DESIGN §5: a malformed id in a path gets the 404 an unknown one gets. `request` sends one request
 * naming `id`; an unknown well-formed id and every malformed one must be answered 404 `code`.
 */
export const expectMalformedIdsLikeUnknown = async (request: (id: string) => Promise<Response>, code: string) => {
  const expected = { status: 404, contentType: "application/problem+json", code }
  const unknown = crypto.randomUUID()
  expect({ id: unknown, ...(await problemSummary(await request(unknown))) }).toEqual({ id: unknown, ...expected })
  for (const id of MALFORMED_IDS) {
    expect({ id, ...(await problemSummary(await request(id))) }).toEqual({ id, ...expected })
  }
}

/** Cursors no list hands out: not base64url, base64url of something else, too long, the bare-key format. */
export const BAD_CURSORS: ReadonlyArray<string> = [
  "garbage",
  "!!!",
  "bm90LWFuLWlk", // base64url of "not-an-id"
  Buffer.from(crypto.randomUUID()).toString("base64url"),
  Buffer.from(JSON.stringify(["elsewhere", crypto.randomUUID()])).toString("base64url"),
  "A".repeat(600)
]

/** Asserts a 422 `invalid_cursor` problem with its field error on `cursor`. */
export const expectInvalidCursor = async (res: Response) => {
  const body = await expectProblem(res, 422, "invalid_cursor")
  expect(structuredClone(body.errors)).toEqual([{ path: "cursor", message: expect.any(String) }])
  return body
}

/** DESIGN §5: every cursor in BAD_CURSORS sent to a list (`request` sends `?cursor=`, URL-encoded) is a 422 `invalid_cursor`. */
export const expectBadCursorsRefused = async (request: (encodedCursor: string) => Promise<Response>) => {
  for (const cursor of BAD_CURSORS) {
    const res = await request(encodeURIComponent(cursor))
    expect({ cursor, status: res.status }).toEqual({ cursor, status: 422 })
    await expectInvalidCursor(res)
  }
}

/** Asserts DESIGN §5's answer to a known path with a wrong method: 405 `method_not_allowed` with `Allow`. */
export const expectMethodNotAllowed = async (res: Response, allow: string) => {
  expect({ status: res.status, allow: res.headers.get("allow") }).toEqual({ status: 405, allow })
  return expectProblem(res, 405, "method_not_allowed")
}

export interface TokenMint {
  /** JWKS_URL for the service under test. */
  readonly jwksUrl: string
  readonly token: (sub: string, role: "customer" | "staff", opts?: { expiresInSeconds?: number }) => Promise<string>
  readonly stop: () => Promise<void>
}

/** Stands in for the users service: an Ed25519 key, its JWKS served over HTTP, and tokens signed with it. */
export const startTokenMint = async (): Promise<TokenMint> => {
  const kid = "test-key-1"
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" })
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }] }
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json(jwks) })
  return {
    jwksUrl: `http://127.0.0.1:${server.port}/users/.well-known/jwks.json`,
    token: (sub, role, opts = {}) =>
      new SignJWT({ role, email: `${role}@example.com` })
        .setProtectedHeader({ alg: "EdDSA", kid })
        .setSubject(sub)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expiresInSeconds ?? 900))
        .sign(privateKey),
    stop: async () => {
      await server.stop(true)
    }
  }
}
