// The simulated card gateway's own ledger, in its own SQLite file (it plays an outside provider).
// Only the last four digits of a card are stored.
import Database from "better-sqlite3"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"

export interface LedgerCharge {
  readonly key: string
  readonly amount: number
  readonly currency: string
  readonly cardLast4: string | null
  readonly status: "succeeded" | "declined" | "insufficient_funds" | "voided"
  readonly transactionDate: string | null
}

export interface LedgerRefund {
  readonly key: string
  readonly chargeKey: string
  readonly amount: number
  readonly refundedAt: string
}

export const openGatewayLedger = (file: string) => {
  mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("busy_timeout = 5000")
  db.exec(`CREATE TABLE IF NOT EXISTS charges (
      key TEXT PRIMARY KEY,
      amount INTEGER NOT NULL,
      currency TEXT NOT NULL,
      card_last4 TEXT,
      status TEXT NOT NULL,
      transaction_date TEXT,
      created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS refunds (
      key TEXT PRIMARY KEY,
      charge_key TEXT NOT NULL,
      amount INTEGER NOT NULL,
      refunded_at TEXT NOT NULL
    ) WITHOUT ROWID;`)
  const chargeColumns = "key, amount, currency, card_last4 AS cardLast4, status, transaction_date AS transactionDate"
  const getCharge = db.prepare<[string], LedgerCharge>(`SELECT ${chargeColumns} FROM charges WHERE key = ?`)
  const putCharge = db.prepare(
    `INSERT INTO charges (key, amount, currency, card_last4, status, transaction_date, created_at)
     VALUES (@key, @amount, @currency, @cardLast4, @status, @transactionDate, @createdAt) ON CONFLICT (key) DO NOTHING`
  )
  const getRefund = db.prepare<[string], LedgerRefund>(
    "SELECT key, charge_key AS chargeKey, amount, refunded_at AS refundedAt FROM refunds WHERE key = ?"
  )
  const putRefund = db.prepare(
    "INSERT INTO refunds (key, charge_key, amount, refunded_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
  )
  const allCharges = db.prepare<[], LedgerCharge>(`SELECT ${chargeColumns} FROM charges`)
  const allRefunds = db.prepare<[], LedgerRefund>(
    "SELECT key, charge_key AS chargeKey, amount, refunded_at AS refundedAt FROM refunds"
  )
  return {
    /** Records the charge unless the key is known; returns what the ledger holds for the key. */
    charge: (c: LedgerCharge): LedgerCharge =>
      db.transaction(() => {
        putCharge.run({ ...c, createdAt: new Date().toISOString() })
        return getCharge.get(c.key)!
      }).immediate(),
    find: (key: string) => getCharge.get(key),
    refund: (r: LedgerRefund): LedgerRefund =>
      db.transaction(() => {
        putRefund.run(r.key, r.chargeKey, r.amount, r.refundedAt)
        return getRefund.get(r.key)!
      }).immediate(),
    charges: () => allCharges.all(),
    refunds: () => allRefunds.all(),
    close: () => db.close()
  }
}

export type GatewayLedger = ReturnType<typeof openGatewayLedger>
