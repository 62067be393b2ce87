// Checks HTTP responses against the OpenAPI document of the service that sent them: the status must be one
// the operation documents, the content type one documented for that status, and a JSON body must match
// its schema. A service names its document in every response (`Link: <…/openapi/json>; rel="service-desc"`),
// so responses from anything else (the front door's own answers, fakes, the broker's API) are left alone.
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js"
import addFormats from "ajv-formats"

type Json = Record<string, unknown>

/** One response a client received. */
export interface ObservedResponse {
  readonly method: string
  /** The URL requested (absolute). */
  readonly url: string
  readonly status: number
  readonly headers: Headers
  /** The body as text; undefined when not read (an event stream, or a HEAD). */
  readonly body: string | undefined
}

/** A response the document does not allow. */
export interface ContractViolation {
  /** `GET /tickets/bookings/{bookingId}` */
  readonly operation: string
  readonly operationId: string | undefined
  readonly url: string
  readonly status: number
  readonly contentType: string | null
  readonly problem: string
  /** The first schema errors, as `<instance path> <message>`. */
  readonly errors: ReadonlyArray<string>
  /** The body's first characters, to see what was sent. */
  readonly excerpt: string
}

export interface ContractCheckResult {
  readonly checked: number
  readonly skipped: number
  readonly violations: ReadonlyArray<ContractViolation>
}

interface Operation {
  readonly template: string
  readonly method: string
  readonly op: Json
}

interface LoadedDocument {
  readonly doc: Json
  readonly match: (method: string, pathname: string) => Operation | undefined
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

/** The target of a `rel="service-desc"` link, resolved against the response's URL. */
export const serviceDescriptionUrl = (headers: Headers, responseUrl: string): string | undefined => {
  const link = headers.get("link")
  if (link === null) return undefined
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (m === null) continue
    if (!/;\s*rel="?(?:[^";]*\s)?service-desc(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]!)) continue
    try {
      return new URL(m[1]!, responseUrl).href
    } catch {
      return undefined
    }
  }
  return undefined
}

const mediaTypeOf = (contentType: string | null): string | undefined =>
  contentType === null ? undefined : contentType.split(";")[0]!.trim().toLowerCase()

const isJsonMediaType = (mediaType: string) => mediaType === "application/json" || mediaType.endsWith("+json")

// Specific templates first: `/tickets/book` before `/tickets/{id}`.
const compileTemplates = (doc: Json) => {
  const paths = isObject(doc.paths) ? doc.paths : {}
  const compiled = Object.entries(paths).map(([template, item]) => {
    const segments = template.split("/")
    const pattern = new RegExp(
      "^" +
        segments
          .map((s) => (/^\{[^}]+\}$/.test(s) ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("/") +
        "$",
    )
    return { template, item: item as Json, pattern, params: segments.filter((s) => s.startsWith("{")).length }
  })
  compiled.sort((a, b) => a.params - b.params)
  return (method: string, pathname: string): Operation | undefined => {
    const path = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname
    const wanted = method.toLowerCase() === "head" ? "get" : method.toLowerCase()
    for (const { template, item, pattern } of compiled) {
      if (!pattern.test(path)) continue
      const op = item[wanted]
      // A path the document knows under other methods: a 405 for the service, no operation here.
      return isObject(op) ? { template, method: wanted, op } : undefined
    }
    return undefined
  }
}

const describeErrors = (errors: ReadonlyArray<ErrorObject> | null | undefined): Array<string> =>
  (errors ?? [])
    .filter((e) => e.keyword !== "allOf" && e.keyword !== "anyOf" && e.keyword !== "if")
    .slice(0, 5)
    .map((e) => `${e.instancePath === "" ? "(body)" : e.instancePath} ${e.message ?? e.keyword}${e.keyword === "enum" ? ` ${JSON.stringify(e.params.allowedValues)}` : ""}${e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : ""}`)

/** `#/components/schemas/X` → `#/$defs/X`, so a response schema compiles on its own with the components beside it. */
const localRefs = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(localRefs)
  if (!isObject(node)) return node
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/") ? `#/$defs/${v.slice(21)}` : localRefs(v),
    ]),
  )
}

