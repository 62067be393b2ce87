// Bearer-token authentication against the users service's JWKS (EdDSA), and role guards.
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from "jose"
import { HttpProblem } from "./HttpProblem.ts"

export type Role = "customer" | "staff"

export interface Principal {
  readonly userId: string
  readonly role: Role
  readonly email?: string
}

export type AuthOptions = {
  readonly issuer: string
  readonly audience: string
  /** Seconds of clock skew tolerated on `exp`/`nbf`; 0 by default. */
  readonly clockTolerance?: number
  /**
   * How long a verified token is remembered (ms, default 60 s; 0 turns the cache off). An entry never
   * outlives the token's own `exp`, which is checked again on every use.
   */
  readonly cacheTtlMs?: number
  /** How many verified tokens are remembered at most (least recently used go first); default 10,000. */
  readonly cacheSize?: number
  /** The clock the cache reads (tests); `Date.now` by default. */
  readonly now?: () => number
} & (
  | { readonly jwksUrl: string | URL }
  /** A key set held locally (tests, or the users service verifying its own tokens). */
  | { readonly jwks: JSONWebKeySet | (() => JSONWebKeySet | Promise<JSONWebKeySet>) }
)

export interface Auth {
  /** The caller, or an `HttpProblem` 401 (`unauthorized`, `token_expired`, `invalid_token`). */
  readonly authenticate: (headers: Headers | Record<string, string | undefined>) => Promise<Principal>
}

const unauthorized = (code: string, detail: string, cause?: unknown) =>
  new HttpProblem({ status: 401, code, detail, cause })

const authorizationHeader = (headers: Headers | Record<string, string | undefined>): string | undefined =>
  headers instanceof Headers ? (headers.get("authorization") ?? undefined) : headers["authorization"]

const localKeySet = (source: Extract<AuthOptions, { jwks: unknown }>["jwks"]): JWTVerifyGetKey => {
  if (typeof source !== "function") return createLocalJWKSet(source)
  // Reuse the imported keys while the source hands back the same key set.
  let cached: { jwks: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined
  return async (header, token) => {
    const jwks = await source()
    if (cached?.jwks !== jwks) cached = { jwks, getKey: createLocalJWKSet(jwks) }
    return cached.getKey(header, token)
  }
}

// Fetching the remote key set failed: our outage, not the caller's fault.
const isFetchFailure = (error: unknown) =>
  !(error instanceof errors.JOSEError) ||
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid ||
  error.code === "ERR_JOSE_GENERIC"

const isRole = (value: unknown): value is Role => value === "customer" || value === "staff"

/** Defaults of the verified-token cache (docs/DECISIONS.md "Verified tokens are cached for at most 60 s"). */
export const TOKEN_CACHE_TTL_MS = 60_000
export const TOKEN_CACHE_SIZE = 10_000

interface CachedToken {
  readonly principal: Principal
  /** Epoch ms from which the entry is not used: min(verified + TTL, token `exp` + tolerance). */
  readonly usableUntil: number
}

/**
 * Verified tokens by their whole compact form (header, payload and signature: a changed byte is another key and
 * gets a full verification). A Map keeps insertion order; a hit moves the entry to the end, so the first key is the
 * least recently used one.
 */
const tokenCache = (ttlMs: number, size: number, now: () => number) => {
  const entries = new Map<string, CachedToken>()
  return {
    get: (token: string): Principal | undefined => {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      entries.delete(token)
      if (now() >= entry.usableUntil) return undefined // expired or too old: verified again from scratch
      entries.set(token, entry)
      return entry.principal
    },
    set: (token: string, principal: Principal, expSeconds: number, toleranceSeconds: number) => {
      const usableUntil = Math.min(now() + ttlMs, (expSeconds + toleranceSeconds) * 1000)
      if (ttlMs <= 0 || size <= 0 || usableUntil <= now()) return
      entries.delete(token)
      entries.set(token, { principal, usableUntil })
      while (entries.size > size) entries.delete(entries.keys().next().value as string)
    }
  }
}

export const makeAuth = (opts: AuthOptions): Auth => {
  // Remote: jose caches the set and refetches only for an unknown key id (with a cooldown).
  const remote = "jwksUrl" in opts
  const getKey = "jwksUrl" in opts ? createRemoteJWKSet(new URL(opts.jwksUrl)) : localKeySet(opts.jwks)

  const verifyOptions = {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: ["EdDSA"],
    requiredClaims: ["sub", "exp"],
    clockTolerance: opts.clockTolerance ?? 0,
  }
  const cache = tokenCache(opts.cacheTtlMs ?? TOKEN_CACHE_TTL_MS, opts.cacheSize ?? TOKEN_CACHE_SIZE, opts.now ?? Date.now)

  const authenticate = async (headers: Headers | Record<string, string | undefined>): Promise<Principal> => {
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorizationHeader(headers)?.trim() ?? "")
    const token = match?.[1]
    if (token === undefined) throw unauthorized("unauthorized", "A bearer token is required.")
    const cached = cache.get(token)
    if (cached !== undefined) return cached
    const payload = await jwtVerify(token, getKey, verifyOptions).then(
      (verified) => verified.payload,
      (error: unknown) => {
        if (error instanceof errors.JWTExpired) throw unauthorized("token_expired", "The token has expired; log in again.")
        if (remote && isFetchFailure(error)) {
          throw new HttpProblem({ status: 503, code: "auth_unavailable", detail: "Tokens cannot be verified right now.", cause: error })
        }
        if (error instanceof errors.JOSEError) throw unauthorized("invalid_token", "The token is not valid.", error)
        throw error // the local key source failed: a 500, logged
      },
    )
    const { sub, role, email } = payload
    if (typeof sub !== "string" || sub === "" || !isRole(role)) {
      throw unauthorized("invalid_token", "The token lacks a subject or a known role.")
    }
    const principal: Principal = typeof email === "string" ? { userId: sub, role, email } : { userId: sub, role }
    // `exp` is a required claim, so a verified payload has it as a number.
    if (typeof payload.exp === "number") cache.set(token, principal, payload.exp, verifyOptions.clockTolerance)
    return principal
  }

  return { authenticate }
}

/** The principal, if it holds one of the roles; otherwise a 403 `forbidden` problem. */
export const requireRole = <R extends Role>(principal: Principal, ...roles: ReadonlyArray<R>): Principal & { readonly role: R } => {
  if (!(roles as ReadonlyArray<Role>).includes(principal.role)) {
    throw new HttpProblem({ status: 403, code: "forbidden", detail: "This action is not allowed for your role." })
  }
  return principal as Principal & { readonly role: R }
}
