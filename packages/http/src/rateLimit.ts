// Rate limits and quotas (DESIGN §17): a token bucket per key for request rates, a failure counter with growing
// delays and a temporary lock for logins, and the settings, problem and metrics every limit shares. In memory,
// per process: each service is one process (DESIGN §3), and a restart forgetting the counts is acceptable.
import client from "prom-client"
import { addressListSetting, clientAddressOf, limitKeyOf, LOOPBACK, type AddressList } from "./clientAddress.ts"
import { HttpProblem } from "./HttpProblem.ts"
import { METRIC_PREFIX, metricsRegistry } from "./metrics.ts"

type Env = Readonly<Record<string, string | undefined>>

/** Keys a limiter remembers at most; past that the longest-untouched key is forgotten first. */
const MAX_KEYS = 100_000

// ---------------------------------------------------------------------------------------------------------------
// Settings

/** Whether limits are on: `ABUSE_LIMITS=off` turns every one off (benchmarks, load tests), refused in production. */
export const abuseLimitsEnabled = (env: Env): boolean => {
  const raw = (env.ABUSE_LIMITS ?? "").trim().toLowerCase()
  if (raw === "" || raw === "on") return true
  if (raw !== "off") throw new Error(`ABUSE_LIMITS must be "on" or "off", got ${JSON.stringify(env.ABUSE_LIMITS)}`)
  if (env.NODE_ENV === "production") {
    throw new Error("ABUSE_LIMITS=off is refused with NODE_ENV=production: rate limits and quotas stay on in production")
  }
  return false
}

/** A rate: `count` requests per `periodMs`, as a bucket of `count` tokens refilled evenly over the period. */
export interface Rate {
  readonly count: number
  readonly periodMs: number
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * A rate setting, `<count>/<period>` with the period in ms, s, m or h (`20/1m`, `30/1h`), or `off` for no limit.
 * Unset means the default; a malformed value stops the process with one line naming the setting.
 */
export const rateSetting = (env: Env, name: string, fallback: string): Rate | undefined => {
  const raw = (env[name] ?? "").trim() === "" ? fallback : env[name]!.trim()
  if (raw.toLowerCase() === "off") return undefined
  const m = /^([0-9]+)\s*\/\s*([0-9]*)\s*(ms|s|m|h)$/.exec(raw)
  const count = m === null ? NaN : Number(m[1])
  const periodMs = m === null ? NaN : Number(m[2] === "" ? 1 : m[2]) * UNITS[m[3]!]!
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(periodMs) || periodMs < 1) {
    throw new Error(`${name} must be a rate like "20/1m" (count per ms, s, m or h) or "off", got ${JSON.stringify(env[name])}`)
  }
  return { count, periodMs }
}

/** The services' trusted front door(s): X-Forwarded-For is believed only from these peers (`TRUSTED_PROXIES`). */
export const trustedProxiesSetting = (env: Env): AddressList => addressListSetting(env, "TRUSTED_PROXIES", LOOPBACK)

/**
 * The client address an Elysia request's per-address limits are keyed by: the front door's forwarded one from a
 * trusted peer, else the peer; an IPv6 client by its /64 (`limitKeyOf`).
 */
export const requestClientAddress = (
  request: Request,
  server: { requestIP(request: Request): { address: string } | null } | null | undefined,
  trusted: AddressList,
): string => limitKeyOf(clientAddressOf(server?.requestIP(request)?.address, request.headers.get("x-forwarded-for"), trusted) ?? "unknown")

// ---------------------------------------------------------------------------------------------------------------
// Metrics and the problem

let limitedCounter: client.Counter<"limit"> | undefined
const limitedTotal = () =>
  (limitedCounter ??= new client.Counter({
    name: `${METRIC_PREFIX}rate_limited_total`,
    help: "Requests refused by a rate limit or quota (429), by limit",
    labelNames: ["limit"] as const,
    registers: [metricsRegistry()],
  }))

/** Makes `limit` a known label value of `bookaticket_rate_limited_total`, present at 0 from the first scrape. */
export const declareLimit = (limit: string): void => {
  limitedTotal().inc({ limit }, 0)
}

/** Counts one refusal by `limit`. */
export const countLimited = (limit: string): void => limitedTotal().inc({ limit })

/** The 429 problem a refused request gets, with `Retry-After` in whole seconds (at least 1). */
export const tooManyRequests = (retryAfterMs: number, detail: string, code = "rate_limited"): HttpProblem =>
  new HttpProblem({
    status: 429,
    code,
    detail,
    headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  })

/** Documentation of the `Retry-After` header a 429 carries (for a route's OpenAPI). */
export const RETRY_AFTER_DOC = {
  "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer", minimum: 1 } },
} as const

// ---------------------------------------------------------------------------------------------------------------
// Token bucket

