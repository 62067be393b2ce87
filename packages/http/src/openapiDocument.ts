// A service's OpenAPI 3.1 document, built from its Elysia routes: their schemas (params, query, headers,
// body) and what each route's `operation()` says (success, who may call it, problem codes).
import { OPERATION_DOC_KEY, type OperationDocData, type ProblemStatus, type ResponseHeadersDoc } from "./openapiDoc.ts"
import { ENFORCED_AUTH_KEY } from "./authorize.ts"
import { titleForStatus } from "./HttpProblem.ts"

type Json = Record<string, unknown>

/** The parts of an Elysia route the document is built from. */
export interface DocumentedRoute {
  readonly method: string
  readonly path: string
  readonly hooks?: {
    readonly body?: unknown
    readonly query?: unknown
    readonly params?: unknown
    readonly headers?: unknown
    readonly detail?: Json
  }
}

export interface DocumentTag {
  readonly name: string
  readonly description: string
}

export interface DocumentOptions {
  /** The service's name, e.g. `booking`. */
  readonly service: string
  /** The path prefix the front door routes to it, e.g. `/tickets`. */
  readonly prefix: string
  readonly version?: string
  readonly description?: string
  /** Descriptions of the tags its routes use; a tag without one gets a generic description. */
  readonly tags?: ReadonlyArray<DocumentTag>
  /**
   * Whether tokens are verified against another service's key set, so that a protected route can answer
   * 503 `auth_unavailable` while that service is away (true by default).
   */
  readonly remoteAuth?: boolean
  /** The service's `MAX_BODY_BYTES`: every operation then documents its 413 `payload_too_large`. */
  readonly maxBodyBytes?: number
}

const PROBLEM_JSON = "application/problem+json"
const PROBLEM_REF = "#/components/schemas/Problem"

/** The problem+json body every error has (RFC 9457, with the stable `code`). */
export const problemSchema: Json = {
  type: "object",
  description: "An RFC 9457 problem; `code` is stable and machine-readable.",
  required: ["type", "title", "status", "code"],
  properties: {
    type: { type: "string", format: "uri", description: "`urn:bookaticket:problem:<code>`" },
    title: { type: "string" },
    status: { type: "integer", minimum: 400, maximum: 599 },
    detail: { type: "string" },
    code: { type: "string", pattern: "^[a-z][a-z0-9_]*$" },
    errors: {
      type: "array",
      description: "Which fields were refused and why (never echoing their values).",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: { path: { type: "string" }, message: { type: "string" } },
      },
    },
  },
}

const statusDescriptions: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  400: "The request body is not JSON",
  401: "No token, or a token that is invalid or expired",
  403: "Not allowed for the caller's role",
  404: "No such resource (or not the caller's)",
  409: "Conflicts with the resource's state",
  413: "The request body is too large",
  422: "The request is invalid",
  429: "Too many requests, or a quota is used up: try again after `Retry-After` seconds",
  503: "Temporarily unavailable",
}

// ---------------------------------------------------------------------------------------------------
// JSON Schema helpers

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

/** The JSON Schema of a Standard Schema route option (`schema(X)`), on the wire side. */
const jsonSchemaOf = (standard: unknown, io: "input" | "output" = "input"): Json | undefined => {
  // A Standard Schema may be a function (an Effect schema is one).
  if ((typeof standard !== "object" && typeof standard !== "function") || standard === null) return undefined
  const std = (standard as { readonly "~standard"?: unknown })["~standard"]
  if (!isObject(std) || !isObject(std.jsonSchema)) return undefined
  const convert = std.jsonSchema[io]
  if (typeof convert !== "function") return undefined
  return convert({ target: "draft-2020-12" }) as Json
}

/**
 * A schema ready to sit in the document: no `$schema`, and its `$defs` moved to `components.schemas`
 * (a `#/$defs/X` inside the document would point at its root).
 */
const embed = (schema: Json, components: Record<string, unknown>): Json => {
  const { $schema: _, $defs, ...rest } = schema
  if (isObject($defs)) {
    for (const [name, def] of Object.entries($defs)) components[name] ??= rewriteRefs(def)
  }
  return rewriteRefs(rest) as Json
}

const rewriteRefs = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(rewriteRefs)
  if (!isObject(node)) return node
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/") ? `#/components/schemas/${v.slice(8)}` : rewriteRefs(v),
    ]),
  )
}

/** Effect writes an optional key as `anyOf: [X, {type: "null"}]`; a parameter is absent instead, never null. */
const withoutNull = (schema: Json): Json => {
  const anyOf = schema.anyOf
  if (!Array.isArray(anyOf)) return schema
  const rest = anyOf.filter((s) => !(isObject(s) && s.type === "null"))
  if (rest.length === anyOf.length) return schema
  const { anyOf: _, ...others } = schema
  return rest.length === 1 && isObject(rest[0]) ? { ...others, ...rest[0] } : { ...others, anyOf: rest }
}

