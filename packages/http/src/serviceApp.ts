// The Elysia app every service starts from: problem+json errors, health, readiness, OpenAPI.
import { jsonLog } from "@bat/messaging"
import { startSpan, tracingEnabled, withTraceparent, type Span } from "@bat/telemetry"
import { Elysia, ElysiaCustomStatusResponse, ValidationError } from "elysia"
import { Schema } from "effect"
import type { Registry } from "prom-client"
import { makeAllowedMethods } from "./allowedMethods.ts"
import { HttpProblem, internalError, problemFromTable, type FieldError, type ProblemTable } from "./HttpProblem.ts"
import { METRICS_CONTENT_TYPE, metricsText, observeRequest } from "./metrics.ts"
import { operation } from "./openapiDoc.ts"
import { buildOpenApiDocument, type DocumentedRoute, type DocumentTag } from "./openapiDocument.ts"
import { openapiAsset, openapiPage } from "./openapiUi.ts"
import { UnexpectedFailure } from "./runner.ts"
import { LOOPBACK, parseAddressList, type AddressList } from "./clientAddress.ts"
import { bufferUndeclaredBody, checkDeclaredLength, DEFAULT_MAX_BODY_BYTES, withSecurityHeaders } from "./hardening.ts"

export interface Readiness {
  readonly ok: boolean
  /** When not ok: `degraded` (serving, answered 200, but something needs an operator) or `not_ready` (503, the default). */
  readonly status?: "degraded" | "not_ready"
  readonly checks: Record<string, unknown>
}

export interface LogEntry {
  readonly level: "error"
  readonly service: string
  readonly message: string
  readonly method: string
  readonly path: string
  readonly error: string
}

export interface ServiceAppOptions {
  readonly service: string
  readonly version?: string
  /** The path prefix the front door routes to the service, e.g. `/users`. */
  readonly prefix?: string
  /** Where the OpenAPI UI is served (its JSON at `<openapiPath>/json`), `<prefix>/openapi` by default. */
  readonly openapiPath?: string
  /** The OpenAPI document's description of the service, and of the tags its routes use. */
  readonly description?: string
  readonly tags?: ReadonlyArray<DocumentTag>
  /** Whether tokens are verified with another service's keys (a protected route may then answer 503). */
  readonly remoteAuth?: boolean
  readonly readiness: () => Promise<Readiness>
  /** Tagged errors thrown straight out of handlers, by `_tag`. */
  readonly problems?: ProblemTable
  /** Where unexpected errors are reported; one JSON line on stderr by default. */
  readonly log?: (entry: LogEntry) => void
  /** The service's own gauges (outbox, DLQ), served at `/metrics` after the process's metrics. */
  readonly metrics?: ReadonlyArray<Registry>
  /** Larger request bodies are 413 `payload_too_large` before they are read or anyone is authenticated (64 KiB by default). */
  readonly maxBodyBytes?: number
  /** The TCP peers `/metrics` answers (loopback by default); anyone else gets 404. */
  readonly metricsAllow?: AddressList
}

/** The same JSON line every process writes (level, time, service, msg, fields). */
const logToStderr = (entry: LogEntry) =>
  jsonLog(entry.service, entry.level, entry.message, { method: entry.method, path: entry.path, error: entry.error })

const statusCodes: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  422: "invalid_input",
}

const valueAt = (root: unknown, path: string): unknown =>
  path === "" || path === "root"
    ? root
    : path.split(".").reduce<unknown>((node, key) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined), root)

