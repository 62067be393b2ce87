// No sensitive card data at rest (DESIGN §17): payments.db (and its write-ahead log) holds no CVC in any form —
// no field, no hash of it, no keyed hash whose key sits beside it — and an old database loses what it held.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { newId } from "@bat/contracts"
import Database from "better-sqlite3"
import { createHash, createHmac } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { SUCCESS_CARD, startHarness, type Harness } from "./harness.ts"

interface PaidCard {
  readonly bookingId: string
  readonly number: string
  readonly expMonth: number
  readonly expYear: number
  readonly cvc: string
}

/** Where a development fingerprint key is generated (beside the database); it must not be inside it. */
const DEV_KEY_FILE = "payments-fingerprint.key"

/** payments.db with its log, and the simulated card provider's ledger beside it (it keeps the last four digits only). */
const dbFiles = (dataDir: string) =>
  ["payments.db", "payments.db-wal", "payments.db-journal", "gateway-sim.db", "gateway-sim.db-wal"]
    .map((f) => join(dataDir, f))
    .filter((f) => existsSync(f))

/** Every byte of the database files, as latin1 text (so any stored string is a substring). */
const bytesOf = (dataDir: string) => dbFiles(dataDir).map((f) => readFileSync(f).toString("latin1")).join("\n")

const encodings = (digest: Buffer) => [digest.toString("hex"), digest.toString("base64"), digest.toString("base64url")]

/** The old fingerprint: an HMAC of booking, number, expiry and CVC under a key kept in the database. */
const oldFingerprint = (key: string | Buffer, c: PaidCard, cvc: string) =>
  createHmac("sha256", key).update(JSON.stringify([c.bookingId, c.number, c.expMonth, c.expYear, cvc])).digest("base64url")

/** Unkeyed hashes of a card number with its CVC a careless design might keep. */
const plainHashes = (c: PaidCard) =>
  ["sha256", "sha1", "md5"].flatMap((alg) =>
    [c.number + c.cvc, `${c.number}:${c.cvc}`, c.cvc, JSON.stringify([c.number, c.cvc]), JSON.stringify([c.bookingId, c.number, c.expMonth, c.expYear, c.cvc])].flatMap(
      (text) => encodings(createHash(alg).update(text).digest())
    )
  )

