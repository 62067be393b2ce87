// RFC 9457 problem details: the one error type routes throw and the one place statuses are decided.

export interface FieldError {
  readonly path: string
  readonly message: string
}

export interface ProblemBody {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: string
  readonly errors?: ReadonlyArray<FieldError>
  /** Extension members (RFC 9457 §3.2) a code documents, e.g. `admittedAt` of `already_admitted`. */
  readonly [extension: string]: unknown
}

const statusTitles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
}

export const titleForStatus = (status: number): string => statusTitles[status] ?? "Error"

export class HttpProblem extends Error {
  override readonly name = "HttpProblem"
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: string
  readonly errors: ReadonlyArray<FieldError> | undefined
  /** Response headers the status calls for, such as a 405's `Allow`. */
  readonly headers: Readonly<Record<string, string>>
  /** Extension members (RFC 9457 §3.2) the body carries besides the standard ones; they never replace those. */
  readonly extensions: Readonly<Record<string, unknown>>

  constructor(opts: {
    status: number
    code: string
    title?: string
    detail?: string
    errors?: ReadonlyArray<FieldError>
    headers?: Readonly<Record<string, string>>
    extensions?: Readonly<Record<string, unknown>>
    cause?: unknown
  }) {
    const title = opts.title ?? titleForStatus(opts.status)
    const detail = opts.detail ?? title
    super(detail, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.status = opts.status
    this.code = opts.code
    this.title = title
    this.detail = detail
    this.errors = opts.errors
    this.headers = opts.headers ?? {}
    this.extensions = opts.extensions ?? {}
  }

  toJSON(): ProblemBody {
    return {
      ...this.extensions,
      // A URN: stable and unique per code, without pretending to be a page someone can open.
      type: `urn:bookaticket:problem:${this.code}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    }
  }

  toResponse(): Response {
    const headers: Record<string, string> = { ...this.headers, "content-type": "application/problem+json" }
    if (this.status === 401) headers["www-authenticate"] = "Bearer"
    return new Response(JSON.stringify(this.toJSON()), { status: this.status, headers })
  }
}

/** How one tagged error (by `_tag`) becomes a problem. */
export interface ProblemMapping<E = any> {
  readonly status: number
  readonly code: string
  readonly title?: string
  readonly detail?: (error: E) => string
  /** Extension members the problem body carries, taken from the error (e.g. the first `admittedAt`). */
  readonly extensions?: (error: E) => Readonly<Record<string, unknown>>
  /** Response headers the problem carries, taken from the error (e.g. a 429's `Retry-After`). */
  readonly headers?: (error: E) => Readonly<Record<string, string>>
}

export type ProblemTable = Readonly<Record<string, ProblemMapping>>

/**
 * A service's problem table against its error union: `{ ... } satisfies ProblemTableOf<CinemasError>` has exactly
 * one mapping per `_tag` of the union (a misspelt, missing or extra tag does not compile), and each mapping's
 * functions get that tag's error.
 */
export type ProblemTableOf<E extends { readonly _tag: string }> = {
  readonly [K in E["_tag"]]: ProblemMapping<Extract<E, { readonly _tag: K }>>
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

/** The problem for an expected failure, or undefined when the table does not know it. */
export const problemFromTable = (error: unknown, table: ProblemTable): HttpProblem | undefined => {
  if (error instanceof HttpProblem) return error
  const tag = tagOf(error)
  const mapping = tag === undefined || !Object.hasOwn(table, tag) ? undefined : table[tag]
  if (mapping === undefined) return undefined
  const message = error instanceof Error ? error.message : ""
  const title = mapping.title ?? titleForStatus(mapping.status)
  return new HttpProblem({
    status: mapping.status,
    code: mapping.code,
    title,
    detail: mapping.detail?.(error) ?? (message !== "" ? message : title),
    ...(mapping.extensions === undefined ? {} : { extensions: mapping.extensions(error) }),
    ...(mapping.headers === undefined ? {} : { headers: mapping.headers(error) }),
  })
}

export const internalError = (cause?: unknown): HttpProblem =>
  new HttpProblem({
    status: 500,
    code: "internal_error",
    detail: "The server failed to handle the request.",
    cause,
  })
