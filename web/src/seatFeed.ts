// The live seat map of one screening: the seat stream (snapshot, then changes, resumed with Last-Event-ID),
// or, when the stream is not available, the seat map polled every 2 s with If-None-Match.
import { signal, type Signal } from "@preact/signals"
import { openStream } from "./sse.ts"
import type { SeatChanges, SeatMap, SeatRow, SeatStatus } from "./views.ts"

export const POLL_MS = 2_000

export interface SeatFeed {
  /** The rows as last known (null until the first answer); `notFound` when the screening does not exist. */
  readonly map: Signal<readonly SeatRow[] | null>
  readonly notFound: Signal<boolean>
  /** `live` while the stream is open, `polling` when it fell back, `connecting` before either. */
  readonly mode: Signal<"connecting" | "live" | "polling">
  /** Fetches the map now (a no-op while the stream is live). */
  refresh(): void
  stop(): void
}

const applyChanges = (rows: readonly SeatRow[], changes: SeatChanges["changes"]): SeatRow[] => {
  const next = new Map<string, SeatStatus>(changes.map((c) => [c.seatNumber, c.status]))
  return rows.map((row) =>
    row.seats.some((s) => next.has(s.seatNumber))
      ? { ...row, seats: row.seats.map((s) => (next.has(s.seatNumber) ? { ...s, status: next.get(s.seatNumber)! } : s)) }
      : row,
  )
}

export const followSeats = (screeningId: string): SeatFeed => {
  const map = signal<readonly SeatRow[] | null>(null)
  const notFound = signal(false)
  const mode = signal<"connecting" | "live" | "polling">("connecting")
  const base = `/screenings/${encodeURIComponent(screeningId)}/seats`
  let version = -1
  let etag: string | null = null
  let stopped = false
  let pollTimer: ReturnType<typeof setTimeout> | undefined

  const fetchMap = async (): Promise<void> => {
    try {
      const res = await fetch(base, {
        headers: { accept: "application/json", ...(etag ? { "if-none-match": etag } : {}) },
        cache: "no-store",
      })
      if (res.status === 304) return
      if (res.status === 404) {
        notFound.value = true
        return
      }
      if (!res.ok) return
      const body = (await res.json()) as SeatMap
      etag = res.headers.get("etag")
      // A live stream is newer than any poll that was under way when it opened.
      if (!stopped && mode.value !== "live") map.value = body.rows
    } catch {
      // offline for a moment: the next poll tries again
    }
  }

  const wanted = (): boolean => !stopped && mode.peek() !== "live" && !notFound.peek()
  // Polls every 2 s whenever the stream is not live; stops by itself once it is.
  const poll = async (): Promise<void> => {
    pollTimer = undefined
    if (!wanted()) return
    await fetchMap()
    if (wanted()) pollTimer = setTimeout(poll, POLL_MS)
  }
  const startPolling = (): void => {
    if (stopped || mode.value === "live") return
    mode.value = "polling"
    if (pollTimer === undefined) void poll()
  }

  const closeStream = openStream({
    url: `${base}/stream`,
    onOpen: () => {
      mode.value = "live"
      if (pollTimer !== undefined) clearTimeout(pollTimer)
      pollTimer = undefined
    },
    onEvent: (event) => {
      let data: unknown
      try {
        data = JSON.parse(event.data)
      } catch {
        return
      }
      if (event.event === "snapshot") {
        const snapshot = data as SeatMap
        version = snapshot.version ?? version
        map.value = snapshot.rows
      } else if (event.event === "seats") {
        const changes = data as SeatChanges
        if (changes.version <= version || map.value === null) return
        version = changes.version
        map.value = applyChanges(map.value, changes.changes)
      }
    },
    onTrouble: (status) => {
      // Until the stream is back, the map is polled; a server without a seat stream (404) is not asked again.
      startPolling()
      return status !== 404 && status !== 405
    },
  })

  return {
    map,
    notFound,
    mode,
    refresh: () => {
      if (mode.value !== "live") void fetchMap()
    },
    stop: () => {
      stopped = true
      closeStream()
      if (pollTimer !== undefined) clearTimeout(pollTimer)
    },
  }
}
