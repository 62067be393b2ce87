import type { RunningService } from "@bat/http"
import { bootService, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@bat/http"
import { assertNoServerErrors, createTestVhost, fuzz, jsonRequest, serviceAmqpUrl, type TestVhost } from "@bat/testing"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import fc from "fast-check"
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose"
import { usersService } from "../src/service.ts"
import {
  bearer,
  expectMalformedIdsLikeUnknown,
  expectMethodNotAllowed,
  expectProblem,
  json,
  MALFORMED_IDS,
  tapExchange,
  tempDir,
  type EventTap
} from "@bat/testing"

const ADMIN = { email: "boss@cinema.test", password: "correct horse battery" }

let vhost: TestVhost
let data: ReturnType<typeof tempDir>
let svc: RunningService
let tap: EventTap

const env = () => ({
  PORT: "0",
  DATA_DIR: data.dir,
  AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "users"),
  ADMIN_EMAIL: ADMIN.email.toUpperCase(),
  ADMIN_PASSWORD: ADMIN.password
})
const boot = async () => {
  const svc = await bootService(usersService(env()))
  await svc.messaging.broker.waitForConnect() // HTTP answers before the broker link is up; the tests need both
  return svc
}
const call = (path: string, init: RequestInit = {}) => fetch(`${svc.url}${path}`, init)
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: "POST", ...json(body, headers) })

let n = 0
const uniqueEmail = (name = "ann") => `${name}.${Date.now()}.${++n}@example.com`

const register = async (email = uniqueEmail(), password = "s3cret-enough") => {
  const res = await post("/users/register", { fullName: "Ann Example", email, password })
  expect(res.status).toBe(201)
  return { ...((await res.json()) as { userId: string; fullName: string; email: string; role: string }), password }
}
const login = async (email: string, password: string) => {
  const res = await post("/users/login", { email, password })
  expect(res.status).toBe(200)
  return (await res.json()) as { token: string; user: { userId: string; fullName: string; role: string; email: string } }
}

beforeAll(async () => {
  vhost = await createTestVhost({ layout: true })
  data = tempDir("users")
  // Bound before the service starts, so the staff account's UserRegistered is seen too.
  tap = await tapExchange(vhost.amqpUrl, "users.events")
  svc = await boot()
})

afterAll(async () => {
  await svc?.stop()
  await tap?.close()
  await vhost?.cleanup()
  data?.remove()
})

describe("registration", () => {
  test("the configured staff account exists at start and is announced with UserRegistered", async () => {
    const event = await tap.waitFor("UserRegistered", (d) => d.email === ADMIN.email)
    expect(structuredClone(event.data)).toMatchObject({ role: "staff", fullName: "Administrator" })
    expect(event.source).toBe("users")
    const { user } = await login(ADMIN.email, ADMIN.password)
    expect(user).toEqual({ userId: event.data.userId, fullName: "Administrator", email: ADMIN.email, role: "staff" })
  })

  test("a customer registers with a lower-cased e-mail and UserRegistered is emitted", async () => {
    const email = uniqueEmail("Mixed.Case")
    const res = await post("/users/register", { fullName: "Ann Example", email, password: "s3cret-enough" })
    expect(res.status).toBe(201)
    const user = (await res.json()) as Record<string, string>
    expect(user).toEqual({ userId: expect.any(String), fullName: "Ann Example", email: email.toLowerCase(), role: "customer" })
    const event = await tap.waitFor("UserRegistered", (d) => d.userId === user.userId)
    expect(event.data).toEqual(user)
    expect(structuredClone(event)).toMatchObject({ version: 1, causationId: null, correlationId: expect.any(String) })
  })

  test("registering an e-mail that is taken, in any letter case, is 409 email_taken", async () => {
    const first = await register()
    const res = await post("/users/register", { fullName: "Someone Else", email: first.email.toUpperCase(), password: "another-pass" })
    await expectProblem(res, 409, "email_taken")
  })

  test("input that breaks the schema is 422 invalid_input and never echoes the password", async () => {
    const secret = "tiny7"
    const res = await post("/users/register", { fullName: "Ann", email: uniqueEmail(), password: secret })
    const body = await expectProblem(res, 422, "invalid_input")
    expect(JSON.stringify(body)).not.toContain(secret)
    expect(body.errors).toEqual([{ path: "password", message: expect.any(String) }])
    await expectProblem(await post("/users/register", { fullName: "Ann", email: "not-an-email", password: "long-enough" }), 422, "invalid_input")
    await expectProblem(await post("/users/register", { email: uniqueEmail(), password: "long-enough" }), 422, "invalid_input")
  })

  test("a body that is not JSON is 400 malformed_json", async () => {
    const res = await call("/users/register", { method: "POST", body: "{nope", headers: { "content-type": "application/json" } })
    await expectProblem(res, 400, "malformed_json")
  })
})