/** What a limiter answers: allowed, or refused with how long until it would be allowed. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number }

const ALLOWED: Verdict = { ok: true }

/** Touches `key` in `map` (most recently used last) and forgets the oldest keys past `MAX_KEYS`. */
const touch = <V>(map: Map<string, V>, key: string, value: V): void => {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_KEYS) {
    const oldest = map.keys().next().value
    if (oldest !== undefined) map.delete(oldest)
  }
}

export interface TokenBucket {
  /** Takes one token for `key`, or answers how long until one is there. */
  readonly take: (key: string, now?: number) => Verdict
  readonly name: string
}

/**
 * A token bucket per key: `rate.count` tokens, refilled evenly over `rate.periodMs`; each request takes one.
 * `rate` undefined (the setting is `off`) or `enabled` false lets everything through. Refusals are counted as `name`.
 */
export const tokenBucket = (name: string, rate: Rate | undefined, enabled = true): TokenBucket => {
  declareLimit(name)
  if (rate === undefined || !enabled) return { name, take: () => ALLOWED }
  const perMs = rate.count / rate.periodMs
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    name,
    take: (key, now = Date.now()) => {
      const b = buckets.get(key)
      const tokens = b === undefined ? rate.count : Math.min(rate.count, b.tokens + (now - b.at) * perMs)
      if (tokens >= 1) {
        touch(buckets, key, { tokens: tokens - 1, at: now })
        return ALLOWED
      }
      touch(buckets, key, { tokens, at: now })
      countLimited(name)
      return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / perMs) }
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Login failures: growing delays, then a temporary lock

export interface FailurePolicy {
  /** Failures allowed in a row before any delay. */
  readonly free: number
  /** Failures in a row that lock the key for `lockMs`. */
  readonly lockAfter: number
  /** The first delay after the free failures; it doubles with each further failure (capped at `lockMs`). */
  readonly delayMs: number
  /** The lock's length (the cool-down), and how long a quiet key keeps its count. */
  readonly lockMs: number
}

export interface FailureLimiter {
  /**
   * Called before the expensive check (the password hash). Refused while the key is delayed or locked; else the
   * attempt is counted as a failure right away, so that attempts in parallel cannot slip past the count.
   */
  readonly attempt: (key: string, now?: number) => Verdict
  /** The attempt succeeded: its key starts afresh (`reset`), or only its own count is taken back. */
  readonly succeeded: (key: string, how: "reset" | "uncount") => void
  readonly name: string
}

/**
 * Counts failed attempts per key: after `free` failures each further attempt waits `delayMs`, doubling, and after
 * `lockAfter` failures the key is locked for `lockMs`. Once the lock is over an attempt is let through again
 * (the owner with the right password gets in), but a further failure locks it again at once.
 */
export const failureLimiter = (name: string, policy: FailurePolicy | undefined, enabled = true): FailureLimiter => {
  declareLimit(name)
  if (policy === undefined || !enabled) return { name, attempt: () => ALLOWED, succeeded: () => {} }
  const keys = new Map<string, { failures: number; blockedUntil: number; last: number }>()
  return {
    name,
    attempt: (key, now = Date.now()) => {
      let s = keys.get(key)
      // Quiet for a whole cool-down after its last block: forgotten.
      if (s !== undefined && now - Math.max(s.last, s.blockedUntil) > policy.lockMs) s = undefined
      s ??= { failures: 0, blockedUntil: 0, last: now }
      if (now < s.blockedUntil) {
        touch(keys, key, s)
        countLimited(name)
        return { ok: false, retryAfterMs: s.blockedUntil - now }
      }
      const failures = s.failures + 1
      const blockedUntil =
        failures >= policy.lockAfter
          ? now + policy.lockMs
          : failures > policy.free
            ? now + Math.min(policy.lockMs, policy.delayMs * 2 ** (failures - policy.free - 1))
            : 0
      // After a lock the count stays just under the lock: the next failure locks again.
      touch(keys, key, { failures: Math.min(failures, policy.lockAfter - 1), blockedUntil, last: now })
      return ALLOWED
    },
    succeeded: (key, how) => {
      const s = keys.get(key)
      if (s === undefined) return
      if (how === "reset") keys.delete(key)
      else s.failures = Math.max(0, s.failures - 1)
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Concurrent things (streams) per key

export interface ConcurrencyLimiter {
  /** Takes one place for `key`; the returned function gives it back (once). Undefined when the key is full. */
  readonly acquire: (key: string) => (() => void) | undefined
  readonly name: string
}

/** At most `max` at once per key (e.g. open streams per account); `max` undefined or `enabled` false: no limit. */
export const concurrencyLimiter = (name: string, max: number | undefined, enabled = true): ConcurrencyLimiter => {
  declareLimit(name)
  const open = new Map<string, number>()
  return {
    name,
    acquire: (key) => {
      const n = open.get(key) ?? 0
      if (enabled && max !== undefined && n >= max) {
        countLimited(name)
        return undefined
      }
      open.set(key, n + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (open.get(key) ?? 1) - 1
        if (left <= 0) open.delete(key)
        else open.set(key, left)
      }
    },
  }
}
