// The page's bundle: built by Bun into hashed files named by index.html, small, and fetching nothing from elsewhere.
import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildPage, isFresh } from "../build.ts"

const root = mkdtempSync(join(tmpdir(), "bat-web-build-"))
const dist = join(root, "dist")

afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("the web page build", () => {
  test("one hashed script under 150 KB and one stylesheet, both named by index.html, nothing from another origin", async () => {
    expect(isFresh(dist)).toBe(false)
    const built = await buildPage(dist)
    console.log(`web page script: ${(built.scriptBytes / 1024).toFixed(1)} KB minified`)
    expect(built.scriptBytes).toBeLessThan(150 * 1024)
    expect(built.script).toMatch(/^\/assets\/main-[a-z0-9]+\.js$/)
    expect(built.styles).toHaveLength(1)
    const assets = readdirSync(join(dist, "assets")).sort()
    expect(assets.map((name) => `/assets/${name}`).sort()).toEqual([built.script, ...built.styles].sort())
    const index = readFileSync(join(dist, "index.html"), "utf8")
    expect(index).toContain(`src="${built.script}"`)
    for (const href of built.styles) expect(index).toContain(`href="${href}"`)
    for (const file of ["index.html", ...assets.map((a) => join("assets", a))]) {
      // No CDN, no web font: any absolute URL in what the browser loads would be fetched from elsewhere.
      const text = readFileSync(join(dist, file), "utf8")
      expect(text.match(/(?:src|href)=["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\/|@import\s+["']?(?:https?:)?\/\//g)).toBeNull()
    }
    expect(isFresh(dist)).toBe(true)
  }, 30_000)
})