const BODY_WAIT_MS = 15_000

const readWithin = (res: Response, ms: number): Promise<string | undefined> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(undefined)
      res.body?.cancel().catch(() => {})
    }, ms)
    timer.unref?.()
    res.text().then(
      (text) => (clearTimeout(timer), resolve(text)),
      () => (clearTimeout(timer), resolve(undefined)),
    )
  })

export interface ContractCheckerOptions {
  /** How documents are fetched; the unpatched `fetch`, so fetching one is never itself checked. */
  readonly fetch: typeof fetch
}

/**
 * Collects responses and checks them against their services' documents. `observe` returns at once;
 * `settle` checks everything observed so far and hands back what was found since the last call.
 */
export const makeContractChecker = (opts: ContractCheckerOptions) => {
  const documents = new Map<string, Promise<LoadedDocument | undefined>>()
  const validators = new WeakMap<Json, Map<string, ValidateFunction>>()
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)

  const load = (docUrl: string): Promise<LoadedDocument | undefined> => {
    let loaded = documents.get(docUrl)
    if (loaded === undefined) {
      loaded = (async () => {
        try {
          const res = await opts.fetch(docUrl, { signal: AbortSignal.timeout(10_000) })
          if (res.status !== 200 || !(mediaTypeOf(res.headers.get("content-type")) ?? "").includes("json")) {
            await res.body?.cancel()
            return undefined
          }
          const doc = (await res.json()) as Json
          if (typeof doc.openapi !== "string" || !isObject(doc.paths)) return undefined
          return { doc, match: compileTemplates(doc) }
        } catch {
          return undefined
        }
      })()
      documents.set(docUrl, loaded)
      // A document that could not be had (the service was away) is asked for again next time.
      void loaded.then((d) => {
        if (d === undefined) documents.delete(docUrl)
      })
    }
    return loaded
  }

  const validatorFor = (doc: Json, key: string, schema: unknown): ValidateFunction => {
    let byKey = validators.get(doc)
    if (byKey === undefined) validators.set(doc, (byKey = new Map()))
    let validate = byKey.get(key)
    if (validate === undefined) {
      const components = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {}
      validate = ajv.compile({ ...(localRefs(schema) as Json), $defs: localRefs(components) as Json })
      byKey.set(key, validate)
    }
    return validate
  }

  type Outcome = { readonly kind: "skipped" } | { readonly kind: "checked"; readonly violation?: ContractViolation }

  const check = async (r: ObservedResponse): Promise<Outcome> => {
    const docUrl = serviceDescriptionUrl(r.headers, r.url)
    if (docUrl === undefined) return { kind: "skipped" }
    const url = new URL(r.url)
    if (/\/openapi(?:\/|$)/.test(url.pathname)) return { kind: "skipped" }
    const loaded = await load(docUrl)
    if (loaded === undefined) return { kind: "skipped" }
    const found = loaded.match(r.method, url.pathname)
    if (found === undefined) return { kind: "skipped" } // an unknown route or a wrong method: no operation
    const contentType = r.headers.get("content-type")
    const base = {
      operation: `${found.method.toUpperCase()} ${found.template}`,
      operationId: typeof found.op.operationId === "string" ? found.op.operationId : undefined,
      url: r.url,
      status: r.status,
      contentType,
      excerpt: (r.body ?? "").slice(0, 300),
    }
    const fail = (problem: string, errors: ReadonlyArray<string> = []): Outcome => ({
      kind: "checked",
      violation: { ...base, problem, errors },
    })
    const responses = isObject(found.op.responses) ? found.op.responses : {}
    const documented =
      responses[String(r.status)] ?? responses[`${String(r.status)[0]}XX`] ?? responses.default
    if (!isObject(documented)) {
      return fail(`status ${r.status} is not documented (documented: ${Object.keys(responses).join(", ")})`)
    }
    const content = isObject(documented.content) ? documented.content : undefined
    const mediaType = mediaTypeOf(contentType)
    const bodyless = r.method.toUpperCase() === "HEAD"
    if (content === undefined) {
      if (!bodyless && r.body !== undefined && r.body !== "") return fail(`status ${r.status} is documented without a body, but one was sent`)
      return { kind: "checked" }
    }
    if (mediaType === undefined || !isObject(content[mediaType])) {
      return fail(`content type ${contentType ?? "(none)"} is not documented for ${r.status} (documented: ${Object.keys(content).join(", ")})`)
    }
    if (bodyless || r.body === undefined || !isJsonMediaType(mediaType)) return { kind: "checked" }
    let body: unknown
    try {
      body = JSON.parse(r.body)
    } catch {
      return fail("the body is not JSON")
    }
    const media = content[mediaType] as Json
    if (media.schema === undefined) return { kind: "checked" }
    const validate = validatorFor(loaded.doc, `${found.method} ${found.template} ${r.status} ${mediaType}`, media.schema)
    if (!validate(body)) return fail("the body does not match the documented schema", describeErrors(validate.errors))
    return { kind: "checked" }
  }

  let pending: Array<Promise<Outcome>> = []
  let checked = 0
  let skipped = 0

  return {
    /**
     * Records a response to check; the body is read from a copy, so the caller still has it. Resolves once
     * the service's document is at hand (fetched at first contact, while the service surely runs).
     */
    observe: (method: string, url: string, res: Response): Promise<void> => {
      // A service's responses only (they carry the link); the documents themselves and the UI are not operations.
      const docUrl = serviceDescriptionUrl(res.headers, url)
      if (docUrl === undefined || /\/openapi(?:\/|$)/.test(new URL(url).pathname)) return Promise.resolve()
      const mediaType = mediaTypeOf(res.headers.get("content-type"))
      // An event stream's body never ends, so only its head is checked.
      const unread = mediaType === "text/event-stream" || method.toUpperCase() === "HEAD" || res.body === null
      // A body still unfinished after a while (a long stream) is left unread: its head is checked.
      const body: Promise<string | undefined> = unread
        ? Promise.resolve(undefined)
        : readWithin(res.clone(), BODY_WAIT_MS)
      const headers = new Headers(res.headers)
      const documentReady = load(docUrl)
      pending.push(Promise.all([body, documentReady]).then(([text]) => check({ method, url, status: res.status, headers, body: text })))
      return documentReady.then(() => undefined)
    },
    /** Checks everything observed so far; what was found since the last call. */
    settle: async (): Promise<ContractCheckResult> => {
      const batch = pending
      pending = []
      const outcomes = await Promise.all(batch)
      const violations = outcomes.flatMap((o) => (o.kind === "checked" && o.violation !== undefined ? [o.violation] : []))
      const batchChecked = outcomes.filter((o) => o.kind === "checked").length
      checked += batchChecked
      skipped += outcomes.length - batchChecked
      return { checked: batchChecked, skipped: outcomes.length - batchChecked, violations }
    },
    totals: () => ({ checked, skipped }),
  }
}

export type ContractChecker = ReturnType<typeof makeContractChecker>

/** Where the preload keeps the `fetch` it replaced. */
export const UNCHECKED_FETCH: unique symbol = Symbol.for("bookaticket.contractCheck.uncheckedFetch")

/** `fetch` without the contract check: for tests that send what the document forbids on purpose. */
export const uncheckedFetch: typeof fetch = ((input: string | URL | Request, init?: RequestInit) =>
  (((globalThis as Record<symbol, unknown>)[UNCHECKED_FETCH] as typeof fetch | undefined) ?? fetch)(input, init)) as typeof fetch

/** A violation as one readable block. */
export const formatViolation = (v: ContractViolation): string =>
  [
    `${v.operation}${v.operationId === undefined ? "" : ` (${v.operationId})`} answered ${v.status} ${v.contentType ?? ""}: ${v.problem}`,
    `  ${v.url}`,
    ...v.errors.map((e) => `  - ${e}`),
    ...(v.excerpt === "" ? [] : [`  body: ${v.excerpt}`]),
  ].join("\n")
