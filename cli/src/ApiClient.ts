// HTTP client for the front door: JSON in and out, problem+json turned into CliErrors a person understands.
import { CliError, ExitCode, problemError, usageError, type Problem } from "./errors.ts"
import { tokenExpiry } from "./config.ts"

export const DEFAULT_API = "http://localhost:3000"

export type AuthMode = "required" | "optional" | "none"

export interface RequestOptions {
  readonly body?: unknown
  readonly query?: Readonly<Record<string, string | number | undefined>>
  /** "required" (default): fail with "not logged in" when there is no token. */
  readonly auth?: AuthMode
  readonly headers?: Readonly<Record<string, string>>
  readonly signal?: AbortSignal
}

/** Validates `--api` (or the setting it came from, `setting`): an http(s) URL without a trailing slash. */
export const normaliseApi = (raw: string, setting = "--api"): string => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw usageError(`${setting} must be a URL such as ${DEFAULT_API}, not "${raw}"`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`${setting} must be an http:// or https:// URL, not "${raw}"`)
  }
  return url.href.replace(/\/+$/, "")
}

export const notLoggedIn = (): CliError =>
  new CliError("not logged in — run `bookaticket login`", ExitCode.auth, "not_logged_in")
export const tokenExpired = (): CliError =>
  new CliError("token expired — run `bookaticket login` again", ExitCode.auth, "token_expired")

const isProblem = (value: unknown): value is Problem =>
  typeof value === "object" && value !== null && typeof (value as Problem).status === "number"

export class ApiClient {
  constructor(
    readonly base: string,
    private readonly token: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get loggedIn(): boolean {
    return this.token !== undefined
  }

  /** The bearer header, or a CliError when a token is required but missing or already expired. */
  private authHeader(mode: AuthMode): Record<string, string> {
    if (mode === "none") return {}
    if (this.token === undefined) {
      if (mode === "required") throw notLoggedIn()
      return {}
    }
    const exp = tokenExpiry(this.token)
    if (exp !== undefined && exp * 1000 <= this.now()) {
      if (mode === "required") throw tokenExpired()
      return {}
    }
    return { authorization: `Bearer ${this.token}` }
  }

  url(path: string, query?: RequestOptions["query"]): string {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value))
    const search = params.size > 0 ? `?${params}` : ""
    return `${this.base}${path}${search}`
  }

  unreachable(cause?: unknown): CliError {
    const error = new CliError(
      `cannot reach ${this.base} — is the system running? start it with \`bun run start\``,
      ExitCode.unreachable,
      "unreachable",
    )
    error.cause = cause
    return error
  }

  /** Sends a request and returns the decoded JSON body (undefined for 204). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options)
    if (response.status === 204) return undefined as T
    const text = await response.text()
    if (text === "") return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new CliError(`${method} ${path} answered with something that is not JSON`, ExitCode.apiFailure, "bad_response")
    }
  }

  /** Sends a request and returns the raw response once it is known to be a success. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...this.authHeader(options.auth ?? "required") }
    if (options.body !== undefined) headers["content-type"] = "application/json"
    Object.assign(headers, options.headers)
    let response: Response
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.signal ? { signal: options.signal } : {}),
      })
    } catch (cause) {
      if (options.signal?.aborted) throw cause
      throw this.unreachable(cause)
    }
    if (response.ok) return response
    throw await this.failure(response)
  }

  private async failure(response: Response): Promise<CliError> {
    const text = await response.text().catch(() => "")
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    const problem: Problem = isProblem(body)
      ? body
      : { status: response.status, detail: `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}` }
    if (problem.code === "service_unavailable" || response.status === 502 || response.status === 504) {
      return new CliError(
        `${problem.detail ?? "a service does not answer"} (is the system fully started? \`bun run start\`)`,
        ExitCode.unreachable,
        problem.code ?? "service_unavailable",
        response.status,
      )
    }
    return problemError(problem)
  }
}
