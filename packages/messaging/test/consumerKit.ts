// Test kit shared by the messaging tests: stores with an `effects` table, and a consumer of the
// screenings inbox whose HallCreated handler records one row per applied message.
import { newId } from "@bat/contracts"
import { makeStore, openDatabase, type StoreShape } from "@bat/store"
import { Effect } from "effect"
import { join } from "node:path"
import { startMessaging, type ConsumerMetrics, type Handlers, type Messaging } from "../src/index.ts"

export const effectsMigration = {
  version: 1,
  name: "effects",
  sql: "CREATE TABLE effects (message_id TEXT, attempt INTEGER, at INTEGER)"
}

export interface ConsumerOptions {
  readonly url?: string
  readonly fail?: (attempt: number) => boolean
  readonly retryDelays?: number[]
  readonly deliveryLimit?: number
  readonly beforeAck?: (ids: ReadonlyArray<string>) => Promise<void>
  readonly metrics?: ConsumerMetrics
}

/** `cleanups` collects what each helper opened, for the test file's afterEach. */
export const consumerKit = (opts: { url: () => string; dir: () => string; cleanups: Array<() => unknown> }) => {
  const newStore = (name: string, file = join(opts.dir(), `${name}-${newId()}.db`)): StoreShape => {
    const store = makeStore(openDatabase({ service: name, file, migrations: [effectsMigration] }))
    opts.cleanups.push(() => store.db.close())
    return store
  }
  const effectsOf = (store: StoreShape) =>
    store.db.prepare("SELECT message_id, attempt FROM effects ORDER BY rowid").all() as Array<{ message_id: string; attempt: number }>
  const startConsumer = async (store: StoreShape, o: ConsumerOptions = {}): Promise<Messaging> => {
    const handlers: Handlers<never> = {
      HallCreated: (_data, ctx) =>
        Effect.gen(function* () {
          store.db.prepare("INSERT INTO effects VALUES (?, ?, ?)").run(ctx.envelope.id, ctx.attempt, Date.now())
          if (o.fail?.(ctx.attempt)) return yield* Effect.fail(new Error(`transient failure on attempt ${ctx.attempt}`))
        })
    }
    const m = await startMessaging({
      service: "screenings",
      url: o.url ?? opts.url(),
      store,
      handlers,
      runSyncExit: Effect.runSyncExit,
      retryDelays: o.retryDelays ?? [300, 600],
      ...(o.deliveryLimit !== undefined ? { deliveryLimit: o.deliveryLimit } : {}),
      ...(o.beforeAck ? { beforeAck: o.beforeAck } : {}),
      ...(o.metrics ? { metrics: o.metrics } : {})
    })
    opts.cleanups.push(() => m.stop())
    return m
  }
  return { newStore, effectsOf, startConsumer }
}
