// A small Server-Sent Events client for tests: reads a stream as it arrives and keeps every event and comment.
import { pollUntil } from "@bat/testing"

export interface SseEvent {
  readonly event: string
  readonly id: string | undefined
  readonly data: any
}

export interface SseStream {
  readonly status: number
  readonly headers: Headers
  /** Events in arrival order (comments and `retry:` are kept apart). */
  readonly events: Array<SseEvent>
  readonly comments: Array<string>
  readonly retries: Array<number>
  /** Whether the server ended the stream. */
  readonly ended: () => boolean
  /** Waits until at least `n` events have arrived; returns them. */
  readonly waitForEvents: (n: number, message?: string) => Promise<Array<SseEvent>>
  readonly close: () => void
}

/** Parses complete blocks out of `buffer`; returns what is left (an unfinished block). */
const parseBlocks = (buffer: string, into: { events: Array<SseEvent>; comments: Array<string>; retries: Array<number> }) => {
  let at = buffer.indexOf("\n\n")
  while (at !== -1) {
    const block = buffer.slice(0, at)
    buffer = buffer.slice(at + 2)
    let event = "message"
    let id: string | undefined
    const data: Array<string> = []
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) into.comments.push(line.slice(1).trim())
      else if (line.startsWith("event:")) event = line.slice(6).trim()
      else if (line.startsWith("id:")) id = line.slice(3).trim()
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart())
      else if (line.startsWith("retry:")) into.retries.push(Number(line.slice(6).trim()))
    }
    if (data.length > 0) into.events.push({ event, id, data: JSON.parse(data.join("\n")) })
    at = buffer.indexOf("\n\n")
  }
  return buffer
}

/** Opens `url` as an event stream; a non-200 answer is returned with its body unread (check `status`). */
export const openSse = async (url: string, headers: Record<string, string> = {}): Promise<SseStream & { readonly response: Response }> => {
  const abort = new AbortController()
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal })
  const into = { events: [] as Array<SseEvent>, comments: [] as Array<string>, retries: [] as Array<number> }
  let done = false
  if (response.status === 200 && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    void (async () => {
      let buffer = ""
      try {
        for (;;) {
          const { value, done: end } = await reader.read()
          if (end) break
          buffer = parseBlocks(buffer + value, into)
        }
      } catch {
        // aborted
      } finally {
        done = true
      }
    })()
  }
  return {
    response,
    status: response.status,
    headers: response.headers,
    ...into,
    ended: () => done,
    waitForEvents: (n, message) =>
      pollUntil(() => into.events.length >= n && into.events.slice(0, n), {
        timeoutMs: 10_000,
        intervalMs: 10,
        message: message ?? `${n} event(s) on the stream (have ${into.events.length})`
      }),
    close: () => abort.abort()
  }
}
