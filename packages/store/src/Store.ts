// better-sqlite3 as an Effect service: one database file per service, migrations, immediate transactions.
import Database from "better-sqlite3"
import { Cause, Context, Data, Effect, Exit, Layer, Result } from "effect"
import { mkdirSync } from "node:fs"
import { join, resolve } from "node:path"

export type Db = Database.Database

/** A numbered schema change. Migrations are applied once, in order, each in its own transaction. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/** An infrastructure failure of the database (disk, lock time-out, constraint not expected by the code). */
export class StoreError extends Data.TaggedError("StoreError")<{ readonly reason: string; readonly cause?: unknown }> {}

/** The tables every service gets: the outbox of events to publish, the inbox of consumed message ids, and unfinished redeliveries. */
const baseMigrations: ReadonlyArray<Migration> = [
  {
    version: -2,
    name: "outbox",
    sql: `CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL,
      exchange TEXT NOT NULL,
      routing_key TEXT NOT NULL,
      type TEXT NOT NULL,
      body TEXT NOT NULL,
      headers TEXT,
      created_at INTEGER NOT NULL,
      sent_at INTEGER
    );
    CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at IS NULL;
    CREATE INDEX outbox_sent_at ON outbox(sent_at) WHERE sent_at IS NOT NULL;`
  },
  {
    version: -1,
    name: "inbox",
    sql: `CREATE TABLE inbox (
      id TEXT PRIMARY KEY,
      queue TEXT NOT NULL,
      received_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX inbox_received_at ON inbox(received_at);`
  },
  {
    // Redelivered messages whose processing began but never finished: the process died while applying them.
    version: -3,
    name: "inbox_attempts",
    sql: `CREATE TABLE inbox_attempts (
      id TEXT PRIMARY KEY,
      queue TEXT NOT NULL,
      crashes INTEGER NOT NULL,
      last_at INTEGER NOT NULL
    ) WITHOUT ROWID;`
  }
]

export interface OpenOptions {
  readonly service: string
  readonly dataDir?: string
  /** A full path; overrides `dataDir/<service>.db` (tests use a temp dir instead). */
  readonly file?: string
  readonly migrations: ReadonlyArray<Migration>
}

/** Opens the database with WAL, synchronous=NORMAL, a busy timeout and foreign keys, then migrates it. */
export const openDatabase = (opts: OpenOptions): Db => {
  const dir = resolve(opts.dataDir ?? process.env.DATA_DIR ?? "./data")
  const file = opts.file ?? join(dir, `${opts.service}.db`)
  if (!opts.file) mkdirSync(dir, { recursive: true })
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("busy_timeout = 5000")
  db.pragma("foreign_keys = ON")
  migrate(db, [...baseMigrations, ...opts.migrations])
  return db
}

export const migrate = (db: Db, migrations: ReadonlyArray<Migration>): void => {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as Array<{ version: number }>).map((r) => r.version)
  )
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) {
      throw new Error(`duplicate migration version ${sorted[i]!.version}`)
    }
  }
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
  for (const m of sorted) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.version, m.name, new Date().toISOString())
    }).immediate()
  }
}

export interface OutboxMessage {
  readonly id: string
  readonly exchange: string
  readonly routingKey: string
  readonly type: string
  readonly body: string
  readonly headers?: Record<string, unknown>
}

/** What a service's code sees of its database. */
export interface StoreShape {
  readonly db: Db
  /**
   * Runs `effect` inside one IMMEDIATE transaction. The effect must be synchronous (SQLite work
   * only, no awaiting): a typed failure or a defect rolls everything back.
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
  /** Runs synchronous `fn` in one IMMEDIATE transaction (a savepoint when nested), then wakes the relay. */
  readonly transactSync: <A>(fn: () => A) => A
  /** Adds messages to the outbox; call it inside `transaction` so state and events commit together. */
  readonly appendOutbox: (messages: ReadonlyArray<OutboxMessage>) => void
  /** Registers a callback run after every commit that wrote to the outbox (the relay's wake-up). */
  readonly onOutboxCommit: (listener: () => void) => void
}

export class Store extends Context.Service<Store, StoreShape>()("store/Store") {}

class Rollback {
  constructor(readonly exit: Exit.Exit<unknown, unknown>) {}
}

export const makeStore = (db: Db): StoreShape => {
  const insertOutbox = db.prepare(
    "INSERT INTO outbox (id, exchange, routing_key, type, body, headers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
  )
  const listeners: Array<() => void> = []
  let wroteOutbox = false
  const notify = () => {
    if (!wroteOutbox || db.inTransaction) return
    wroteOutbox = false
    for (const l of listeners) l()
  }
  const transactSync = <A>(fn: () => A): A => {
    const value = db.transaction(fn).immediate()
    notify()
    return value
  }
  const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StoreError, R> =>
    Effect.flatMap(Effect.context<R>(), (ctx): Effect.Effect<A, E | StoreError> => {
      const run = Effect.runSyncExitWith(ctx)
      try {
        const value = transactSync(() => {
          const exit = run(effect)
          if (Exit.isFailure(exit)) throw new Rollback(exit)
          return exit.value
        })
        return Effect.succeed(value)
      } catch (e) {
        if (e instanceof Rollback) {
          const defect = Exit.isFailure(e.exit) ? Cause.findDefect(e.exit.cause) : undefined
          if (defect && Result.isSuccess(defect) && defect.success instanceof Database.SqliteError) {
            return Effect.fail(new StoreError({ reason: defect.success.message, cause: defect.success }))
          }
          return e.exit as Exit.Exit<A, E>
        }
        return Effect.fail(new StoreError({ reason: e instanceof Error ? e.message : String(e), cause: e }))
      }
    })
  return {
    db,
    transaction,
    transactSync,
    appendOutbox: (messages) => {
      const now = Date.now()
      for (const m of messages) {
        insertOutbox.run(m.id, m.exchange, m.routingKey, m.type, m.body, m.headers ? JSON.stringify(m.headers) : null, now)
      }
      if (messages.length > 0) wroteOutbox = true
      // Outside a transaction the insert has committed already.
      notify()
    },
    onOutboxCommit: (listener) => {
      listeners.push(listener)
    }
  }
}

/** A layer that opens the service's database and closes it when the runtime is disposed. */
export const StoreLive = (opts: OpenOptions) =>
  Layer.effect(
    Store,
    Effect.acquireRelease(
      Effect.sync(() => makeStore(openDatabase(opts))),
      (s) => Effect.sync(() => s.db.close())
    )
  )

/** Deletes inbox ids older than 30 days and sent outbox rows older than 7 days (DESIGN §3). */
export const pruneRetention = (db: Db, now = Date.now()): { inbox: number; outbox: number } => {
  const inbox = db.prepare("DELETE FROM inbox WHERE received_at < ?").run(now - 30 * 86_400_000).changes
  const outbox = db.prepare("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?").run(now - 7 * 86_400_000).changes
  return { inbox, outbox }
}
