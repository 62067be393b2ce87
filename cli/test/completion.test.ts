import { describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bashCompletion, zshCompletion } from "../src/commands/completion.ts"
import { buildProgram } from "../src/program.ts"

/** Asks the generated bash script what it completes after `words` (the last one being typed). */
const completeInBash = (script: string, words: string[]): string[] => {
  const dir = mkdtempSync(join(tmpdir(), "bat-cli-completion-"))
  try {
    const file = join(dir, "completion.bash")
    writeFileSync(file, script)
    const quoted = words.map((w) => `'${w}'`).join(" ")
    const probe = `source '${file}'; COMP_WORDS=(bookaticket ${quoted}); COMP_CWORD=${words.length}; _bookaticket_complete; printf '%s\\n' "\${COMPREPLY[@]}"`
    const result = Bun.spawnSync(["bash", "-c", probe])
    expect(result.exitCode).toBe(0)
    return result.stdout.toString().split("\n").filter(Boolean)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("shell completion", () => {
  const bash = bashCompletion(buildProgram())

  test("bash completes the top-level commands", () => {
    const words = completeInBash(bash, [""])
    for (const name of ["login", "cinemas", "halls", "movies", "screenings", "book", "pay", "tickets", "dlq", "completion"]) {
      expect(words).toContain(name)
    }
  })

  test("bash completes subcommands and then their options", () => {
    expect(completeInBash(bash, ["screenings", ""])).toEqual(expect.arrayContaining(["list", "show", "schedule", "update", "cancel", "seats"]))
    expect(completeInBash(bash, ["screenings", "schedule", "--"])).toEqual(
      expect.arrayContaining(["--movie", "--hall", "--starts", "--price", "--json", "--api"]),
    )
    expect(completeInBash(bash, ["cinemas", "de"])).toEqual(["delete"])
  })

  test("the zsh script names every command with its description", () => {
    const zsh = zshCompletion(buildProgram())
    expect(zsh.startsWith("#compdef bookaticket")).toBe(true)
    expect(zsh).toContain("'seats:draw the seat map")
    expect(zsh).toContain("'--seats:1-10 seats")
    expect(zsh).toContain('"screenings:seats"')
  })
})
