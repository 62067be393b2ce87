import { afterEach, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { clearConfig, configDir, configPath, readConfig, tokenExpiry, writeConfig } from "../src/config.ts"

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bat-cli-config-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("config file", () => {
  test("BOOKATICKET_CONFIG_DIR wins, then XDG_CONFIG_HOME, then ~/.config", () => {
    expect(configDir({ BOOKATICKET_CONFIG_DIR: "/x", XDG_CONFIG_HOME: "/y", HOME: "/h" })).toBe("/x")
    expect(configDir({ XDG_CONFIG_HOME: "/y", HOME: "/h" })).toBe("/y/bookaticket")
    expect(configDir({ HOME: "/h" })).toBe("/h/.config/bookaticket")
  })

  test("the token file is written with mode 0600 in a directory only its owner can enter", () => {
    const env = { BOOKATICKET_CONFIG_DIR: join(tempDir(), "nested", "bookaticket") }
    writeConfig({ token: "t", api: "http://localhost:3000" }, env)
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600)
    expect(statSync(configDir(env)).mode & 0o777).toBe(0o700)
    expect(readConfig(env)).toEqual({ token: "t", api: "http://localhost:3000" })
  })

  test("rewriting a file that was readable by others makes it 0600 again", () => {
    const env = { BOOKATICKET_CONFIG_DIR: tempDir() }
    writeFileSync(configPath(env), "{}", { mode: 0o644 })
    writeConfig({ token: "new" }, env)
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600)
  })

  test("a missing or damaged file reads as not logged in, and clearing removes it", () => {
    const env = { BOOKATICKET_CONFIG_DIR: tempDir() }
    expect(readConfig(env)).toEqual({})
    writeFileSync(configPath(env), "not json")
    expect(readConfig(env)).toEqual({})
    expect(clearConfig(env)).toBe(true)
    expect(clearConfig(env)).toBe(false)
  })

  test("a token's expiry is read from its claims", () => {
    const claims = Buffer.from(JSON.stringify({ sub: "u", exp: 1_900_000_000 })).toString("base64url")
    expect(tokenExpiry(`h.${claims}.s`)).toBe(1_900_000_000)
    expect(tokenExpiry("garbage")).toBeUndefined()
  })
})
