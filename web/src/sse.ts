// A Server-Sent Events reader on fetch(): it can send an Authorization header (EventSource cannot),
// resumes with Last-Event-ID after a drop, and tells its caller when the stream is not there at all.

export interface StreamEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

export interface StreamOptions {
  readonly url: string
  readonly headers?: () => Record<string, string>
  readonly onEvent: (event: StreamEvent) => void
  /** The stream answered (again): events will follow. */
  readonly onOpen?: () => void
  /** The stream could not be opened or dropped; `status` is the HTTP status, 0 for a network failure. Return false to stop trying. */
  readonly onTrouble?: (status: number, failuresInARow: number) => boolean
  /** Delay before reconnecting (default 1 s, doubling to 10 s). */
  readonly retryMs?: number
}

/** Opens the stream and keeps it open until the returned function is called. */
export const openStream = (options: StreamOptions): (() => void) => {
  const abort = new AbortController()
  let lastEventId: string | undefined
  let failures = 0

  const readBody = async (body: ReadableStream<Uint8Array>): Promise<void> => {
    const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader()
    let buffer = ""
    let id: string | undefined
    let event = ""
    let data: string[] = []
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      let newline: number
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1))
        if (line === "") {
          if (data.length > 0) {
            if (id !== undefined) lastEventId = id
            options.onEvent({ id, event: event || "message", data: data.join("\n") })
          }
          id = undefined
          event = ""
          data = []
          continue
        }
        if (line.startsWith(":")) continue
        const colon = line.indexOf(":")
        const field = colon === -1 ? line : line.slice(0, colon)
        const val = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "")
        if (field === "data") data.push(val)
        else if (field === "event") event = val
        else if (field === "id") id = val
      }
    }
  }

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      let status = 0
      try {
        const res = await fetch(options.url, {
          headers: {
            accept: "text/event-stream",
            ...(options.headers?.() ?? {}),
            ...(lastEventId !== undefined ? { "last-event-id": lastEventId } : {}),
          },
          cache: "no-store",
          signal: abort.signal,
        })
        status = res.status
        if (res.ok && res.body && (res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
          failures = 0
          options.onOpen?.()
          await readBody(res.body)
        } else {
          await res.body?.cancel()
        }
      } catch {
        // dropped or aborted
      }
      if (abort.signal.aborted) return
      failures += 1
      if (options.onTrouble && !options.onTrouble(status, failures)) return
      const delay = Math.min((options.retryMs ?? 1_000) * 2 ** Math.max(0, failures - 1), 10_000)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
  void run()
  return () => abort.abort()
}
