// "No input yields a 5xx", once: a service's test gives its own requests (methods, paths, bodies, tokens) and
// this sends them, checking what every answer must be (never 5xx; a 4xx is a problem+json with a code; a 429
// says when to come back; a body too large is 413 before routing, parsing or authentication).
import { expect } from "bun:test"
import fc from "fast-check"
import { bodyFor, isOversized, OVERSIZED_MARKERS } from "./oversized.ts"

/** One generated request. `body` is a string sent as it is, an `OVERSIZED_MARKERS` value, or left out. */
export interface FuzzRequest {
  readonly method: string
  /** With its query string, if any. */
  readonly path: string
  readonly body?: unknown
  /** Values are sent with CR, LF and NUL taken out (a client cannot send them). */
  readonly headers?: Readonly<Record<string, string | undefined>>
}

export interface NoServerErrorsOptions<Req extends FuzzRequest> {
  /** The service (or front door) base URL. */
  readonly url: string
  readonly requests: fc.Arbitrary<Req>
  readonly numRuns?: number
  /** The service's own checks of an answer, after the shared ones (e.g. a route that must answer 413). */
  readonly check?: (request: Req, response: Response, text: string) => void | Promise<void>
}

/**
 * Sends `numRuns` generated requests and checks each answer; returns how often each status came back, for the
 * test to say which it expects to have met (e.g. 413, 429).
 */
export const assertNoServerErrors = async <Req extends FuzzRequest>(opts: NoServerErrorsOptions<Req>): Promise<ReadonlyMap<number, number>> => {
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(opts.requests, async (r) => {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(r.headers ?? {})) if (value !== undefined) headers[name] = value.replace(/[\r\n\0]/g, "")
      const sendsBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD"
      const abort = new AbortController()
      const res = await fetch(`${opts.url}${r.path}`, {
        method: r.method,
        headers,
        signal: abort.signal,
        ...(sendsBody ? { body: bodyFor(r.body) as BodyInit } : {}),
      }).catch(() => undefined)
      if (res === undefined) return true // the client refused to send it (e.g. a header it will not carry)
      // An event stream that opened does not end: its answer is its status and headers.
      const streaming = res.ok && (res.headers.get("content-type") ?? "").startsWith("text/event-stream")
      if (streaming) abort.abort()
      const text = streaming ? await res.body?.cancel().then(() => "", () => "") ?? "" : await res.text()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      if (res.status >= 500) throw new Error(`${r.method} ${r.path} -> ${res.status}: ${text}`)
      if (res.status >= 400 && r.method !== "HEAD") {
        expect({ path: r.path, type: res.headers.get("content-type") }).toEqual({ path: r.path, type: "application/problem+json" })
        expect((JSON.parse(text) as { code: string }).code).toMatch(/^[a-z_]+$/)
      }
      if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
      // A body too large (declared or chunked) is refused before routing, parsing or authentication, whatever the route.
      if (sendsBody && isOversized(r.body)) expect({ path: r.path, status: res.status }).toEqual({ path: r.path, status: 413 })
      await opts.check?.(r, res, text)
      return true
    }),
    { numRuns: opts.numRuns ?? 400 },
  )
  return statuses
}

/** Shared pieces of the generated requests. */
export const fuzz = {
  /** No token, each of `tokens` (`Bearer …` added), a made-up bearer token, or a made-up header. */
  authorization: (...tokens: ReadonlyArray<string>): fc.Arbitrary<string | undefined> =>
    fc.oneof(
      fc.constant(undefined),
      ...tokens.map((t) => fc.constant(`Bearer ${t}`)),
      fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
      fc.string({ maxLength: 50 }),
    ),
  /** A made-up query string ("" or `?…`), with `limit` and `cursor` often among its keys. */
  query: (): fc.Arbitrary<string> =>
    fc
      .oneof(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
        fc.record({ limit: fc.oneof(fc.integer({ min: -10, max: 300 }).map(String), fc.string()), cursor: fc.string({ maxLength: 300 }) }, { requiredKeys: [] }),
      )
      .map((q) => {
        const qs = new URLSearchParams(q as Record<string, string>).toString()
        return qs === "" ? "" : `?${qs}`
      }),
  /** No body, a JSON object of the route's `fields` (each may be any value), any JSON, a non-JSON string, or an oversized body. */
  body: (fields: fc.Arbitrary<unknown> = fc.constant({})): fc.Arbitrary<unknown> =>
    fc.oneof(
      fc.constant(undefined),
      fields.map((b) => JSON.stringify(b)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 100 }),
      fc.constantFrom(...OVERSIZED_MARKERS),
    ),
  /** An id segment: a UUID, any string, one of `known`, or `..`; URL-encoded. */
  segment: (...known: ReadonlyArray<string>): fc.Arbitrary<string> =>
    fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.constant(".."), ...known.map((k) => fc.constant(k))).map((s) => encodeURIComponent(s)),
}

/** JSON requests: `content-type: application/json` whenever there is a body, and the caller's authorization. */
export const jsonRequest = (method: string, path: string, body: unknown, authorization: string | undefined, headers: Record<string, string> = {}): FuzzRequest => ({
  method,
  path,
  body,
  headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }), ...(authorization === undefined ? {} : { authorization }) },
})
