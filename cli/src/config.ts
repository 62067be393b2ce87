// The per-user config file holding the access token: created with mode 0600 in a 0700 directory.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"

export interface StoredUser {
  readonly userId: string
  readonly fullName: string
  readonly email: string
  readonly role: "customer" | "staff"
}

export interface StoredConfig {
  /** The API the token was issued by. */
  readonly api?: string
  readonly token?: string
  readonly user?: StoredUser
}

type Env = Record<string, string | undefined>

/** `$BOOKATICKET_CONFIG_DIR`, else `$XDG_CONFIG_HOME/bookaticket`, else `~/.config/bookaticket`. */
export const configDir = (env: Env = process.env): string => {
  if (env.BOOKATICKET_CONFIG_DIR) return env.BOOKATICKET_CONFIG_DIR
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config")
  return join(base, "bookaticket")
}

export const configPath = (env: Env = process.env): string => join(configDir(env), "config.json")

export const readConfig = (env: Env = process.env): StoredConfig => {
  const path = configPath(env)
  if (!existsSync(path)) return {}
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"))
    return typeof parsed === "object" && parsed !== null ? (parsed as StoredConfig) : {}
  } catch {
    // A damaged file is treated as "not logged in"; the next login rewrites it.
    return {}
  }
}

/** Writes atomically (temp file + rename) so the token is never readable by others, even briefly. */
export const writeConfig = (config: StoredConfig, env: Env = process.env): void => {
  const dir = configDir(env)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = configPath(env)
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  // The mode argument is filtered by the umask; set it explicitly.
  chmodSync(temp, 0o600)
  renameSync(temp, path)
}

export const clearConfig = (env: Env = process.env): boolean => {
  const path = configPath(env)
  if (!existsSync(path)) return false
  rmSync(path)
  return true
}

/** Seconds since the epoch at which a JWT expires, or undefined if it cannot be read. */
export const tokenExpiry = (token: string): number | undefined => {
  const payload = token.split(".")[1]
  if (payload === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
    const exp = (claims as { exp?: unknown }).exp
    return typeof exp === "number" ? exp : undefined
  } catch {
    return undefined
  }
}
