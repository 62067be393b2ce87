import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWTPayload } from "jose"
import { HttpProblem, makeAuth, makeServiceApp, requireRole, type Auth } from "../src/index.ts"

const issuer = "bookaticket/users"
const audience = "bookaticket"

const makeKey = async (kid: string) => {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }
  return { kid, privateKey, jwk }
}

let signer: Awaited<ReturnType<typeof makeKey>>
let stranger: Awaited<ReturnType<typeof makeKey>>
let jwks: JSONWebKeySet

const sign = (
  claims: JWTPayload,
  opts: { key?: { kid: string; privateKey: CryptoKey }; expiresAt?: number; issuer?: string } = {},
) => {
  const key = opts.key ?? signer
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid })
    .setIssuer(opts.issuer ?? issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(opts.expiresAt ?? Math.floor(Date.now() / 1000) + 900)
    .sign(key.privateKey)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const rejection = async (auth: Auth, headers: Record<string, string | undefined>) => {
  const error = await auth.authenticate(headers).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(HttpProblem)
  return error as HttpProblem
}

beforeAll(async () => {
  signer = await makeKey("users-key-1")
  stranger = await makeKey("users-key-1") // same kid, different key: a forged token
  jwks = { keys: [signer.jwk] }
})

describe("authentication with a local key set", () => {
  const auth = () => makeAuth({ issuer, audience, jwks: () => jwks })

  test("a valid token yields the principal from its claims", async () => {
    const token = await sign({ sub: "user-1", role: "customer", email: "ann@example.com" })
    expect(await auth().authenticate(bearer(token))).toEqual({ userId: "user-1", role: "customer", email: "ann@example.com" })
  })

  test("headers may be given as a Headers object", async () => {
    const token = await sign({ sub: "user-2", role: "staff" })
    expect(await auth().authenticate(new Headers(bearer(token)))).toEqual({ userId: "user-2", role: "staff" })
  })

  test("a missing or malformed authorization header is 401 unauthorized", async () => {
    expect(await rejection(auth(), {})).toMatchObject({ status: 401, code: "unauthorized" })
    expect(await rejection(auth(), { authorization: "Basic dXNlcjpwdw==" })).toMatchObject({ status: 401, code: "unauthorized" })
    expect(await rejection(auth(), { authorization: "Bearer" })).toMatchObject({ status: 401, code: "unauthorized" })
  })

  test("an expired token is 401 token_expired", async () => {
    const token = await sign({ sub: "user-1", role: "customer" }, { expiresAt: Math.floor(Date.now() / 1000) - 60 })
    expect(await rejection(auth(), bearer(token))).toMatchObject({ status: 401, code: "token_expired" })
  })

  test("a token signed with another key is 401 invalid_token", async () => {
    const token = await sign({ sub: "user-1", role: "staff" }, { key: stranger })
    expect(await rejection(auth(), bearer(token))).toMatchObject({ status: 401, code: "invalid_token" })
  })

  test("a token with an unknown key id, another issuer, garbage or no role is 401 invalid_token", async () => {
    const unknownKid = await sign({ sub: "user-1", role: "customer" }, { key: { ...signer, kid: "other" } })
    const otherIssuer = await sign({ sub: "user-1", role: "customer" }, { issuer: "someone-else" })
    const noRole = await sign({ sub: "user-1" })
    const oddRole = await sign({ sub: "user-1", role: "admin" })
    for (const token of [unknownKid, otherIssuer, noRole, oddRole, "not.a.jwt"]) {
      expect(await rejection(auth(), bearer(token))).toMatchObject({ status: 401, code: "invalid_token" })
    }
  })

  test("a role guard lets allowed roles through and answers others with 403 forbidden", () => {
    const customer = { userId: "u1", role: "customer" as const }
    expect(requireRole(customer, "customer", "staff")).toBe(customer)
    expect(() => requireRole(customer, "staff")).toThrow(HttpProblem)
    try {
      requireRole(customer, "staff")
    } catch (e) {
      expect(e).toMatchObject({ status: 403, code: "forbidden" })
    }
  })

  test("in a route, a missing token is a 401 problem and a wrong role a 403 problem", async () => {
    const authn = auth()
    const app = makeServiceApp({ service: "cinemas", readiness: async () => ({ ok: true, checks: {} }) }).post(
      "/cinemas",
      async ({ headers }) => {
        const staff = requireRole(await authn.authenticate(headers), "staff")
        return { createdBy: staff.userId }
      },
    )
    const post = (headers: Record<string, string>) => app.handle(new Request("http://localhost/cinemas", { method: "POST", headers }))

    const anonymous = await post({})
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get("content-type")).toBe("application/problem+json")
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer")
    expect(await anonymous.json()).toMatchObject({ code: "unauthorized" })

    const customer = await post(bearer(await sign({ sub: "u1", role: "customer" })))
    expect(customer.status).toBe(403)
    expect(await customer.json()).toMatchObject({ code: "forbidden" })

    const staff = await post(bearer(await sign({ sub: "u2", role: "staff" })))
    expect(staff.status).toBe(200)
    expect(await staff.json()).toEqual({ createdBy: "u2" })
  })
})

