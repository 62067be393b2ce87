// Bodies just past the services' default MAX_BODY_BYTES (64 KiB), for the "no 5xx" fuzzers: one with a
// Content-Length (refused before it is read, on any route) and one chunked without one (refused once the
// route's body reader passes the limit). Markers stand for them among the fuzzers' string bodies.
export const OVERSIZED_BYTES = 65_536 + 4_096

export const OVERSIZED_DECLARED = "<an oversized body with a Content-Length>"
export const OVERSIZED_CHUNKED = "<an oversized body, chunked>"
export const OVERSIZED_MARKERS = [OVERSIZED_DECLARED, OVERSIZED_CHUNKED] as const

export const isOversized = (body: unknown): boolean => body === OVERSIZED_DECLARED || body === OVERSIZED_CHUNKED

/** What to send for a fuzzer's body: the oversized body a marker stands for, or the body itself. */
export const bodyFor = <B>(body: B): B | string | ReadableStream<Uint8Array> => {
  if (body !== OVERSIZED_DECLARED && body !== OVERSIZED_CHUNKED) return body
  const text = `{"x":"${"a".repeat(OVERSIZED_BYTES)}"}`
  if (body === OVERSIZED_DECLARED) return text
  const bytes = new TextEncoder().encode(text)
  let at = 0
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close()
      c.enqueue(bytes.slice(at, (at += 16_384)))
    }
  })
}
