// Where a command's results go: JSON alone on stdout with --json, otherwise tables and colour for people.
import Table from "cli-table3"
import picocolors from "picocolors"
import type { Colors } from "picocolors/types"

export interface OutputOptions {
  readonly json: boolean
  /** Colour on stdout; defaults to "stdout is a terminal and NO_COLOR is unset" (FORCE_COLOR forces it). */
  readonly colour?: boolean
  readonly stdout?: (text: string) => void
  readonly stderr?: (text: string) => void
  readonly stderrIsTTY?: boolean
}

const defaultColour = (): boolean => {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return true
  return process.stdout.isTTY === true
}

export class Output {
  readonly json: boolean
  readonly colour: boolean
  readonly c: Colors
  readonly stderrIsTTY: boolean
  private readonly out: (text: string) => void
  private readonly err: (text: string) => void

  constructor(options: OutputOptions) {
    this.json = options.json
    this.colour = options.colour ?? defaultColour()
    this.c = picocolors.createColors(this.colour)
    this.out = options.stdout ?? ((text) => void process.stdout.write(text))
    this.err = options.stderr ?? ((text) => void process.stderr.write(text))
    this.stderrIsTTY = options.stderrIsTTY ?? process.stderr.isTTY === true
  }

  /** The machine-readable result: printed only with --json. */
  data(value: unknown): void {
    if (this.json) this.out(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** Human output on stdout; suppressed with --json so stdout stays parseable. */
  line(text = ""): void {
    if (!this.json) this.out(`${text}\n`)
  }

  /** Progress and hints for people: stderr, never mixed into --json output. */
  note(text: string): void {
    if (!this.json) this.err(`${text}\n`)
  }

  success(text: string): void {
    this.line(`${this.c.green("✔")} ${text}`)
  }

  warn(text: string): void {
    this.err(`${this.c.yellow("warning:")} ${text}\n`)
  }

  /** An error: human text on stderr, or `{"error": {...}}` on stderr with --json. */
  error(message: string, code: string, exitCode: number): void {
    if (this.json) this.err(`${JSON.stringify({ error: { code, message, exitCode } })}\n`)
    else this.err(`${picocolors.createColors(this.stderrIsTTY && this.colour).red("error:")} ${message}\n`)
  }

  /** A table of rows; `(none)` when empty. */
  table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
    if (this.json) return
    if (rows.length === 0) {
      this.line(this.c.dim("(none)"))
      return
    }
    this.line(renderTable(head, rows, this.colour))
  }

  /** Key/value lines for one entity. */
  fields(pairs: ReadonlyArray<readonly [string, string | number]>): void {
    if (this.json) return
    const width = Math.max(...pairs.map(([key]) => key.length)) + 2
    for (const [key, value] of pairs) this.line(`${this.c.bold(key.padEnd(width))}${value}`)
  }

  /** After a list: how to see the next page. */
  more(nextCursor: string | null | undefined, command: string): void {
    if (nextCursor) this.note(this.c.dim(`more: ${command} --cursor ${nextCursor}`))
  }
}

export const renderTable = (head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, colour: boolean): string => {
  const table = new Table({
    head: [...head],
    style: { head: colour ? ["cyan"] : [], border: colour ? ["gray"] : [] },
  })
  for (const row of rows) table.push([...row])
  return table.toString()
}

/** `2026-12-01T18:30:00.000Z` → `2026-12-01 18:30 UTC`. */
export const formatTime = (iso: string | undefined | null): string => {
  if (!iso) return ""
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return iso
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`
}
