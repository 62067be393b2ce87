// One live seat map stream (Server-Sent Events): subscribes to the hub, sends the opening frames, then the
// hub's frames; a client that cannot keep up is dropped (it reconnects with Last-Event-ID), never waited for.
import { lastEventIdOf as parseLastEventId, SSE_HEADERS, SseClient } from "@bat/http"
import { OPENING, type SeatFrame, type SeatHub } from "../app/SeatFeed.ts"
import type { SeatStreamStart } from "../app/Screenings.ts"

export interface SeatStreamOptions {
  readonly hub: SeatHub
  readonly screeningId: string
  /** Reads the opening frames; called synchronously right after subscribing, so no change falls in between. */
  readonly open: () => SeatStreamStart
  /** The request's abort signal: the client went away. */
  readonly signal: AbortSignal
  /** A stream with more than this many bytes not yet taken by its connection is dropped. */
  readonly maxQueuedBytes: number
  /** Told when a stream is dropped for falling behind. */
  readonly onDrop?: (screeningId: string, queuedBytes: number) => void
  readonly headers?: Record<string, string>
}

/** A `Last-Event-ID` (header first, as a reconnecting EventSource sends it; else `?lastEventId=`) as a version, if it is one. */
export const lastEventIdOf = (header: string | undefined, query: string | undefined): number | undefined => {
  const last = parseLastEventId(header, query)
  return last.kind === "id" ? last.id : undefined
}

export const seatStreamResponse = (opts: SeatStreamOptions): Response => {
  const client = new SseClient("seats", opts.signal)
  const stop = client.close
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let version = -1
        const enqueue = (frame: SeatFrame) => {
          controller.enqueue(frame.bytes)
          // With a high-water mark of 0, the shortfall is exactly the bytes queued and not yet written out.
          const queued = -(controller.desiredSize ?? 0)
          if (queued > opts.maxQueuedBytes) {
            stop()
            opts.onDrop?.(opts.screeningId, queued)
            controller.error(new Error("the client fell too far behind"))
          }
        }
        const send = (frame: SeatFrame): void => {
          if (client.closed) return
          if (frame.version !== undefined) {
            // Already sent in the opening frames (the change committed before the stream read its start).
            if (frame.version <= version) return
            if (frame.parts !== undefined && frame.parts[0]!.version <= version) {
              for (const part of frame.parts) send(part)
              return
            }
            version = frame.version
          }
          try {
            enqueue(frame)
          } catch {
            stop() // the stream was already closed by the other side
          }
        }
        client.onClose(opts.hub.subscribe(opts.screeningId, { send }))
        try {
          const start = opts.open()
          version = start.version
          controller.enqueue(OPENING.bytes)
          for (const frame of start.frames) controller.enqueue(frame.bytes)
        } catch (e) {
          stop()
          controller.error(e)
        }
      },
      cancel() {
        stop()
      }
    },
    { highWaterMark: 0, size: (chunk) => chunk?.byteLength ?? 0 }
  )
  return new Response(body, { headers: { ...opts.headers, ...SSE_HEADERS } })
}