/** A regular expression (no anchors) for the decimal integers from `min` to `max` (0 <= min <= max). */
export const rangeRegex = (min: number, max: number): string => {
  const nines = (k: number) => "9".repeat(k)
  const zeros = (k: number) => "0".repeat(k)
  const anyDigits = (k: number) => (k === 0 ? "" : k === 1 ? "[0-9]" : `[0-9]{${k}}`)
  const digit = (a: number, b: number) => (a === b ? String(a) : `[${a}-${b}]`)
  // lo and hi have the same number of digits (leading zeros allowed in the recursion).
  const between = (lo: string, hi: string): Array<string> => {
    const k = lo.length - 1
    const a = Number(lo[0])
    const b = Number(hi[0])
    if (k === 0) return [digit(a, b)]
    if (a === b) return between(lo.slice(1), hi.slice(1)).map((tail) => `${a}${tail}`)
    const out: Array<string> = []
    if (lo.slice(1) === zeros(k)) out.push(`${a}${anyDigits(k)}`)
    else out.push(...between(lo.slice(1), nines(k)).map((tail) => `${a}${tail}`))
    if (b - a > 1) out.push(`${digit(a + 1, b - 1)}${anyDigits(k)}`)
    if (hi.slice(1) === nines(k)) out.push(`${b}${anyDigits(k)}`)
    else out.push(...between(zeros(k), hi.slice(1)).map((tail) => `${b}${tail}`))
    return out
  }
  const parts: Array<string> = []
  for (let length = String(min).length; length <= String(max).length; length++) {
    const lo = Math.max(min, length === 1 ? 0 : 10 ** (length - 1))
    const hi = Math.min(max, 10 ** length - 1)
    if (lo <= hi) parts.push(...between(String(lo), String(hi)))
  }
  return parts.join("|")
}

/**
 * A query parameter that arrives as text and is decoded to an integer (such as `limit`): its text form
 * with the integer range folded into the pattern, so the document states exactly what is accepted.
 */
const textualInteger = (input: Json, output: Json): Json => {
  const min = typeof output.minimum === "number" ? output.minimum : undefined
  const max = typeof output.maximum === "number" ? output.maximum : undefined
  if (input.type !== "string" || output.type !== "integer" || min === undefined || max === undefined || min < 0) return input
  if (typeof input.pattern === "string" && patternKeepsWithin(input.pattern, min, max)) return input
  const range = `^0*(?:${rangeRegex(min, max)})$`
  const pattern = typeof input.pattern === "string" ? `(?=${input.pattern})${range}` : range
  return {
    ...input,
    pattern,
    description: (typeof input.description === "string" ? `${input.description} ` : "") + `A whole number from ${min} to ${max}.`,
  }
}

/** Whether a pattern already refuses the numbers around a range (then it states the range itself). */
const patternKeepsWithin = (pattern: string, min: number, max: number): boolean => {
  const re = new RegExp(pattern, "u")
  const outside = [max + 1, max + 10, 10 * max, ...(min > 0 ? [min - 1, 0] : [])]
  return outside.every((n) => !re.test(String(n)) && !re.test(`0${n}`))
}

interface Parameter {
  name: string
  in: "path" | "query" | "header"
  required: boolean
  description?: string
  schema: Json
}

const objectParameters = (standard: unknown, location: "path" | "query" | "header", components: Record<string, unknown>): Array<Parameter> => {
  const input = jsonSchemaOf(standard, "input")
  const output = jsonSchemaOf(standard, "output")
  if (input === undefined || !isObject(input.properties)) return []
  const required = Array.isArray(input.required) ? (input.required as Array<string>) : []
  const outputProperties = output !== undefined && isObject(output.properties) ? output.properties : {}
  return Object.entries(input.properties).map(([name, property]) => {
    const inSchema = withoutNull(embed(property as Json, components))
    const outSchema = isObject(outputProperties[name]) ? withoutNull(outputProperties[name] as Json) : {}
    const schema = textualInteger(inSchema, outSchema)
    const description = typeof schema.description === "string" ? schema.description : undefined
    return {
      name,
      in: location,
      required: location === "path" || required.includes(name),
      ...(description === undefined ? {} : { description }),
      schema,
    }
  })
}

// ---------------------------------------------------------------------------------------------------
// Operations

const toOpenApiPath = (path: string): string => {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
  return trimmed.replace(/:([^/]+)/g, (_, name: string) => `{${name.replace(/\?$/, "")}}`)
}

