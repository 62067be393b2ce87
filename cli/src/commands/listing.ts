// Options shared by list commands: --limit and --cursor, passed to the API as its paging query.
import type { Command } from "commander"
import { parsePositiveInt } from "../parse.ts"

export interface PageOptions {
  readonly limit?: string
  readonly cursor?: string
}

export const withPaging = (command: Command): Command =>
  command
    .option("--limit <n>", "how many to show (1-200, default 50)")
    .option("--cursor <cursor>", "continue after a previous page (printed as `more:`)")

export const pageQuery = (opts: PageOptions): { limit?: number; cursor?: string } => ({
  ...(opts.limit === undefined ? {} : { limit: parsePositiveInt(opts.limit, "--limit", 200) }),
  ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
})

/** `A-H×14, J×10`: consecutive rows of equal size folded together. */
export const describeRows = (rows: ReadonlyArray<{ label: string; seats: number }>): string => {
  const groups: { from: string; to: string; seats: number }[] = []
  for (const row of rows) {
    const last = groups[groups.length - 1]
    if (last && last.seats === row.seats) last.to = row.label
    else groups.push({ from: row.label, to: row.label, seats: row.seats })
  }
  return groups.map((g) => `${g.from === g.to ? g.from : `${g.from}-${g.to}`}×${g.seats}`).join(", ")
}
