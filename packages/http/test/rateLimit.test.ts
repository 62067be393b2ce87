import { describe, expect, test } from "bun:test"
import { metricsText } from "../src/metrics.ts"
import { abuseLimitsEnabled, concurrencyLimiter, failureLimiter, rateSetting, tokenBucket, tooManyRequests } from "../src/rateLimit.ts"

describe("rate settings", () => {
  test("count per period, off, the default, and one clear line for anything else", () => {
    expect(rateSetting({}, "X_RATE", "20/1m")).toEqual({ count: 20, periodMs: 60_000 })
    expect(rateSetting({ X_RATE: "3/h" }, "X_RATE", "20/1m")).toEqual({ count: 3, periodMs: 3_600_000 })
    expect(rateSetting({ X_RATE: " 5 / 30s " }, "X_RATE", "20/1m")).toEqual({ count: 5, periodMs: 30_000 })
    expect(rateSetting({ X_RATE: "off" }, "X_RATE", "20/1m")).toBeUndefined()
    for (const bad of ["lots", "0/1m", "5", "5/0s", "-1/1m", "5/1d"]) {
      expect(() => rateSetting({ X_RATE: bad }, "X_RATE", "20/1m")).toThrow(`X_RATE must be a rate like "20/1m"`)
    }
  })

  test("ABUSE_LIMITS: on by default, off outside production only", () => {
    expect(abuseLimitsEnabled({})).toBe(true)
    expect(abuseLimitsEnabled({ ABUSE_LIMITS: "on" })).toBe(true)
    expect(abuseLimitsEnabled({ ABUSE_LIMITS: "off" })).toBe(false)
    expect(() => abuseLimitsEnabled({ ABUSE_LIMITS: "off", NODE_ENV: "production" })).toThrow(
      "ABUSE_LIMITS=off is refused with NODE_ENV=production"
    )
    expect(() => abuseLimitsEnabled({ ABUSE_LIMITS: "maybe" })).toThrow('ABUSE_LIMITS must be "on" or "off"')
  })
})

describe("token bucket", () => {
  test("a burst of count, then one every period/count, per key", () => {
    const bucket = tokenBucket("test_bucket", { count: 3, periodMs: 3_000 })
    const t0 = 1_000_000
    expect([1, 2, 3].map(() => bucket.take("a", t0).ok)).toEqual([true, true, true])
    expect(bucket.take("a", t0)).toEqual({ ok: false, retryAfterMs: 1_000 })
    expect(bucket.take("b", t0).ok).toBe(true)
    expect(bucket.take("a", t0 + 999).ok).toBe(false)
    expect(bucket.take("a", t0 + 1_000).ok).toBe(true)
    expect(bucket.take("a", t0 + 1_000).ok).toBe(false)
    // Idle for long, a key has a full bucket again, never more.
    expect([1, 2, 3, 4].map(() => bucket.take("a", t0 + 60_000).ok)).toEqual([true, true, true, false])
  })

  test("off (no rate, or limits disabled) lets everything through", () => {
    const none = tokenBucket("test_none", undefined)
    const disabled = tokenBucket("test_disabled", { count: 1, periodMs: 60_000 }, false)
    for (let i = 0; i < 5; i++) {
      expect(none.take("a").ok).toBe(true)
      expect(disabled.take("a").ok).toBe(true)
    }
  })
})

describe("failure limiter", () => {
  const policy = { free: 2, lockAfter: 5, delayMs: 1_000, lockMs: 60_000 }

  test("free failures, then doubling delays, then a lock; the attempt after the cool-down is let through", () => {
    const f = failureLimiter("test_failures", policy)
    const t0 = 5_000_000
    expect(f.attempt("k", t0).ok).toBe(true)
    expect(f.attempt("k", t0).ok).toBe(true)
    expect(f.attempt("k", t0).ok).toBe(true) // the third failure sets a 1 s delay
    expect(f.attempt("k", t0 + 500)).toEqual({ ok: false, retryAfterMs: 500 })
    expect(f.attempt("k", t0 + 1_000).ok).toBe(true) // the fourth: 2 s
    expect(f.attempt("k", t0 + 2_999).ok).toBe(false)
    expect(f.attempt("k", t0 + 3_000).ok).toBe(true) // the fifth: locked for 60 s
    expect(f.attempt("k", t0 + 62_999)).toEqual({ ok: false, retryAfterMs: 1 })
    // After the cool-down the owner's attempt goes through; a success starts afresh.
    expect(f.attempt("k", t0 + 63_000).ok).toBe(true)
    f.succeeded("k", "reset")
    expect([1, 2, 3].map(() => f.attempt("k", t0 + 63_000).ok)).toEqual([true, true, true])
  })

  test("after a lock, one more failure locks again at once; a key quiet for a cool-down is forgotten", () => {
    const f = failureLimiter("test_relock", policy)
    const t0 = 9_000_000
    let t = t0
    for (let i = 0; i < 5; i++) {
      while (!f.attempt("k", t).ok) t += 100
    }
    const lockedAt = t
    expect(f.attempt("k", lockedAt + 59_000).ok).toBe(false)
    expect(f.attempt("k", lockedAt + 60_000).ok).toBe(true) // a wrong password again…
    expect(f.attempt("k", lockedAt + 60_001).ok).toBe(false) // …locks at once
    expect(f.attempt("k", lockedAt + 120_001 + 60_001).ok).toBe(true) // forgotten
    expect(f.attempt("k", lockedAt + 120_001 + 60_001).ok).toBe(true)
  })

  test("parallel attempts are counted as they start, so they cannot slip past together", () => {
    const f = failureLimiter("test_parallel", policy)
    const verdicts = Array.from({ length: 20 }, () => f.attempt("k", 1_000))
    expect(verdicts.filter((v) => v.ok)).toHaveLength(3)
  })
})

describe("concurrency limiter", () => {
  test("at most max at once per key; a place given back (once) makes room", () => {
    const c = concurrencyLimiter("test_streams", 2)
    const a = c.acquire("u")!
    const b = c.acquire("u")!
    expect(c.acquire("u")).toBeUndefined()
    expect(c.acquire("v")).toBeDefined()
    a()
    a()
    expect(c.acquire("u")).toBeDefined()
    expect(c.acquire("u")).toBeUndefined()
    b()
  })
})

describe("429 and metrics", () => {
  test("the problem carries Retry-After in whole seconds, at least 1", async () => {
    const res = tooManyRequests(1_200, "Slow down.").toResponse()
    expect(res.status).toBe(429)
    expect(res.headers.get("retry-after")).toBe("2")
    expect(res.headers.get("content-type")).toBe("application/problem+json")
    expect(await res.json()).toMatchObject({ type: "urn:bookaticket:problem:rate_limited", title: "Too Many Requests", status: 429, code: "rate_limited" })
    expect(tooManyRequests(10, "x").headers["retry-after"]).toBe("1")
  })

  test("every limit's label is there at 0 from the first scrape, and refusals count", async () => {
    const bucket = tokenBucket("test_scrape", { count: 1, periodMs: 60_000 })
    expect(await metricsText()).toContain('bookaticket_rate_limited_total{limit="test_scrape"} 0')
    bucket.take("a")
    bucket.take("a")
    expect(await metricsText()).toContain('bookaticket_rate_limited_total{limit="test_scrape"} 1')
  })
})
