// The outbox relay against a broker that refuses: it sends the same rows again, in order, after a pause
// that commits arriving meanwhile do not cut short — never back to back — and marks them sent once confirmed.
import { afterEach, expect, test } from "bun:test"
import { makeStore, openDatabase, type StoreShape } from "@bat/store"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Broker, OutgoingMessage } from "../src/Broker.ts"
import { OutboxRelay } from "../src/Outbox.ts"

const dirs: Array<string> = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const storeOf = (): StoreShape => {
  const dir = mkdtempSync(join(tmpdir(), "bat-relay-"))
  dirs.push(dir)
  return makeStore(openDatabase({ service: "relaytest", file: join(dir, "relay.db"), migrations: [] }))
}

/** A broker whose confirms fail while `refusing` is true; it records every publish attempt. */
const fakeBroker = () => {
  const state = { refusing: true, attempts: [] as Array<ReadonlyArray<string>>, recycled: 0 }
  const broker = {
    canPublish: true,
    recyclePublisher: () => {
      state.recycled++
    },
    whenConnected: () => Promise.resolve(),
    publish: async (messages: ReadonlyArray<OutgoingMessage>) => {
      state.attempts.push(messages.map((m) => String(m.options.messageId)))
      if (state.refusing) throw new Error("message nacked")
    }
  }
  return { state, broker: broker as unknown as Broker }
}

const append = (store: StoreShape, n: number, from: number) =>
  store.transactSync(() =>
    store.appendOutbox(
      Array.from({ length: n }, (_, i) => ({
        id: `m-${from + i}`,
        exchange: "x.events",
        routingKey: "Something",
        type: "Something",
        body: "{}"
      }))
    )
  )

test("a refused batch is sent again after a growing pause, not back to back, even while commits keep arriving", async () => {
  const store = storeOf()
  const { state, broker } = fakeBroker()
  const relay = new OutboxRelay(store, broker, { service: "relaytest", pollMs: 50 })
  append(store, 3, 0)
  relay.start()
  // A commit every 10 ms for 1.5 s: each wakes the relay.
  let n = 3
  const committing = setInterval(() => append(store, 1, n++), 10)
  await Bun.sleep(1_500)
  clearInterval(committing)
  // 200 + 400 + 800 ms of pauses fit 1.5 s: at most 4 attempts (back to back it would be hundreds).
  expect(state.attempts.length).toBeGreaterThanOrEqual(2)
  expect(state.attempts.length).toBeLessThanOrEqual(4)
  expect(relay.backlog()).toBe(n)
  // The third refusal in a row asks for a fresh publisher channel.
  expect(state.recycled).toBe(state.attempts.length >= 3 ? 1 : 0)
  // The broker takes them again: everything is sent, oldest first, and marked sent.
  state.refusing = false
  await Bun.sleep(2_000)
  expect(relay.backlog()).toBe(0)
  // One batch holds them all (the relay sends up to 500): the accepted attempt lists every row in order.
  expect(state.attempts[state.attempts.length - 1]).toEqual(Array.from({ length: n }, (_, i) => `m-${i}`))
  await relay.stop()
})
