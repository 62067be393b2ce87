// The seat map stream's fan-out without a broker: one hub, real HTTP connections, a client that stops reading.
import { pollUntil } from "@bat/testing"
import { afterAll, beforeAll, expect, test } from "bun:test"
import type { Server } from "bun"
import net from "node:net"
import { joinFrames, SeatHub, seatsFrame, snapshotFrame } from "../src/app/SeatFeed.ts"
import { seatStreamResponse } from "../src/http/seatStream.ts"
import { openSse } from "./sse.ts"

const hub = new SeatHub({ heartbeatMs: 60_000 })
const dropped: Array<number> = []
let server: Server<undefined>

const snapshot = { screeningId: "s", hallId: "h", rows: [], counts: { available: 0, reserved: 0, booked: 0 }, version: 0 }

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) =>
      seatStreamResponse({
        hub,
        screeningId: "s",
        open: () => ({ version: 0, frames: [snapshotFrame(snapshot as never)] }),
        signal: req.signal,
        maxQueuedBytes: 64 * 1024,
        onDrop: (_, queued) => dropped.push(queued)
      })
  })
})
afterAll(() => server?.stop(true))

test("a client that stops reading is dropped once its backlog passes the bound; the others get every change", async () => {
  const reader = await openSse(`http://127.0.0.1:${server.port}/`)
  await reader.waitForEvents(1)
  // A raw connection that reads the response head, then nothing more.
  const stalled = net.connect(server.port!, "127.0.0.1")
  stalled.write("GET / HTTP/1.1\r\nHost: seats\r\nAccept: text/event-stream\r\n\r\n")
  await new Promise<void>((resolve) => stalled.once("data", () => (stalled.pause(), resolve())))
  expect(hub.subscribers).toBe(2)

  // Big changes, so the kernel's socket buffers fill soon; the reader keeps up, the stalled one cannot.
  const seat = (i: number) => `A${(i % 999) + 1}`
  let version = 0
  while (hub.subscribers === 2 && version < 20_000) {
    for (let i = 0; i < 10; i++) {
      version++
      const changes = Array.from({ length: 40 }, (_, k) => ({ seatNumber: seat(version + k), status: "reserved" as const }))
      hub.publish("s", seatsFrame({ version, changes }))
    }
    await Bun.sleep(5)
  }
  expect(hub.subscribers).toBe(1)
  expect(dropped.length).toBe(1)
  expect(dropped[0]!).toBeGreaterThan(64 * 1024)
  const all = await reader.waitForEvents(version + 1, `all ${version} changes at the reading client`)
  expect(all.slice(1).map((e) => e.data.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1))
  reader.close()
  stalled.destroy()
  await pollUntil(() => hub.subscribers === 0, { message: "the reader to be unsubscribed" })
})

test("a frame already sent at the start is not sent again, and changes arrive in version order", async () => {
  let started = 0
  const local = new SeatHub({ heartbeatMs: 60_000 })
  const abort = new AbortController()
  const res = seatStreamResponse({
    hub: local,
    screeningId: "t",
    // The stream reads version 2 at its start: frames 1 and 2, published after it subscribed, are old news.
    open: () => ((started = 2), { version: 2, frames: [] }),
    signal: abort.signal,
    maxQueuedBytes: 1 << 20
  })
  const changes = (v: number) => seatsFrame({ version: v, changes: [] })
  for (const v of [1, 2, 3, 2, 4]) local.publish("t", changes(v))
  // Changes committed together travel joined; a stream that has the first of them takes only the rest.
  local.publish("t", joinFrames([changes(4), changes(5), changes(6)]))
  local.publish("t", joinFrames([changes(7), changes(8)]))
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ""
  while (!text.includes("id: 8")) text += (await reader.read()).value
  expect(started).toBe(2)
  expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([3, 4, 5, 6, 7, 8])
  abort.abort()
  expect(local.subscribers).toBe(0)
})