const operationIdOf = (method: string, path: string): string => {
  const words = path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => (s.startsWith("{") ? `by-${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter((s) => s !== "")
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("")
  return method.toLowerCase() + pascal
}

/** A response's `headers` member, when it names any (a string unless a schema says otherwise). */
const responseHeaders = (headers: ResponseHeadersDoc | undefined): Json =>
  headers === undefined
    ? {}
    : {
        headers: Object.fromEntries(
          Object.entries(headers).map(([name, h]) => [name, { description: h.description, schema: h.schema ?? { type: "string" } }]),
        ),
      }

const codesText = (codes: ReadonlyArray<string>) => `Codes: ${codes.map((c) => `\`${c}\``).join(", ")}.`

/** The properties of a `problemMembers` struct, embedded, none of them required (they belong to some codes only). */
const memberProperties = (members: Json | undefined, components: Record<string, unknown>): Json => {
  if (members === undefined) return {}
  const embedded = embed(members, components)
  return isObject(embedded.properties) ? embedded.properties : {}
}

const problemResponse = (status: number, codes: ReadonlyArray<string>, members: Json = {}, maxBodyBytes?: number): Json => ({
  description: `${statusDescriptions[status] ?? titleForStatus(status)}${status === 413 && maxBodyBytes !== undefined ? ` (more than ${maxBodyBytes} bytes, \`MAX_BODY_BYTES\`)` : ""}. ${codesText(codes)}`,
  ...(status === 401
    ? { headers: { "WWW-Authenticate": { description: "`Bearer`", schema: { type: "string", const: "Bearer" } } } }
    : {}),
  ...(status === 429
    ? { headers: { "Retry-After": { description: "Seconds to wait before trying again", required: true, schema: { type: "integer", minimum: 1 } } } }
    : {}),
  content: {
    [PROBLEM_JSON]: {
      schema: {
        allOf: [
          { $ref: PROBLEM_REF },
          { type: "object", properties: { ...members, status: { const: status }, code: { type: "string", enum: [...codes] } } },
        ],
      },
    },
  },
})

const add = (into: Map<number, Array<string>>, status: number, codes: ReadonlyArray<string>) => {
  const list = into.get(status) ?? []
  for (const code of codes) if (!list.includes(code)) list.push(code)
  into.set(status, list)
}

interface BuiltOperation {
  readonly path: string
  readonly method: string
  readonly operation: Json
  readonly tags: ReadonlyArray<string>
}

const buildOperation = (route: DocumentedRoute, opts: DocumentOptions, components: Record<string, unknown>): BuiltOperation => {
  const hooks = route.hooks ?? {}
  const detail = hooks.detail ?? {}
  const doc = detail[OPERATION_DOC_KEY] as OperationDocData | undefined
  const method = route.method.toLowerCase()
  const path = toOpenApiPath(route.path)

  // Parameters: path, query, then headers.
  const pathParameters = hooks.params
    ? objectParameters(hooks.params, "path", components)
    : [...path.matchAll(/\{([^}]+)\}/g)].map((m): Parameter => ({ name: m[1]!, in: "path", required: true, schema: { type: "string" } }))
  const queryParameters = hooks.query ? objectParameters(hooks.query, "query", components) : []
  const headerParameters = hooks.headers ? objectParameters(hooks.headers, "header", components) : []
  for (const header of doc?.requestHeaders ?? []) {
    if (headerParameters.some((p) => p.name.toLowerCase() === header.name.toLowerCase())) continue
    headerParameters.push({
      name: header.name,
      in: "header",
      required: header.required ?? false,
      description: header.description,
      schema: header.schema ?? { type: "string" },
    })
  }
  const parameters = [...pathParameters, ...queryParameters, ...headerParameters]

  const bodySchema = hooks.body && method !== "get" && method !== "head" ? jsonSchemaOf(hooks.body, "input") : undefined

  // Problems: the automatic ones, then the route's own.
  const auth = doc?.auth ?? (Array.isArray(detail.security) && detail.security.length > 0 ? "user" : "none")
  // Documented auth that no `auth` macro enforces (its instance never `use`d `authorize`) is refused outright.
  if (doc !== undefined && auth !== "none" && detail[ENFORCED_AUTH_KEY] !== auth) {
    throw new Error(`${method.toUpperCase()} ${route.path} documents auth "${auth}" but no auth macro enforces it (use authorize(auth))`)
  }
  const problems = new Map<number, Array<string>>()
  if (bodySchema !== undefined) {
    add(problems, 400, ["malformed_json"])
    add(problems, 422, ["invalid_input"])
  }
  if (queryParameters.length > 0 || headerParameters.some((p) => hooks.headers !== undefined && p.in === "header")) {
    add(problems, 422, ["invalid_input"])
  }
  if (queryParameters.some((p) => p.name === "cursor")) add(problems, 422, ["invalid_cursor"])
  // A parameter whose schema refuses some strings answers them 404 `not_found`; so does a path the router
  // cannot take apart at all (an undecodable `%` before a trailing slash), whatever the parameter.
  if (pathParameters.length > 0) add(problems, 404, ["not_found"])
  if (auth !== "none") {
    add(problems, 401, ["unauthorized", "invalid_token", "token_expired", "token_revoked"])
    if (opts.remoteAuth !== false) add(problems, 503, ["auth_unavailable"])
  }
  if (auth === "staff") add(problems, 403, ["forbidden"])
  // Every request is bounded, whatever its method: a larger body is refused before anything reads it.
  if (opts.maxBodyBytes !== undefined) add(problems, 413, ["payload_too_large"])
  for (const [status, codes] of Object.entries(doc?.problems ?? {}) as Array<[string, ReadonlyArray<string>]>) {
    add(problems, Number(status) as ProblemStatus, codes)
  }

  const responses: Record<string, Json> = {}
  if (doc !== undefined) {
    const ok = doc.ok
    responses[String(ok.status)] = {
      description: ok.description ?? statusDescriptions[ok.status] ?? "OK",
      ...responseHeaders(ok.headers),
      ...(ok.status === 204
        ? {}
        : {
            content: {
              [ok.contentType]: {
                schema:
                  ok.contentType === "text/event-stream"
                    ? { type: "string", description: "A stream of server-sent events." }
                    : ok.contentType === "image/svg+xml"
                      ? { type: "string", description: "An SVG image." }
                      : ok.jsonSchema === undefined
                      ? {}
                      : embed(ok.jsonSchema, components),
              },
            },
          }),
    }
    for (const [status, extra] of Object.entries(doc.responses ?? {})) {
      responses[status] = {
        description: extra.description,
        ...responseHeaders(extra.headers),
        ...(extra.jsonSchema === undefined
          ? {}
          : { content: { [extra.contentType ?? "application/json"]: { schema: embed(extra.jsonSchema, components) } } }),
      }
    }
  }
  for (const status of [...problems.keys()].sort((a, b) => a - b)) {
    if (responses[String(status)] !== undefined) continue
    const members = doc?.problemMembers?.[status as ProblemStatus]
    responses[String(status)] = problemResponse(status, problems.get(status)!, memberProperties(members, components), opts.maxBodyBytes)
  }

  const { [OPERATION_DOC_KEY]: _, hide: __, responses: ___, security: ____, ...rest } = detail
  const tags = Array.isArray(detail.tags) && detail.tags.length > 0 ? (detail.tags as Array<string>) : [opts.service]
  const operation: Json = {
    ...rest,
    operationId: typeof detail.operationId === "string" ? detail.operationId : operationIdOf(method, path),
    tags,
    security: auth === "none" ? [] : [{ bearer: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(bodySchema === undefined
      ? {}
      : { requestBody: { required: true, content: { "application/json": { schema: embed(bodySchema, components) } } } }),
    responses,
  }
  return { path, method, operation, tags }
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

const DOCUMENTED_METHODS = new Set(["get", "put", "post", "delete", "patch"])

/** The OpenAPI 3.1 document of a service's routes. */
export const buildOpenApiDocument = (routes: ReadonlyArray<DocumentedRoute>, opts: DocumentOptions): Json => {
  const components: Record<string, unknown> = { Problem: problemSchema }
  const paths: Record<string, Record<string, Json>> = {}
  const usedTags: Array<string> = []
  for (const route of routes) {
    const method = route.method.toLowerCase()
    if (!DOCUMENTED_METHODS.has(method) || route.hooks?.detail?.hide === true) continue
    const built = buildOperation(route, opts, components)
    ;(paths[built.path] ??= {})[built.method] ??= built.operation
    for (const tag of built.tags) if (!usedTags.includes(tag)) usedTags.push(tag)
  }
  const described = new Map((opts.tags ?? []).map((t) => [t.name, t.description]))
  return {
    openapi: "3.1.1",
    info: {
      title: `${capitalised(opts.service)} API — Book a Ticket`,
      version: opts.version ?? "1.0.0",
      description:
        opts.description ??
        `The ${opts.service} service of Book a Ticket, reached through the front door under \`${opts.prefix}\`. ` +
          "Errors are `application/problem+json` with a stable `code`.",
      license: { name: "UNLICENSED", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/", description: "The host serving this document: the front door (`bun run start`) or the service itself" }],
    tags: usedTags.map((name) => ({ name, description: described.get(name) ?? `Operations of the ${opts.service} service.` })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token from `POST /users/login` (EdDSA JWT; expires after `TOKEN_TTL_MINUTES`).",
        },
      },
    },
  }
}
