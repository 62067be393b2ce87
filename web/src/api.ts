// Calls to the APIs behind the front door (same origin). A 401 for an expired or bad token signs the
// person out and sends them to log in again, then back to where they were.
import { here, navigate } from "./router.ts"
import { session, signOut } from "./session.ts"
import { say } from "./status.ts"

export interface FieldError {
  readonly path: string
  readonly message: string
}

/** An RFC 9457 problem as the services send it. */
export interface Problem {
  readonly status: number
  readonly code: string
  readonly title?: string
  readonly detail?: string
  readonly errors?: readonly FieldError[]
  readonly [key: string]: unknown
}

export type Reply<T> = { readonly ok: true; readonly status: number; readonly body: T; readonly headers: Headers } | {
  readonly ok: false
  readonly status: number
  readonly problem: Problem
}

const offline: Problem = { status: 0, code: "network_error" }

export const authHeaders = (): Record<string, string> => {
  const token = session.value?.token
  return token ? { authorization: `Bearer ${token}` } : {}
}

/** Signs out and asks to log in again, coming back here afterwards. */
export const sessionEnded = (code: string): void => {
  signOut()
  say(
    code === "token_expired"
      ? "Your session has expired. Please log in again."
      : "Please log in to continue.",
  )
  const back = here()
  if (!back.startsWith("/sign-in")) navigate(`/sign-in?next=${encodeURIComponent(back)}`)
}

export const call = async <T>(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; auth?: boolean; signal?: AbortSignal } = {},
): Promise<Reply<T>> => {
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: "application/json",
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(options.auth === false ? {} : authHeaders()),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch {
    return { ok: false, status: 0, problem: offline }
  }
  const text = await res.text().catch(() => "")
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (res.ok || res.status === 304) return { ok: true, status: res.status, body: parsed as T, headers: res.headers }
  const problem: Problem =
    parsed && typeof parsed === "object" && typeof (parsed as Problem).code === "string"
      ? { ...(parsed as Problem), status: res.status }
      : { status: res.status, code: `http_${res.status}` }
  if (res.status === 401 && options.auth !== false && session.value !== null) sessionEnded(problem.code)
  return { ok: false, status: res.status, problem }
}

export const get = <T>(path: string, signal?: AbortSignal) => call<T>("GET", path, signal ? { signal } : {})
export const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  call<T>("POST", path, { body, ...(headers ? { headers } : {}) })

/** A key for one attempt (book, pay): should the same request arrive twice, the service acts once. */
export const idempotencyKey = (): string => crypto.randomUUID()