/** Every value of every column of every table, as text. */
const allValues = (file: string): string[] => {
  const db = new Database(file, { readonly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    return tables.flatMap(({ name }) =>
      (db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>).flatMap((row) =>
        Object.values(row).map((v) => (v === null ? "" : Buffer.isBuffer(v) ? v.toString("latin1") : String(v)))
      )
    )
  } finally {
    db.close()
  }
}

/** The keys a reader of the files could find: the old in-database secret, if any table still holds one. */
const keysInDatabase = (file: string): string[] => {
  const db = new Database(file, { readonly: true })
  try {
    const hasSecrets = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'secrets'").get() !== undefined
    return hasSecrets ? (db.prepare("SELECT value FROM secrets").all() as Array<{ value: string }>).map((r) => r.value) : []
  } finally {
    db.close()
  }
}

const cvcs = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"))

/** Fails with what it found: the CVC-derived values, CVC fields and card numbers the files hold. */
const expectNoCardDataAtRest = (dataDir: string, paid: ReadonlyArray<PaidCard>) => {
  const file = join(dataDir, "payments.db")
  const bytes = bytesOf(dataDir)
  const keyFile = join(dataDir, DEV_KEY_FILE)
  const fileKey = existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined
  // The key in the database if one is there, and the key file's too: no value keyed with either may hold the CVC.
  const keys = [...keysInDatabase(file), ...(fileKey === undefined ? [] : [fileKey])]
  const found: string[] = []
  for (const key of keys) {
    for (const c of paid) {
      for (const cvc of cvcs) if (bytes.includes(oldFingerprint(key, c, cvc))) found.push(`HMAC(key, …, cvc ${cvc}) of ${c.bookingId}`)
    }
  }
  for (const c of paid) {
    for (const h of plainHashes(c)) if (bytes.includes(h)) found.push(`an unkeyed hash with the CVC of ${c.bookingId}`)
    if (bytes.includes(c.number)) found.push(`the full card number of ${c.bookingId}`)
  }
  if (/cvc|cvv/iu.test(bytes)) found.push("a field named cvc")
  const values = allValues(file)
  for (const c of paid) if (values.includes(c.cvc)) found.push(`a column holding the CVC ${c.cvc}`)
  if (fileKey !== undefined && bytes.includes(fileKey)) found.push("the fingerprint key itself")
  expect(found).toEqual([])
}

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

const payWith = async (card: Omit<PaidCard, "bookingId">, key: string) => {
  const { bookingId, userId } = await h.reserve()
  await h.paymentOf(bookingId)
  const t = await h.token(userId)
  const body = { bookingId, card: { number: card.number, expMonth: card.expMonth, expYear: card.expYear, cvc: card.cvc } }
  const first = await h.pay(t, body, { "idempotency-key": key })
  expect(first.status).toBe(200)
  return { paid: { ...card, bookingId } satisfies PaidCard, t, body, first }
}

describe("no card data at rest", () => {
  test("payments with known CVCs leave no CVC-derived value in payments.db or its WAL, and keys still replay", async () => {
    const cards = [
      { ...SUCCESS_CARD, cvc: "731" },
      { number: "5555555555554444", expMonth: 3, expYear: 2031, cvc: "058" },
      { number: "4000000000000002", expMonth: 9, expYear: 2040, cvc: "964" }
    ]
    const paid: PaidCard[] = []
    for (const card of cards) {
      const key = `pay-${newId()}`
      const { paid: p, t, body, first } = await payWith(card, key)
      paid.push(p)
      // Still idempotent: the same request replays, another card number under the key is refused.
      const again = await h.pay(t, body, { "idempotency-key": key })
      expect(again.status).toBe(200)
      expect(again.body).toEqual(first.body)
      const other = await h.pay(t, { ...body, card: { ...body.card, number: "4111111111111111" } }, { "idempotency-key": key })
      expect(other.status).toBe(422)
      expect(other.body.code).toBe("idempotency_key_reused")
    }
    // While running (the write-ahead log holds the latest pages) and after a clean stop.
    expectNoCardDataAtRest(h.dataDir, paid)
    await h.restart()
    expectNoCardDataAtRest(h.dataDir, paid)
    // People see the last four digits and the brand, nothing more.
    const row = await h.paymentOf(paid[1]!.bookingId)
    const seen = await h.get(`/payments/${row.paymentId}`, await h.token(newId(), "staff"))
    expect(seen.body).toMatchObject({ cardLast4: "4444", cardBrand: "mastercard" })
  })

  test("an existing database's CVC-derived fingerprints and in-database key are removed by the upgrade, freed pages included", async () => {
    const key = `pay-${newId()}`
    const { paid, t, body, first } = await payWith({ ...SUCCESS_CARD, cvc: "417" }, key)
    await h.service.stop()
    // The database as the previous version left it: its secret, and the fingerprint of the payment with the CVC.
    const file = join(h.dataDir, "payments.db")
    const db = new Database(file)
    const secret = "old-in-database-secret-0123456789abcdefghij"
    db.exec("CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    db.prepare("INSERT OR REPLACE INTO secrets (name, value) VALUES ('idempotency-fingerprint', ?)").run(secret)
    db.prepare("UPDATE idempotency_keys SET request_hash = ? WHERE key = ?").run(oldFingerprint(secret, paid, paid.cvc), key)
    const columns = (db.prepare("PRAGMA table_info(payments)").all() as Array<{ name: string }>).map((c) => c.name)
    if (columns.includes("card_brand")) db.exec("ALTER TABLE payments DROP COLUMN card_brand")
    db.exec("DELETE FROM schema_migrations WHERE version >= 3")
    db.close()
    expect(bytesOf(h.dataDir).includes(oldFingerprint(secret, paid, paid.cvc))).toBe(true)

    await h.restart()
    const bytes = bytesOf(h.dataDir)
    expect(bytes.includes(oldFingerprint(secret, paid, paid.cvc))).toBe(false)
    expect(bytes.includes(secret)).toBe(false)
    expectNoCardDataAtRest(h.dataDir, [paid])
    // The key's first answer still replays after the upgrade.
    const again = await h.pay(t, body, { "idempotency-key": key })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
  })
})

describe("the fingerprint key lives outside the database", () => {
  test("production requires PAYMENTS_FINGERPRINT_KEY_FILE outside DATA_DIR; a short or missing key file stops the start naming it; development generates one once beside the database", async () => {
    const { fingerprintKeyFrom } = await import("../src/app/FingerprintKey.ts")
    const { mkdtempSync, writeFileSync, rmSync, statSync } = await import("node:fs")
    const { tmpdir } = await import("node:os")
    const dir = mkdtempSync(join(tmpdir(), "fingerprint-key-"))
    try {
      expect(() => fingerprintKeyFrom({ env: {}, dataDir: dir, production: true })).toThrow(/^PAYMENTS_FINGERPRINT_KEY_FILE must be set in production/)
      const short = join(dir, "short.key")
      writeFileSync(short, "too-short\n")
      expect(() => fingerprintKeyFrom({ env: { PAYMENTS_FINGERPRINT_KEY_FILE: short }, dataDir: dir, production: false })).toThrow(
        /^PAYMENTS_FINGERPRINT_KEY_FILE: .* at least 32 characters/
      )
      expect(() => fingerprintKeyFrom({ env: { PAYMENTS_FINGERPRINT_KEY_FILE: join(dir, "absent.key") }, dataDir: dir, production: false })).toThrow(
        /^PAYMENTS_FINGERPRINT_KEY_FILE: cannot read/
      )
      // In DATA_DIR, a backup of the database directory would carry the key along: refused in production.
      const inData = join(dir, "good.key")
      writeFileSync(inData, "k".repeat(40) + "\n")
      expect(() => fingerprintKeyFrom({ env: { PAYMENTS_FINGERPRINT_KEY_FILE: inData }, dataDir: dir, production: true })).toThrow(
        /^PAYMENTS_FINGERPRINT_KEY_FILE: .* is inside DATA_DIR/
      )
      expect(fingerprintKeyFrom({ env: { PAYMENTS_FINGERPRINT_KEY_FILE: inData }, dataDir: dir, production: false }).toString()).toBe("k".repeat(40))
      const apart = mkdtempSync(join(tmpdir(), "fingerprint-key-etc-"))
      const good = join(apart, "good.key")
      writeFileSync(good, "k".repeat(40) + "\n")
      try {
        expect(fingerprintKeyFrom({ env: { PAYMENTS_FINGERPRINT_KEY_FILE: good }, dataDir: dir, production: true }).toString()).toBe("k".repeat(40))
      } finally {
        rmSync(apart, { recursive: true, force: true })
      }
      const first = fingerprintKeyFrom({ env: {}, dataDir: dir, production: false })
      expect(fingerprintKeyFrom({ env: {}, dataDir: dir, production: false })).toEqual(first)
      expect(statSync(join(dir, DEV_KEY_FILE)).mode & 0o777).toBe(0o600)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
