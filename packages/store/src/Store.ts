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
  /**
   * The unit of work: joins the transaction that is open (no savepoint: the unit's writes are the open one's)
   * or begins an IMMEDIATE one. Only entry points (HTTP runner, a consumed message, sweeps, timers) should
   * begin one; use cases run inside it. Synchronous effects only, as `transaction`.
   */
  readonly unit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
  /**
   * Group commit: units that arrive close together (within `windowMs`, up to `maxBatch`) share one IMMEDIATE
   * transaction, each in a savepoint of its own and in arrival order; each completes only after the shared
   * commit. A unit that fails has only its own savepoint (and its after-commit actions) undone.
   */
  readonly grouped: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
  /** Commits the open group now (shutdown, tests). */
  readonly flushGroup: () => void
  /**
   * Runs `action` once the work registering it is durable: after the outermost commit of the open transaction,
   * never if it (or the savepoint it was registered in) rolls back; outside a transaction, at once. Outbox
   * wake-ups, stream pushes and domain metrics go here, so nothing is told or counted that did not happen.
   */
  readonly afterCommit: (action: () => void) => void
}

export interface StoreOptions {
  /** Most units in one group commit (default 64). */
  readonly maxBatch?: number
  /**
   * How long a group stays open for more units after its first (ms, default 1); 0 closes it at the end of the
   * event-loop turn. 1 ms made booking's CPU per decision ~15 % lower than 0 (docs/PERFORMANCE.md).
   */
  readonly windowMs?: number
  /** Called with each committed group's size (metrics, tests). */
  readonly onGroupCommit?: (size: number) => void
  /** Where an after-commit action that throws is reported (default: one line on stderr); it never undoes the commit. */
  readonly onActionError?: (error: unknown) => void
}

export class Store extends Context.Service<Store, StoreShape>()("store/Store") {}

/** An effect's failure, thrown to roll its transaction or savepoint back, then handed back as its exit. */
class Rollback {
  constructor(readonly exit: Exit.Exit<unknown, unknown>) {}
}

/** What a rolled-back or failed unit returns: its own typed failure, a database error as StoreError, or its defect. */
const exitOfThrown = <A, E>(e: unknown): Exit.Exit<A, E | StoreError> => {
  if (e instanceof Rollback) {
    const defect = Exit.isFailure(e.exit) ? Cause.findDefect(e.exit.cause) : undefined
    if (defect && Result.isSuccess(defect) && defect.success instanceof Database.SqliteError) {
      return Exit.fail(new StoreError({ reason: defect.success.message, cause: defect.success }))
    }
    return e.exit as Exit.Exit<A, E>
  }
  return Exit.fail(new StoreError({ reason: e instanceof Error ? e.message : String(e), cause: e }))
}

interface Queued {
  readonly work: () => unknown
  readonly done: (exit: Exit.Exit<unknown, unknown>) => void
}

export const makeStore = (db: Db, opts: StoreOptions = {}): StoreShape => {
  const insertOutbox = db.prepare(
    "INSERT INTO outbox (id, exchange, routing_key, type, body, headers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
  )
  const onActionError =
    opts.onActionError ?? ((error: unknown) => console.error(`store: an after-commit action failed: ${String(error)}`))
  const listeners: Array<() => void> = []
  // One frame of after-commit actions per open transaction or savepoint: a released savepoint hands its actions to
  // the frame around it, a rolled-back one drops them, the outermost commit runs them in registration order.
  const frames: Array<Array<() => void>> = []
  // The same action registered several times in one transaction (the relay's wake-up per outbox write) runs once.
  const runActions = (actions: ReadonlyArray<() => void>) => {
    for (const action of new Set(actions)) {
      try {
        action()
      } catch (error) {
        onActionError(error)
      }
    }
  }
  const afterCommit = (action: () => void) => {
    const frame = frames.at(-1)
    if (frame === undefined) runActions([action])
    else frame.push(action)
  }
  // The relay is woken once per commit that wrote outbox rows, however many it wrote.
  const wakeRelay = () => {
    for (const l of listeners) l()
  }
  const transactSync = <A>(fn: () => A): A => {
    const frame: Array<() => void> = []
    frames.push(frame)
    let value: A
    try {
      // Nested calls become savepoints (better-sqlite3).
      value = db.transaction(fn).immediate()
    } catch (e) {
      frames.pop()
      throw e
    }
    frames.pop()
    const outer = frames.at(-1)
    if (outer !== undefined) outer.push(...frame)
    else runActions(frame)
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
        return exitOfThrown<A, E>(e)
      }
    })
  const unit = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StoreError, R> =>
    Effect.suspend(() => (frames.length > 0 ? effect : transaction(effect)))

  // Group commit: one transaction for the units that arrive together, one savepoint each.
  const maxBatch = Math.max(1, opts.maxBatch ?? 64)
  const windowMs = Math.max(0, opts.windowMs ?? 1)
  let open: Array<Queued> = []
  let scheduled: { readonly cancel: () => void } | undefined
  const flushGroup = () => {
    scheduled?.cancel()
    scheduled = undefined
    const group = open
    open = []
    if (group.length === 0) return
    let exits: Array<Exit.Exit<unknown, unknown>>
    try {
      exits = transactSync(() =>
        group.map((queued) => {
          try {
            return Exit.succeed(transactSync(queued.work))
          } catch (e) {
            return exitOfThrown(e)
          }
        })
      )
    } catch (e) {
      // The shared commit failed: every unit of the group gets that failure.
      const failed = exitOfThrown(e)
      for (const queued of group) queued.done(failed)
      return
    }
    opts.onGroupCommit?.(group.length)
    for (let i = 0; i < group.length; i++) group[i]!.done(exits[i]!)
  }
  const schedule = () => {
    if (windowMs === 0) {
      const handle = setImmediate(flushGroup)
      scheduled = { cancel: () => clearImmediate(handle) }
    } else {
      const handle = setTimeout(flushGroup, windowMs)
      scheduled = { cancel: () => clearTimeout(handle) }
    }
  }
  const grouped = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StoreError, R> =>
    Effect.flatMap(Effect.context<R>(), (ctx): Effect.Effect<A, E | StoreError> => {
      // Inside an open unit there is nothing to group with: join it.
      if (frames.length > 0) return Effect.provideContext(effect, ctx)
      // The unit's own context (its trace context above all) goes with its work into the shared transaction.
      const run = Effect.runSyncExitWith(ctx)
      return Effect.flatten(
        Effect.callback<Exit.Exit<A, E | StoreError>>((resume) => {
          open.push({
            work: () => {
              const exit = run(effect)
              if (Exit.isFailure(exit)) throw new Rollback(exit)
              return exit.value
            },
            done: (exit) => resume(Effect.succeed(exit as Exit.Exit<A, E | StoreError>))
          })
          if (open.length >= maxBatch) flushGroup()
          else if (scheduled === undefined) schedule()
        })
      )
    })

  return {
    db,
    transaction,
    transactSync,
    unit,
    grouped,
    flushGroup,
    afterCommit,
    appendOutbox: (messages) => {
      const now = Date.now()
      for (const m of messages) {
        insertOutbox.run(m.id, m.exchange, m.routingKey, m.type, m.body, m.headers ? JSON.stringify(m.headers) : null, now)
      }
      // Outside a transaction the insert has committed already, and the relay is woken at once.
      if (messages.length > 0) afterCommit(wakeRelay)
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
