// What every service does the same way to stay safe in front of people: where it listens (`HOST`), how large a
// request body may be (`MAX_BODY_BYTES`), who may read `/metrics` (`METRICS_ALLOW`), the security headers on
// every answer, and, with NODE_ENV=production, no setting left at an example or development secret.
import net from "node:net"
import { addressListSetting, LOOPBACK, type AddressList } from "./clientAddress.ts"
import { HttpProblem } from "./HttpProblem.ts"
import { intSetting } from "./settings.ts"

type Env = Readonly<Record<string, string | undefined>>

export const DEFAULT_HOST = "127.0.0.1"
export const DEFAULT_MAX_BODY_BYTES = 65_536

/**
 * A bind address setting: an IP address (`127.0.0.1`, `0.0.0.0`, `::`, a private interface's address) or
 * `localhost`; anything else stops the process with one line naming the setting.
 */
export const hostSetting = (env: Env, name = "HOST", fallback = DEFAULT_HOST): string => {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === "") return fallback
  const bare = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw
  if (bare === "localhost" || net.isIP(bare) !== 0) return bare
  throw new Error(`${name} must be an IP address to listen on (e.g. 127.0.0.1, 0.0.0.0 or ::), got ${JSON.stringify(env[name])}`)
}

/** The settings of a service's HTTP side that every service reads the same way. */
export interface HttpSettings {
  /** `HOST`: where the service listens, loopback by default. */
  readonly host: string
  /** `MAX_BODY_BYTES`: larger request bodies are answered 413 `payload_too_large` before they are read. */
  readonly maxBodyBytes: number
  /** `METRICS_ALLOW`: the TCP peers `/metrics` answers; anyone else gets 404. */
  readonly metricsAllow: AddressList
}

export const httpSettings = (env: Env): HttpSettings => ({
  host: hostSetting(env),
  maxBodyBytes: intSetting(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1),
  metricsAllow: addressListSetting(env, "METRICS_ALLOW", LOOPBACK)
})

/** The origin a client on this machine reaches a server bound to `host` at. */
export const localUrl = (host: string, port: number): string => {
  const reach = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host
  return `http://${net.isIPv6(reach) ? `[${reach}]` : reach}:${port}`
}

// ---------------------------------------------------------------------------------------------------
// Security headers

/**
 * Sent with every answer of a service unless the route set its own value (a route's `Cache-Control`, such as the
 * seat map's `no-cache` beside its ETag, and the OpenAPI page's own policy win). API answers carry ticket codes
 * and personal data: nothing may keep them (`no-store`), sniff them, frame them or leak their URL onwards.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'"
}

/** Adds the security headers a response does not already carry. */
export const withSecurityHeaders = (headers: Record<string, string | number>): void => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (headers[name] === undefined) headers[name] = value
}

// ---------------------------------------------------------------------------------------------------
// Bounded bodies

export const payloadTooLarge = (maxBodyBytes: number): HttpProblem =>
  new HttpProblem({
    status: 413,
    code: "payload_too_large",
    detail: `The request body is larger than ${maxBodyBytes} bytes.`
  })

/**
 * Before anything reads the request: a body declared larger than the limit is refused at once (it is never
 * read, so it never takes memory). A body without a `Content-Length` (chunked) is bounded by `readBounded`.
 */
export const checkDeclaredLength = (request: Request, maxBodyBytes: number): void => {
  const declared = request.headers.get("content-length")
  if (declared === null) return
  const n = Number(declared.trim())
  // A malformed Content-Length never reaches us (Bun refuses the request); a huge one is just too large.
  if (Number.isFinite(n) && n > maxBodyBytes) throw payloadTooLarge(maxBodyBytes)
}

/**
 * The body of a request that did not declare its length, read up to the limit: past it, reading stops and the
 * answer is 413. Undefined when the request has no body.
 */
export const readBounded = async (request: Request, maxBodyBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined> => {
  const stream = request.body
  if (stream === null) return undefined
  const reader = stream.getReader()
  const chunks: Array<Uint8Array> = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBodyBytes) {
      await reader.cancel().catch(() => {})
      throw payloadTooLarge(maxBodyBytes)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/**
 * Before Elysia parses anything: a body that did not declare its length (chunked) is read here within the limit
 * (413 past it), and the request then hands out those bytes to whoever reads it (Elysia's parsers, a handler).
 * The request stays the same object, so the server still knows its peer. Requests with a declared length (the
 * usual case, already checked) and without a body are left alone.
 */
export const bufferUndeclaredBody = async (request: Request, maxBodyBytes: number): Promise<void> => {
  if (request.body === null || request.headers.get("content-length") !== null) return
  const bytes = await readBounded(request, maxBodyBytes)
  const method = request.method === "GET" || request.method === "HEAD" ? "POST" : request.method
  const copy = new Request(request.url, { method, headers: request.headers, body: bytes ?? null })
  Object.defineProperties(request, {
    body: { get: () => copy.body, configurable: true },
    bodyUsed: { get: () => copy.bodyUsed, configurable: true },
    json: { value: () => copy.json(), configurable: true },
    text: { value: () => copy.text(), configurable: true },
    arrayBuffer: { value: () => copy.arrayBuffer(), configurable: true },
    bytes: { value: () => copy.bytes(), configurable: true },
    blob: { value: () => copy.blob(), configurable: true },
    formData: { value: () => copy.formData(), configurable: true }
  })
}

// ---------------------------------------------------------------------------------------------------
// Example secrets

/** Development defaults that are published (README, services/users) and so are no secret. */
const DEV_SECRETS = new Set(["bookaticket-dev-admin"])
const PUBLIC_CREDENTIALS = new Set(["guest:guest"])

/** Why a setting's value is an example or published secret, or undefined when it is not. */
export const exampleSecretIn = (value: string): string | undefined => {
  if (/CHANGE-?ME/i.test(value)) return "holds the example value CHANGE-ME"
  if (DEV_SECRETS.has(value.trim())) return "holds the published development default"
  // Any URL in it (AMQP_URL lists several, comma-separated) with the broker's published guest account.
  for (const m of value.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^@/\s,]*)@/gi)) {
    let credentials = m[1]!
    try {
      credentials = decodeURIComponent(credentials)
    } catch {
      // as written
    }
    if (PUBLIC_CREDENTIALS.has(credentials)) return `holds the published credentials ${credentials}`
  }
  return undefined
}

/**
 * With NODE_ENV=production, refuses to go on when any setting holds an example or development secret: every
 * variable of `env` is looked at (so settings added later, such as per-service broker credentials, are covered
 * too) and so are the effective values in `effective` (a default taken because a setting was left out). Throws
 * one line naming the setting; does nothing outside production.
 */
export const refuseExampleSecrets = (env: Env, effective: Readonly<Record<string, string>> = {}): void => {
  if (env.NODE_ENV !== "production") return
  const found: Array<string> = []
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "" || name in effective) continue
    const why = exampleSecretIn(value)
    if (why !== undefined) found.push(`${name} ${why}`)
  }
  for (const [name, value] of Object.entries(effective)) {
    const why = exampleSecretIn(value)
    if (why !== undefined) found.push(env[name] === undefined || env[name] === "" ? `${name} is not set and its development default ${why.replace(/^holds /, "has ")}` : `${name} ${why}`)
  }
  if (found.length > 0) throw new Error(`NODE_ENV=production refuses example secrets: ${found.join("; ")}`)
}