// Only the path and message of each issue: Elysia's issues also carry the input (`value`),
// which may hold a password or a card number. A message that quotes the input is replaced too.
const fieldErrors = (error: ValidationError): FieldError[] =>
  error.all.map((issue) => {
    const path = "path" in issue && typeof issue.path === "string" ? issue.path.replace(/^\//, "").replaceAll("/", ".") : ""
    const message = typeof issue.message === "string" ? issue.message : "Invalid value"
    const input = valueAt(error.value, path)
    const quotesInput = (typeof input === "string" || typeof input === "number") && String(input).length >= 3 && message.includes(String(input))
    return { path, message: quotesInput ? "Invalid value" : message }
  })

/**
 * What a request no route answers gets: 405 with `Allow` when the path is known under other methods,
 * else 404. `allowed` lists the methods the app answers at a path.
 */
const noRoute = (request: Request, allowed: (pathname: string) => ReadonlyArray<string>): HttpProblem => {
  const methods = allowed(new URL(request.url).pathname)
  if (methods.length === 0 || methods.includes(request.method.toUpperCase())) {
    return new HttpProblem({ status: 404, code: "not_found", detail: "No such resource." })
  }
  return new HttpProblem({
    status: 405,
    code: "method_not_allowed",
    detail: `${request.method.toUpperCase()} is not allowed here; allowed: ${methods.join(", ")}.`,
    headers: { allow: methods.join(", ") },
  })
}

/** The problem for an error, or undefined when it is unexpected (a 500 to log). */
const knownProblem = (
  code: unknown,
  error: unknown,
  problems: ProblemTable,
  request: Request,
  allowed: (pathname: string) => ReadonlyArray<string>,
): HttpProblem | undefined => {
  if (error instanceof HttpProblem) return error
  if (error instanceof ValidationError) {
    if (error.type === "response") return undefined // our own output is wrong: a bug, not bad input
    // A path whose parameter does not fit names no resource: 404 like an unknown id, never 422 (DESIGN §5).
    // Routes take ids as any string so that the use case answers with the entity's own code; this is
    // the answer for a route that does constrain its parameters.
    if (error.type === "params") return new HttpProblem({ status: 404, code: "not_found", detail: "No such resource." })
    return new HttpProblem({
      status: 422,
      code: "invalid_input",
      detail: `The request ${error.type} is invalid.`,
      errors: fieldErrors(error),
    })
  }
  switch (code) {
    case "PARSE":
      return new HttpProblem({ status: 400, code: "malformed_json", detail: "The request body could not be parsed." })
    case "NOT_FOUND":
      return noRoute(request, allowed)
    case "INVALID_COOKIE_SIGNATURE":
      return new HttpProblem({ status: 400, code: "bad_request" })
    case "INVALID_FILE_TYPE":
      return new HttpProblem({ status: 422, code: "invalid_input", detail: "The uploaded file type is not accepted." })
  }
  if (error instanceof ElysiaCustomStatusResponse && typeof error.code === "number" && error.code >= 400 && error.code < 500) {
    return new HttpProblem({ status: error.code, code: statusCodes[error.code] ?? "bad_request" })
  }
  return problemFromTable(error, problems)
}

const describe = (error: unknown): string =>
  error instanceof ValidationError
    ? `invalid ${error.type}: ${JSON.stringify(fieldErrors(error))}` // its message holds the data
    : error instanceof UnexpectedFailure
    ? error.pretty()
    : error instanceof Error
      ? (error.stack ?? `${error.name}: ${error.message}`)
      : String(error)

const Health = Schema.Struct({ status: Schema.Literal("ok"), service: Schema.String })
const Checks = Schema.Record(Schema.String, Schema.Unknown)
const Ready = Schema.Struct({ status: Schema.Literals(["ready", "degraded"]), checks: Checks })
const NotReady = Schema.Struct({ status: Schema.Literal("not_ready"), checks: Checks })

const OPERATIONS_TAG: DocumentTag = {
  name: "operations",
  description: "Liveness, readiness, metrics and the operator's dead-letter queue.",
}

export const makeServiceApp = (opts: ServiceAppOptions) => {
  const problems = opts.problems ?? {}
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const metricsAllow = opts.metricsAllow ?? parseAddressList(LOOPBACK)
  const log = opts.log ?? logToStderr
  const readinessCheck = async (): Promise<Readiness> => {
    try {
      return await opts.readiness()
    } catch (error) {
      return { ok: false, status: "not_ready", checks: { readiness: error instanceof Error ? error.message : String(error) } }
    }
  }

  const app = new Elysia()
  // Read when a request finds no route, so routes `use`d into the app later count too.
  const allowed = makeAllowedMethods(() => app.routes)

  const prefix = opts.prefix ?? (opts.openapiPath === undefined ? "" : opts.openapiPath.replace(/\/openapi$/, ""))
  const openapiPath = opts.openapiPath ?? `${prefix}/openapi`
  const serviceDesc = `<${openapiPath}/json>; rel="service-desc"`
  const title = `${opts.service.charAt(0).toUpperCase()}${opts.service.slice(1)} API — Book a Ticket`
  // Built on first request, when every route has been added; again only if routes are added later.
  let cached: { readonly routes: number; readonly doc: Record<string, unknown> } | undefined
  const document = () => {
    if (cached?.routes !== app.routes.length) {
      const doc = buildOpenApiDocument(app.routes as unknown as ReadonlyArray<DocumentedRoute>, {
        service: opts.service,
        prefix,
        ...(opts.version === undefined ? {} : { version: opts.version }),
        ...(opts.description === undefined ? {} : { description: opts.description }),
        tags: [OPERATIONS_TAG, ...(opts.tags ?? [])],
        ...(opts.remoteAuth === undefined ? {} : { remoteAuth: opts.remoteAuth }),
        maxBodyBytes,
      })
      cached = { routes: app.routes.length, doc }
    }
    return cached.doc
  }

  // When each request began, for its duration; keyed by the request so nothing outlives it.
  const started = new WeakMap<Request, number>()
  const errorStatus = new WeakMap<Request, number>()
  // With tracing on, every request runs in a server span (a child of its `traceparent`, or a new trace)
  // that is current for everything the request does; it is named after the route once that is known.
  const spans = new WeakMap<Request, Span>()
  if (tracingEnabled()) {
    app.wrap(
      (fetch: (...args: Array<any>) => unknown) =>
        (request: Request, ...rest: Array<unknown>) => {
          const span = startSpan(request.method, {
            parent: request.headers.get("traceparent") ?? undefined,
            kind: "server",
            attributes: { "http.request.method": request.method, "url.path": new URL(request.url).pathname, "bookaticket.service": opts.service },
          })
          if (span === undefined) return fetch(request, ...rest)
          spans.set(request, span)
          return withTraceparent(span.traceparent, () => fetch(request, ...rest))
        },
    )
  }

  return (
    app
      // First, so that it covers every route registered after it (routes before it are not covered).
      .onError({ as: "global" }, ({ code, error, request }) => {
        const problem = knownProblem(code, error, problems, request, allowed)
        if (problem === undefined || problem.status >= 500) {
          // Never the body or query: they may hold passwords or card numbers.
          log({
            level: "error",
            service: opts.service,
            message: problem === undefined ? "unexpected error while handling a request" : problem.detail,
            method: request.method,
            path: new URL(request.url).pathname,
            error: describe(problem?.cause ?? error),
          })
        }
        const answer = problem ?? internalError()
        // An unknown route's answer does not pass through `set`: remember its status for the duration metric.
        errorStatus.set(request, answer.status)
        return answer.toResponse()
      })
      // RFC 8631: every answer names the document that describes it (tools, and the suite's contract check,
      // find the description of any response this way, directly or through the front door).
      .onRequest(({ set, request }) => {
        started.set(request, performance.now())
        set.headers["link"] = serviceDesc
        // Defaults: a route's own value (its Cache-Control, the OpenAPI page's policy) wins.
        withSecurityHeaders(set.headers as Record<string, string>)
        // Before routing, parsing and authentication: a body declared too large is never read.
        checkDeclaredLength(request, maxBodyBytes)
      })
      // A body without a declared length (chunked) is read within the limit before anything parses it.
      .onRequest(async ({ request }) => bufferUndeclaredBody(request, maxBodyBytes))
      // After the answer went out, errors and unknown routes included: its duration by route template.
      .onAfterResponse({ as: "global" }, ({ request, route, set }) => {
        const began = started.get(request)
        if (began === undefined) return
        const status = errorStatus.get(request) ?? (typeof set.status === "number" ? set.status : 200)
        observeRequest(route, request.method, status, (performance.now() - began) / 1000)
        const span = spans.get(request)
        if (span !== undefined) {
          span.setName(`${request.method} ${route || "unmatched"}`)
          span.setAttributes({ "http.route": route || "unmatched", "http.response.status_code": status })
          if (status >= 500) span.fail(`HTTP ${status}`)
          span.end()
        }
      })
      .get(openapiPath, () => openapiPage(openapiPath, `${title} (OpenAPI)`), { detail: { hide: true } })
      .get(`${openapiPath}/json`, () => document(), { detail: { hide: true } })
      .get(
        `${openapiPath}/assets/:name`,
        ({ params }) => {
          const asset = openapiAsset(params.name)
          if (asset === undefined) throw new HttpProblem({ status: 404, code: "not_found", detail: "No such resource." })
          return asset
        },
        { detail: { hide: true } },
      )
      .get("/health", () => ({ status: "ok" as const, service: opts.service }), {
        ...operation({
          summary: "Liveness: the process answers",
          description: "Asked of the service itself: through the front door, `/health` is the front door's own.",
          tags: ["operations"],
          auth: "none",
          ok: { status: 200, schema: Health },
        }),
      })
      .get(
        "/metrics",
        async ({ set, request, server }) => {
          // The TCP peer, never a forwarded address: only the scrapers on METRICS_ALLOW see the metrics. A request
          // handed to the app in-process (no server: tests) has no peer and is the process's own.
          if (server != null && !metricsAllow.has(server.requestIP(request)?.address)) {
            throw new HttpProblem({ status: 404, code: "not_found", detail: "No such resource." })
          }
          set.headers["content-type"] = METRICS_CONTENT_TYPE
          return metricsText(opts.metrics)
        },
        {
          ...operation({
            summary: "Metrics in the Prometheus text format",
            description:
              "Request durations, messages consumed, outbox backlog and age, dead-letter depth and the service's " +
              "domain counters (docs/OPERATIONS.md lists them). Asked of the service itself: through the front door, " +
              "`/metrics` is the front door's own. Only peers on `METRICS_ALLOW` (loopback by default) get an answer; " +
              "anyone else gets 404.",
            tags: ["operations"],
            auth: "none",
            ok: { status: 200 },
            problems: { 404: ["not_found"] },
            responses: {
              200: { description: "The metrics, in the Prometheus text exposition format 0.0.4", schema: Schema.String, contentType: "text/plain" },
            },
          }),
        },
      )
      .get(
        "/ready",
        async ({ set }) => {
          const readiness = await readinessCheck()
          if (readiness.ok) return { status: "ready" as const, checks: readiness.checks }
          // Degraded (e.g. parked messages) still serves traffic, so load balancers and the launcher
          // keep it in; the body says an operator is needed.
          if (readiness.status === "degraded") return { status: "degraded" as const, checks: readiness.checks }
          set.status = 503
          return { status: readiness.status ?? ("not_ready" as const), checks: readiness.checks }
        },
        {
          ...operation({
            summary: "Readiness: database, broker, consumers",
            description:
              "200 while the service can do its work (`degraded` when it serves but an operator is needed, e.g. parked " +
              "messages); 503 `not_ready` otherwise. `checks` says which part is not. Asked of the service itself: " +
              "through the front door, `/ready` is the front door's own.",
            tags: ["operations"],
            auth: "none",
            ok: { status: 200, schema: Ready },
            responses: { 503: { description: "Not ready: a check failed", schema: NotReady } },
          }),
        },
      )
  )
}