describe("authentication with a remote key set", () => {
  let server: ReturnType<typeof Bun.serve>
  let fetches = 0

  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      fetch(req) {
        if (new URL(req.url).pathname !== "/users/.well-known/jwks.json") return new Response("no", { status: 404 })
        fetches += 1
        return Response.json(jwks)
      },
    })
  })
  afterAll(() => server.stop(true))

  const jwksUrl = () => `http://localhost:${server.port}/users/.well-known/jwks.json`

  test("valid tokens verify against the fetched key set, which is fetched once", async () => {
    const auth = makeAuth({ issuer, audience, jwksUrl: jwksUrl() })
    fetches = 0
    for (const sub of ["a", "b", "c"]) {
      const token = await sign({ sub, role: "customer" })
      expect(await auth.authenticate(bearer(token))).toEqual({ userId: sub, role: "customer" })
    }
    expect(fetches).toBe(1)
  })

  test("expired and foreign tokens are rejected with their own codes", async () => {
    const auth = makeAuth({ issuer, audience, jwksUrl: jwksUrl() })
    const expired = await sign({ sub: "a", role: "customer" }, { expiresAt: Math.floor(Date.now() / 1000) - 5 })
    expect(await rejection(auth, bearer(expired))).toMatchObject({ status: 401, code: "token_expired" })
    const forged = await sign({ sub: "a", role: "staff" }, { key: stranger })
    expect(await rejection(auth, bearer(forged))).toMatchObject({ status: 401, code: "invalid_token" })
    expect(await rejection(auth, {})).toMatchObject({ status: 401, code: "unauthorized" })
  })

  test("an unreachable key set is a 503 auth_unavailable, not a blame on the caller", async () => {
    const auth = makeAuth({ issuer, audience, jwksUrl: `http://localhost:${server.port}/nowhere` })
    const token = await sign({ sub: "a", role: "customer" })
    expect(await rejection(auth, bearer(token))).toMatchObject({ status: 503, code: "auth_unavailable" })
  })
})

