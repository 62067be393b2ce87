// A minimal Server-Sent Events reader over a fetch Response body (text/event-stream, WHATWG parsing rules).

export interface SseEvent {
  readonly id?: string
  readonly event: string
  readonly data: string
}

/** Splits a byte stream into events; comments (heartbeats) and retry fields are skipped. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  let buffer = ""
  let data: string[] = []
  let event = ""
  let id: string | undefined
  const reader = body.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let newline: number
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1))
        if (line === "") {
          if (data.length > 0) yield { event: event || "message", data: data.join("\n"), ...(id === undefined ? {} : { id }) }
          data = []
          event = ""
          continue
        }
        if (line.startsWith(":")) continue
        const colon = line.indexOf(":")
        const field = colon === -1 ? line : line.slice(0, colon)
        const raw = colon === -1 ? "" : line.slice(colon + 1)
        const fieldValue = raw.startsWith(" ") ? raw.slice(1) : raw
        if (field === "data") data.push(fieldValue)
        else if (field === "event") event = fieldValue
        else if (field === "id") id = fieldValue
      }
    }
  } finally {
    reader.releaseLock()
  }
}
