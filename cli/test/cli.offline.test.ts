import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Command } from "commander"
import { freePort, repoRoot } from "@bat/testing"
import { buildProgram } from "../src/program.ts"

const configDir = mkdtempSync(join(tmpdir(), "bat-cli-offline-"))
afterAll(() => rmSync(configDir, { recursive: true, force: true }))

const cli = async (args: string[]) => {
  const proc = Bun.spawn([process.execPath, "cli/src/main.ts", ...args], {
    cwd: repoRoot(),
    env: { ...process.env, BOOKATICKET_CONFIG_DIR: configDir, BOOKATICKET_API: `http://127.0.0.1:${await freePort()}`, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code }
}

const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)]

describe("bookaticket without a running system", () => {
  test("every command's --help has examples", () => {
    for (const command of everyCommand(buildProgram()).filter((c) => c.name() !== "help")) {
      let text = ""
      command.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) })
      command.outputHelp()
      expect(text.includes("Example"), `${command.name()} --help has no examples`).toBe(true)
    }
  })

  test("--help lists the exit codes and exits 0", async () => {
    const result = await cli(["--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("Exit codes:")
  })

  test("no command at all shows the help and exits 2", async () => {
    const result = await cli([])
    expect(result.code).toBe(2)
    expect(result.stdout + result.stderr).toContain("Usage: bookaticket")
  })

  test("with --json, a failure leaves stdout empty and puts a JSON error on stderr", async () => {
    const result = await cli(["whoami", "--json"])
    expect(result.code).toBe(3)
    expect(result.stdout).toBe("")
    expect(JSON.parse(result.stderr)).toEqual({
      error: { code: "not_logged_in", message: "not logged in — run `bookaticket login`", exitCode: 3 },
    })
  })

  test("global options work before the command too", async () => {
    const result = await cli(["--json", "cinemas", "list"])
    expect(result.code).toBe(4)
    expect(JSON.parse(result.stderr).error.code).toBe("unreachable")
  })

  test("an unknown option is a usage error naming it", async () => {
    const result = await cli(["cinemas", "list", "--colour-me-red"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("unknown option '--colour-me-red'")
  })

  test("completion prints a script for bash and refuses other shells", async () => {
    const bash = await cli(["completion", "bash"])
    expect(bash.code).toBe(0)
    expect(bash.stdout).toContain("complete -o default -F _bookaticket_complete bookaticket")
    const fish = await cli(["completion", "fish"])
    expect(fish.code).toBe(2)
    expect(fish.stderr).toContain("bash or zsh")
  })
})