describe("the verified-token cache", () => {
  /** A local key set that counts how often a signature is checked (each check asks the source for the keys). */
  const counting = (opts: { now?: () => number; cacheTtlMs?: number; cacheSize?: number } = {}) => {
    const calls = { keys: 0 }
    const auth = makeAuth({
      issuer,
      audience,
      jwks: () => {
        calls.keys += 1
        return jwks
      },
      ...opts,
    })
    return { auth, calls }
  }
  const nowSeconds = () => Math.floor(Date.now() / 1000)

  test("a token verified once is not verified again while cached", async () => {
    const { auth, calls } = counting()
    const token = await sign({ sub: "user-1", role: "customer", email: "ann@example.com" })
    for (let i = 0; i < 5; i++) {
      expect(await auth.authenticate(bearer(token))).toEqual({ userId: "user-1", role: "customer", email: "ann@example.com" })
    }
    expect(calls.keys).toBe(1)
  })

  test("a cached token that has expired since is 401 token_expired", async () => {
    let now = Date.now()
    const { auth, calls } = counting({ now: () => now })
    const exp = nowSeconds() + 30
    const token = await sign({ sub: "user-1", role: "customer" }, { expiresAt: exp })
    expect(await auth.authenticate(bearer(token))).toEqual({ userId: "user-1", role: "customer" })
    now = exp * 1000 - 1 // still valid: from the cache
    expect(await auth.authenticate(bearer(token))).toEqual({ userId: "user-1", role: "customer" })
    expect(calls.keys).toBe(1)
    // Past exp by the cache's clock the entry is not used; the full check (on the real clock) says the same
    // once the real clock is past exp, which a token signed already expired shows below.
    now = exp * 1000
    const second = await auth.authenticate(bearer(token)).then(() => "accepted", () => "refused")
    expect(calls.keys).toBe(2) // verified again, not served from the cache
    expect(second).toBe("accepted") // the real clock is still before exp

    const lapsed = await sign({ sub: "user-1", role: "customer" }, { expiresAt: nowSeconds() + 1 })
    const real = counting()
    expect(await real.auth.authenticate(bearer(lapsed))).toEqual({ userId: "user-1", role: "customer" })
    await Bun.sleep((nowSeconds() + 2) * 1000 - Date.now())
    expect(await rejection(real.auth, bearer(lapsed))).toMatchObject({ status: 401, code: "token_expired" })
    expect(await rejection(real.auth, bearer(lapsed))).toMatchObject({ status: 401, code: "token_expired" })
  })

  test("an entry lives at most the cache's TTL, then the token is verified again", async () => {
    let now = Date.now()
    const { auth, calls } = counting({ now: () => now, cacheTtlMs: 60_000 })
    const token = await sign({ sub: "user-1", role: "customer" })
    await auth.authenticate(bearer(token))
    now += 59_999
    await auth.authenticate(bearer(token))
    expect(calls.keys).toBe(1)
    now += 1
    await auth.authenticate(bearer(token))
    expect(calls.keys).toBe(2)
  })

  test("a tampered copy of a cached token is still 401 invalid_token", async () => {
    const { auth } = counting()
    const token = await sign({ sub: "user-1", role: "customer" })
    await auth.authenticate(bearer(token))
    const [header, payload, signature] = token.split(".") as [string, string, string]
    const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1)
    const asStaff = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), role: "staff" })).toString("base64url")
    for (const tampered of [`${header}.${payload}.${flipped}`, `${header}.${asStaff}.${signature}`]) {
      expect(await rejection(auth, bearer(tampered))).toMatchObject({ status: 401, code: "invalid_token" })
    }
    expect(await auth.authenticate(bearer(token))).toEqual({ userId: "user-1", role: "customer" })
  })

  test("the cache is bounded: the least recently used token is forgotten first", async () => {
    const { auth, calls } = counting({ cacheSize: 2 })
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((sub) => sign({ sub, role: "customer" })))
    await auth.authenticate(bearer(a!))
    await auth.authenticate(bearer(b!))
    await auth.authenticate(bearer(a!)) // a is now the most recent
    await auth.authenticate(bearer(c!)) // b goes
    expect(calls.keys).toBe(3)
    await auth.authenticate(bearer(a!))
    await auth.authenticate(bearer(c!))
    expect(calls.keys).toBe(3)
    await auth.authenticate(bearer(b!))
    expect(calls.keys).toBe(4)
  })

  test("a TTL of 0 turns the cache off", async () => {
    const { auth, calls } = counting({ cacheTtlMs: 0 })
    const token = await sign({ sub: "user-1", role: "customer" })
    await auth.authenticate(bearer(token))
    await auth.authenticate(bearer(token))
    expect(calls.keys).toBe(2)
  })
})
