// Benchmark: events through outbox → broker → consumer (inbox + commit), against the raw amqplib round trip
// (confirmed publish → consume → ack) measured in the same run. `bun run bench:messaging [count]`
import { inboxOf, newId } from "@bat/contracts"
import { makeStore, openDatabase } from "@bat/store"
import { createTestVhost, rawRoundTrip } from "@bat/testing"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { eventMessage, startMessaging } from "../src/index.ts"

const count = Number(process.argv[2] ?? 20_000)
const paced = Number(process.argv[3] ?? 1_000) // events/s offered in the latency run

const pct = (xs: Array<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}
const summary = (name: string, n: number, ms: number, lat: Array<number>) => {
  const rate = (n / ms) * 1000
  console.log(
    `${name.padEnd(34)} ${rate.toFixed(0).padStart(7)} ev/s   p50 ${pct(lat, 50).toFixed(1)} ms  p95 ${pct(lat, 95).toFixed(1)} ms  p99 ${pct(lat, 99).toFixed(1)} ms  (n=${n})`
  )
  return rate
}

const vh = await createTestVhost({ prefix: "bat-bench" })
const dir = mkdtempSync(join(tmpdir(), "bat-bench-"))
try {
  const rawRun = (n: number, perSecond?: number) => rawRoundTrip(vh.amqpUrl, n, perSecond)

  // Guarded path: each event is written in a SQLite transaction with its outbox row; the relay publishes
  // with confirms; the consumer applies it with inbox dedup and a state change in one transaction, then acks.
  const guardedRun = async (n: number, perSecond?: number) => {
    const runId = newId()
    const producerStore = makeStore(openDatabase({ service: "cinemas", file: join(dir, `p-${runId}.db`), migrations: [] }))
    const consumerStore = makeStore(
      openDatabase({
        service: "screenings",
        file: join(dir, `c-${runId}.db`),
        migrations: [{ version: 1, name: "halls", sql: "CREATE TABLE halls (hall_id TEXT PRIMARY KEY, name TEXT)" }]
      })
    )
    const lat: Array<number> = []
    let done!: () => void
    const finished = new Promise<void>((r) => (done = r))
    const insert = consumerStore.db.prepare("INSERT INTO halls VALUES (?, ?)")
    const consumer = await startMessaging<never>({
      service: "screenings",
      url: vh.amqpUrl,
      store: consumerStore,
      runSyncExit: Effect.runSyncExit,
      handlers: {
        HallCreated: (data) =>
          Effect.sync(() => {
            insert.run(data.hallId, data.name)
            lat.push(performance.now() - Number(data.name))
            if (lat.length === n) queueMicrotask(done)
          })
      }
    })
    const producer = await startMessaging({ service: "cinemas", url: vh.amqpUrl, store: producerStore })
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      // One transaction per event, as a request handler would write it.
      producerStore.transactSync(() =>
        producerStore.appendOutbox([
          eventMessage(
            "cinemas",
            "HallCreated",
            { hallId: newId(), cinemaId: newId(), name: String(performance.now()), rows: [{ label: "A", seats: 1 }], capacity: 1 } as never,
            { correlationId: runId }
          )
        ])
      )
      if (i % 50 === 49) {
        // Let the relay and the consumer run, as they would between requests.
        if (perSecond) {
          const wait = t0 + ((i + 1) / perSecond) * 1000 - performance.now()
          await Bun.sleep(Math.max(0, wait))
        } else await Bun.sleep(0)
      }
    }
    await finished
    const ms = performance.now() - t0
    const rows = (consumerStore.db.prepare("SELECT count(*) AS n FROM halls").get() as { n: number }).n
    if (rows !== n) throw new Error(`expected ${n} applied events, found ${rows}`)
    await producer.stop()
    await consumer.stop()
    producerStore.db.close()
    consumerStore.db.close()
    return { ms, lat }
  }

  console.log(`messaging benchmark: ${count} events, 2-core machine, RabbitMQ ${vh.vhost}`)
  await rawRun(2_000) // warm-up
  await guardedRun(2_000)
  console.log("-- throughput (offered as fast as possible)")
  const raw = await rawRun(count)
  const rawRate = summary("raw amqplib (confirm → ack)", count, raw.ms, raw.lat)
  const g = await guardedRun(count)
  const gRate = summary("outbox → broker → inbox + commit", count, g.ms, g.lat)
  console.log(`ratio guarded/raw throughput: ${(gRate / rawRate).toFixed(2)}`)
  console.log(`-- latency at ${paced} ev/s offered`)
  const n2 = Math.min(count, paced * 10)
  const rawP = await rawRun(n2, paced)
  summary("raw amqplib (confirm → ack)", n2, rawP.ms, rawP.lat)
  const gP = await guardedRun(n2, paced)
  summary("outbox → broker → inbox + commit", n2, gP.ms, gP.lat)
} finally {
  await vh.cleanup()
  rmSync(dir, { recursive: true, force: true })
}
