// The live seat map's in-process hub: per screening, the open streams; each change is serialised once and
// the same bytes are handed to every stream of its screening (no per-viewer query, no per-viewer JSON).
import type { ScreeningsApi } from "@bat/contracts"
import { sseComment, sseEvent } from "@bat/http"
import { Context } from "effect"

/**
 * An SSE frame, already encoded; `version` is set on the frames that carry a seat map version. Several
 * changes committed together travel as one frame of all their bytes (one write per stream, not one per
 * change), with `parts` for a stream that already has the first of them.
 */
export interface SeatFrame {
  readonly version?: number
  readonly bytes: Uint8Array
  readonly parts?: ReadonlyArray<SeatFrame & { readonly version: number }>
}

/** One open stream of one screening. */
export interface SeatSubscriber {
  /** Called with each change frame of its screening in version order, and with heartbeats; never throws. */
  readonly send: (frame: SeatFrame) => void
}

const encoder = new TextEncoder()
const encode = (text: string): SeatFrame => ({ bytes: encoder.encode(text) })

/** How long a client waits before reconnecting (SSE `retry:`), in ms. */
export const RECONNECT_MS = 2_000

/** What every stream sends first: the reconnect delay, and a comment so the response head leaves at once. */
export const OPENING: SeatFrame = encode(sseComment("connected", RECONNECT_MS))

/** The keep-alive: a comment line, which EventSource ignores. */
export const PING: SeatFrame = encode(sseComment("ping"))

const frame = (event: string, version: number, data: unknown): SeatFrame => ({
  version,
  bytes: encoder.encode(sseEvent(version, event, data))
})

/** `event: snapshot`: the whole seat map as of its version. */
export const snapshotFrame = (snapshot: ScreeningsApi.SeatMapSnapshot): SeatFrame => frame("snapshot", snapshot.version, snapshot)

/** `event: seats`: the changes that made `version`. */
export const seatsFrame = (changes: ScreeningsApi.SeatChanges): SeatFrame & { readonly version: number } =>
  frame("seats", changes.version, changes) as SeatFrame & { readonly version: number }

/** Consecutive change frames as one (in version order). */
export const joinFrames = (frames: ReadonlyArray<SeatFrame & { readonly version: number }>): SeatFrame => {
  if (frames.length === 1) return frames[0]!
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.bytes.byteLength, 0))
  let at = 0
  for (const f of frames) {
    bytes.set(f.bytes, at)
    at += f.bytes.byteLength
  }
  return { version: frames[frames.length - 1]!.version, bytes, parts: frames }
}

export interface SeatHubOptions {
  /** A heartbeat goes to every open stream this often. */
  readonly heartbeatMs: number
}

export class SeatHub {
  private readonly byScreening = new Map<string, Set<SeatSubscriber>>()
  /** The latest snapshot frame of each screening that has viewers: new viewers of an unchanged map share it. */
  private readonly snapshots = new Map<string, SeatFrame>()
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private count = 0

  constructor(private readonly opts: SeatHubOptions) {}

  /** Adds a stream of `screeningId`; returns its removal (safe to call more than once). */
  subscribe(screeningId: string, subscriber: SeatSubscriber): () => void {
    let set = this.byScreening.get(screeningId)
    if (set === undefined) this.byScreening.set(screeningId, (set = new Set()))
    set.add(subscriber)
    this.count++
    this.heartbeat ??= this.startHeartbeat()
    return () => {
      if (!set.delete(subscriber)) return
      this.count--
      if (set.size === 0 && this.byScreening.get(screeningId) === set) {
        this.byScreening.delete(screeningId)
        this.snapshots.delete(screeningId)
      }
      if (this.count === 0 && this.heartbeat !== undefined) {
        clearInterval(this.heartbeat)
        this.heartbeat = undefined
      }
    }
  }

  /** Whether anyone watches `screeningId` (if not, a change need not even be read back). */
  watched(screeningId: string): boolean {
    return this.byScreening.has(screeningId)
  }

  /** Hands one frame to every stream of `screeningId`. */
  publish(screeningId: string, frame: SeatFrame): void {
    const set = this.byScreening.get(screeningId)
    if (set === undefined) return
    // A copy: a stream dropped while sending removes itself from the set.
    for (const subscriber of [...set]) subscriber.send(frame)
  }

  /** The cached snapshot of `screeningId` if it is of `version`. */
  snapshot(screeningId: string, version: number): SeatFrame | undefined {
    const cached = this.snapshots.get(screeningId)
    return cached?.version === version ? cached : undefined
  }

  /** Keeps a snapshot for later viewers, while the screening has any. */
  keepSnapshot(screeningId: string, frame: SeatFrame): void {
    if (this.byScreening.has(screeningId)) this.snapshots.set(screeningId, frame)
  }

  /** How many streams are open. */
  get subscribers(): number {
    return this.count
  }

  /** How many screenings are watched. */
  get screenings(): number {
    return this.byScreening.size
  }

  private startHeartbeat() {
    const timer = setInterval(() => {
      for (const set of this.byScreening.values()) for (const subscriber of [...set]) subscriber.send(PING)
    }, this.opts.heartbeatMs)
    timer.unref?.()
    return timer
  }
}

export class SeatFeed extends Context.Service<SeatFeed, SeatHub>()("screenings/app/SeatFeed") {}
