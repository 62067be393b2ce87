// The key of the duplicate-charge fingerprint (an HMAC of the card number): kept OUTSIDE the payments database,
// so a copy of the database alone cannot be used to test guesses of a card number (DESIGN §17).
import type { ServiceConfig } from "@bat/http"
import { Context } from "effect"
import { randomBytes } from "node:crypto"
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

export const FINGERPRINT_KEY_SETTING = "PAYMENTS_FINGERPRINT_KEY_FILE"
/** Where a development key is generated when the setting is absent: beside the database, not inside it. */
export const DEV_KEY_FILE = "payments-fingerprint.key"
const MIN_KEY_CHARS = 32

export class FingerprintKey extends Context.Service<FingerprintKey, { readonly key: Buffer }>()(
  "payments/app/FingerprintKey"
) {}

const readKey = (file: string): Buffer => {
  let text: string
  try {
    text = readFileSync(file, "utf8").trim()
  } catch (e) {
    throw new Error(`${FINGERPRINT_KEY_SETTING}: cannot read ${file} (${e instanceof Error ? e.message : String(e)})`)
  }
  if (text.length < MIN_KEY_CHARS) {
    throw new Error(`${FINGERPRINT_KEY_SETTING}: ${file} must hold a key of at least ${MIN_KEY_CHARS} characters (e.g. openssl rand -base64 32)`)
  }
  return Buffer.from(text, "utf8")
}

/** The path with its symbolic links followed as far as they exist (a file not made yet: its directory's). */
const realPath = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    const parent = dirname(path)
    return parent === path ? path : join(realPath(parent), path.slice(parent.length + 1))
  }
}

/** Whether `file` is inside `dir` (after links): a copy or backup of DATA_DIR would then take the key along. */
const isInside = (file: string, dir: string): boolean => {
  const rel = relative(realPath(resolve(dir)), realPath(resolve(file)))
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"))
}

/**
 * The key from `PAYMENTS_FINGERPRINT_KEY_FILE`; required in production. In development, without the setting, a
 * random key is generated once into `DATA_DIR/payments-fingerprint.key` (mode 600) and read from there afterwards.
 */
export const fingerprintKeyFrom = (config: Pick<ServiceConfig, "env" | "dataDir" | "production">): Buffer => {
  const file = config.env[FINGERPRINT_KEY_SETTING]
  if (file !== undefined && file !== "") {
    if (config.production && isInside(file, config.dataDir)) {
      throw new Error(`${FINGERPRINT_KEY_SETTING}: ${file} is inside DATA_DIR; in production the key must live apart from the database it protects (e.g. /etc/bookaticket)`)
    }
    return readKey(file)
  }
  if (config.production) {
    throw new Error(`${FINGERPRINT_KEY_SETTING} must be set in production: a file, outside DATA_DIR, holding the key of card fingerprints`)
  }
  const dir = resolve(config.dataDir)
  const dev = join(dir, DEV_KEY_FILE)
  mkdirSync(dir, { recursive: true })
  try {
    writeFileSync(dev, `${randomBytes(32).toString("base64url")}\n`, { flag: "wx", mode: 0o600 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
  }
  return readKey(dev)
}
