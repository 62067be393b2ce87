// Server-Sent Events, once for every live stream (the seat map, the notifications): where a client resumes
// (Last-Event-ID), the heartbeat comment, and one open stream's life (wake-ups, close, the client gauge).
import { streamClientConnected } from "./metrics.ts"

/** What a stream's request says about where to resume. */
export type LastEventId =
  | { readonly kind: "none" }
  | { readonly kind: "id"; readonly id: number }
  | { readonly kind: "malformed"; readonly raw: string }

const NONE: LastEventId = { kind: "none" }

/**
 * The `Last-Event-ID` header first (a reconnecting EventSource sends it, while its URL still holds the first
 * value), else `?lastEventId=`; surrounding whitespace is ignored and an empty value counts as absent. An id is
 * a non-negative integer of at most 15 digits (a version, a sequence).
 */
export const lastEventIdOf = (header: string | undefined, query: string | number | undefined): LastEventId => {
  const raw = header?.trim() || (query === undefined ? "" : String(query).trim())
  if (raw === "") return NONE
  return /^\d{1,15}$/.test(raw) ? { kind: "id", id: Number(raw) } : { kind: "malformed", raw }
}

/** A comment line (EventSource ignores it): the opening line and the heartbeat; `retryMs` sets the reconnect delay. */
export const sseComment = (text: string, retryMs?: number): string =>
  `${retryMs === undefined ? "" : `retry: ${retryMs}\n`}: ${text}\n\n`

/** One event: `id:`, `event:` and its data as JSON on one line. */
export const sseEvent = (id: number | string, event: string, data: unknown): string =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** The headers of an event stream: never kept (`no-cache`, not the `no-store` of answers), never buffered by a proxy. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no"
} as const

/**
 * One open stream, from its subscription to its end: counted in `bookaticket_stream_clients{stream}` while open,
 * woken by `wake` (a wake-up that comes while nobody waits is kept), and closed once — by the client going away
 * (`signal`), by `close` (a revocation, a client that fell behind) — which runs the cleanups registered with
 * `onClose` (unsubscribes, limiter releases) in reverse order and releases a waiting `wait`.
 */
export class SseClient {
  private woken = false
  private release: (() => void) | undefined
  private ended = false
  private readonly cleanups: Array<() => void> = []

  constructor(
    stream: string,
    private readonly signal: AbortSignal
  ) {
    this.cleanups.push(streamClientConnected(stream))
    if (signal.aborted) this.close()
    else signal.addEventListener("abort", this.close)
  }

  get closed(): boolean {
    return this.ended
  }

  /** Runs `cleanup` when the stream closes (at once if it has). */
  onClose(cleanup: () => void): void {
    if (this.ended) cleanup()
    else this.cleanups.push(cleanup)
  }

  readonly wake = (): void => {
    this.woken = true
    this.release?.()
  }

  readonly close = (): void => {
    if (this.ended) return
    this.ended = true
    this.signal.removeEventListener("abort", this.close)
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        cleanup()
      } catch {
        // A cleanup that fails leaves the others to run.
      }
    }
    this.release?.()
  }

  /** Waits for a wake-up or the close (true), or `ms` of quiet (false: time for a heartbeat). */
  wait(ms: number): Promise<boolean> {
    if (this.woken || this.ended) {
      this.woken = false
      return Promise.resolve(true)
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.release = undefined
        resolve(false)
      }, ms)
      this.release = () => {
        clearTimeout(timer)
        this.release = undefined
        this.woken = false
        resolve(true)
      }
    })
  }
}