describe("login and tokens", () => {
  test("login returns a verifiable EdDSA token with sub, role, email, issuer, audience and a 15 minute life, and emits UserLoggedIn", async () => {
    const ann = await register()
    const { token, user } = await login(ann.email.toUpperCase(), ann.password)
    expect(user).toEqual({ userId: ann.userId, fullName: "Ann Example", email: ann.email, role: "customer" })
    const jwks = (await (await call("/users/.well-known/jwks.json")).json()) as JSONWebKeySet
    expect(jwks.keys).toHaveLength(1)
    expect(structuredClone(jwks.keys[0])).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", kid: expect.any(String) })
    expect(jwks.keys[0]).not.toHaveProperty("d")
    expect(structuredClone(decodeProtectedHeader(token))).toMatchObject({ alg: "EdDSA", kid: jwks.keys[0]!.kid })
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE })
    expect(structuredClone(payload)).toMatchObject({ sub: ann.userId, role: "customer", email: ann.email })
    expect(payload.exp! - payload.iat!).toBe(15 * 60)
    await tap.waitFor("UserLoggedIn", (d) => d.userId === ann.userId)
  })

  test("a wrong password and an unknown e-mail are the same 401 invalid_credentials", async () => {
    const ann = await register()
    const wrong = await expectProblem(await post("/users/login", { email: ann.email, password: "wrong-password" }), 401, "invalid_credentials")
    const unknown = await expectProblem(await post("/users/login", { email: uniqueEmail("nobody"), password: "wrong-password" }), 401, "invalid_credentials")
    expect(unknown).toEqual(wrong)
  })

  test("GET /users/me returns the caller and refuses a missing, forged or garbage token with 401", async () => {
    const ann = await register()
    const { token } = await login(ann.email, ann.password)
    const res = await call("/users/me", { headers: bearer(token) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ userId: ann.userId, fullName: "Ann Example", email: ann.email, role: "customer" })
    await expectProblem(await call("/users/me"), 401, "unauthorized")
    await expectProblem(await call("/users/me", { headers: bearer("garbage.token.here") }), 401, "invalid_token")
    const [h, p] = token.split(".")
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: ann.userId, role: "staff" })).toString("base64url")}.${token.split(".")[2]}`
    await expectProblem(await call("/users/me", { headers: bearer(forged) }), 401, "invalid_token")
    void p
  })
})

describe("unregistering", () => {
  test("a customer may not unregister someone else: 403", async () => {
    const ann = await register()
    const bob = await register(uniqueEmail("bob"))
    const { token } = await login(ann.email, ann.password)
    await expectProblem(await call(`/users/${bob.userId}/unregister`, { method: "DELETE", headers: bearer(token) }), 403, "forbidden")
    await expectProblem(await call(`/users/${bob.userId}/unregister`, { method: "DELETE" }), 401, "unauthorized")
    expect((await post("/users/login", { email: bob.email, password: bob.password })).status).toBe(200)
  })

  test("unregistering yourself is 204, emits UserUnregistered, ends logins, and frees the e-mail for a new account", async () => {
    const ann = await register()
    const { token } = await login(ann.email, ann.password)
    const res = await call(`/users/${ann.userId}/unregister`, { method: "DELETE", headers: bearer(token) })
    expect(res.status).toBe(204)
    await tap.waitFor("UserUnregistered", (d) => d.userId === ann.userId)
    await expectProblem(await post("/users/login", { email: ann.email, password: ann.password }), 401, "invalid_credentials")
    // The token still held is refused at once (DESIGN §17), here and, on UserUnregistered, everywhere else.
    await expectProblem(await call("/users/me", { headers: bearer(token) }), 401, "token_revoked")
    await expectProblem(await call(`/users/${ann.userId}/unregister`, { method: "DELETE", headers: bearer(token) }), 401, "token_revoked")
    // The tombstone stays: a second unregister (by staff) finds no account.
    const staff = await login(ADMIN.email, ADMIN.password)
    await expectProblem(await call(`/users/${ann.userId}/unregister`, { method: "DELETE", headers: bearer(staff.token) }), 404, "user_not_found")
    expect(tap.events.filter((e) => e.type === "UserUnregistered" && e.data.userId === ann.userId)).toHaveLength(1)
    const again = await register(ann.email)
    expect(again.userId).not.toBe(ann.userId)
  })

  test("staff may unregister any customer, and an unknown id is 404 user_not_found", async () => {
    const bob = await register(uniqueEmail("bob"))
    const { token } = await login(ADMIN.email, ADMIN.password)
    expect((await call(`/users/${bob.userId}/unregister`, { method: "DELETE", headers: bearer(token) })).status).toBe(204)
    await tap.waitFor("UserUnregistered", (d) => d.userId === bob.userId)
    await expectProblem(await call(`/users/${crypto.randomUUID()}/unregister`, { method: "DELETE", headers: bearer(token) }), 404, "user_not_found")
    await expectProblem(await call(`/users/not-a-uuid/unregister`, { method: "DELETE", headers: bearer(token) }), 404, "user_not_found")
  })

  test("a malformed user id gets what an unknown one gets: 404 user_not_found for staff, 403 for a customer", async () => {
    const { token: staffToken } = await login(ADMIN.email, ADMIN.password)
    await expectMalformedIdsLikeUnknown(
      (id) => call(`/users/${id}/unregister`, { method: "DELETE", headers: bearer(staffToken) }),
      "user_not_found"
    )
    // A customer learns nothing about which ids exist, whatever their shape.
    const ann = await register()
    const { token } = await login(ann.email, ann.password)
    for (const id of [crypto.randomUUID(), ...MALFORMED_IDS]) {
      await expectProblem(await call(`/users/${id}/unregister`, { method: "DELETE", headers: bearer(token) }), 403, "forbidden")
    }
  })
})

describe("operations", () => {
  test("every event went out persistent, with messageId and type matching its envelope", () => {
    expect(tap.events.length).toBeGreaterThan(0)
    expect(tap.badProperties).toEqual([])
  })

  test("an unknown route is a problem+json 404", async () => {
    await expectProblem(await call("/users/nowhere"), 404, "not_found")
  })

  test("a known path with a wrong method is 405 method_not_allowed with Allow", async () => {
    await expectMethodNotAllowed(await call("/users/register"), "POST")
    await expectMethodNotAllowed(await call("/users/me", { method: "PUT" }), "GET, HEAD")
    await expectMethodNotAllowed(await call("/users/.well-known/jwks.json", { method: "POST" }), "GET, HEAD")
    await expectMethodNotAllowed(await call(`/users/${crypto.randomUUID()}/unregister`), "DELETE")
    await expectMethodNotAllowed(await call("/health", { method: "POST" }), "GET, HEAD")
  })
})

describe("restarts", () => {
  test("a token issued before a restart is still valid after it, and the staff account is not registered twice", async () => {
    const ann = await register()
    const { token } = await login(ann.email, ann.password)
    const before = await (await call("/users/.well-known/jwks.json")).json()
    await svc.stop()
    svc = await boot()
    expect(await (await call("/users/.well-known/jwks.json")).json()).toEqual(before)
    const res = await call("/users/me", { headers: bearer(token) })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { userId: string }).userId).toBe(ann.userId)
    await login(ADMIN.email, ADMIN.password)
    expect(tap.events.filter((e) => e.type === "UserRegistered" && e.data.email === ADMIN.email)).toHaveLength(1)
  })

  test("in production the service refuses to start without ADMIN_EMAIL and ADMIN_PASSWORD", async () => {
    const dir = tempDir("users-prod")
    try {
      const started = bootService(
        // Production refuses the broker's published guest account too: a broker address that is not it (never reached).
        usersService({ PORT: "0", DATA_DIR: dir.dir, AMQP_URL: PRODUCTION_AMQP_URL, NODE_ENV: "production", ADMIN_EMAIL: "boss@cinema.test" })
      )
      await expect(started).rejects.toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD must be set/)
    } finally {
      dir.remove()
    }
  })

  test("in production the example ADMIN_PASSWORD (CHANGE-ME…) and the development default are refused, naming the setting", async () => {
    for (const password of ["CHANGE-ME-long-and-random", "bookaticket-dev-admin"]) {
      const dir = tempDir("users-prod")
      const started = bootService(
        usersService({
          PORT: "0",
          DATA_DIR: dir.dir,
          AMQP_URL: PRODUCTION_AMQP_URL,
          NODE_ENV: "production",
          ADMIN_EMAIL: "boss@cinema.test",
          ADMIN_PASSWORD: password
        })
      )
      try {
        await expect(started).rejects.toThrow(/^NODE_ENV=production refuses example secrets: ADMIN_PASSWORD holds/)
      } finally {
        await started.then((s) => s.stop()).catch(() => {})
        dir.remove()
      }
    }
  })
})

/** A broker address with real-looking credentials that nothing listens on: production start-up fails before using it. */
const PRODUCTION_AMQP_URL = "amqp://bookaticket-users:not-an-example@127.0.0.1:1"

describe("robustness", () => {
  test("a 10 MiB body is 413 payload_too_large before validation or authentication, on every route", async () => {
    const body = JSON.stringify({ email: "ann@example.com", password: "x".repeat(10 * 1024 * 1024) })
    for (const [method, path] of [
      ["POST", "/users/login"],
      ["POST", "/users/register"],
      ["DELETE", `/users/${crypto.randomUUID()}/unregister`]
    ] as const) {
      const res = await call(path, { method, headers: { "content-type": "application/json" }, body })
      expect({ path, status: res.status, type: res.headers.get("content-type") }).toEqual({ path, status: 413, type: "application/problem+json" })
      expect(((await res.json()) as { code: string }).code).toBe("payload_too_large")
    }
  })

  test("no method, path, body, query or token sent to the users endpoints yields a 5xx", async () => {
    const ann = await register()
    const { token } = await login(ann.email, ann.password)
    const segment = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.constant(ann.userId), fc.constant("../../etc"))
    const target = fc.oneof<Array<fc.Arbitrary<{ method: string; path: string; body?: string }>>>(
      fc.constant({ method: "POST", path: "/users/register" }),
      // Wrong passwords for one account, often enough to meet its log-in limit (429 rate_limited).
      fc.constant({ method: "POST", path: "/users/login", body: JSON.stringify({ email: ann.email, password: "a wrong guess" }) }),
      fc.constant({ method: "POST", path: "/users/login" }),
      fc.constant({ method: "GET", path: "/users/me" }),
      fc.constant({ method: "GET", path: "/users/.well-known/jwks.json" }),
      segment.map((id) => ({ method: "DELETE", path: `/users/${encodeURIComponent(id)}/unregister` })),
      fc.record({ method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"), path: segment.map((s) => `/users/${encodeURIComponent(s)}`) })
    )
    const credentialsBody = fc.record(
      {
        fullName: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
        email: fc.oneof(fc.emailAddress(), fc.string(), fc.anything()),
        password: fc.oneof(fc.string({ minLength: 0, maxLength: 2000 }), fc.anything())
      },
      { requiredKeys: [] }
    )
    const query = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }).map((q) => {
      const qs = new URLSearchParams(q).toString()
      return qs ? `?${qs}` : ""
    })
    const requests = fc
      .tuple(target, fuzz.body(credentialsBody), fuzz.authorization(token), query)
      .map(([t, generated, a, q]) => jsonRequest(t.method, `${t.path}${q}`, t.body ?? generated, a))
    const statuses = await assertNoServerErrors({ url: svc.url, requests, numRuns: 300 })
    // The inputs reach past validation too, not only into 422s.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([413, 200, 401, 404, 422, 429]))
  }, 120_000)
})
