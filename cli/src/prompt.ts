// Questions on the terminal (stderr + stdin): plain, hidden for passwords, and yes/no confirmations.
import { createInterface } from "node:readline/promises"
import { CliError, ExitCode, usageError } from "./errors.ts"

/** True when a person can answer: stdin and stderr are both terminals. */
export const canPrompt = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true

export const ask = async (question: string): Promise<string> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  try {
    return (await rl.question(question)).trim()
  } finally {
    rl.close()
  }
}

/** Reads a line without echoing it (raw mode); Ctrl-C interrupts. */
export const askHidden = (question: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(question)
    let value = ""
    const finish = (error?: CliError) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off("data", onData)
      process.stderr.write("\n")
      if (error) reject(error)
      else resolve(value)
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish()
        if (ch === "\u0003") return finish(new CliError("interrupted", ExitCode.interrupted, "interrupted"))
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1)
        else if (ch >= " ") value += ch
      }
    }
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on("data", onData)
  })

/** All of stdin, without its final line break (for `--password-stdin`). */
export const readStdin = async (): Promise<string> => {
  const text = await new Response(Bun.stdin.stream()).text()
  return text.replace(/\r?\n$/, "")
}

/**
 * Asks before a destructive action unless `--yes` was given. With no terminal it refuses (exit 2),
 * because a script that forgot `--yes` must not delete things by accident or hang on a question.
 */
export const confirmOrRefuse = async (what: string, yes: boolean): Promise<void> => {
  if (yes) return
  if (!canPrompt()) {
    throw usageError(`refusing to ${what} without confirmation: no terminal to ask on; add --yes to confirm`)
  }
  const answer = (await ask(`${what}? [y/N] `)).toLowerCase()
  if (answer !== "y" && answer !== "yes") throw new CliError("cancelled; nothing was changed", ExitCode.apiFailure, "cancelled")
}
