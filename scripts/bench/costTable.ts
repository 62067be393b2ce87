// Formats what each process cost over a measured phase: CPU seconds, CPU ms per decision, memory.
import type { ProcessSample } from "./procStats.ts"

export interface ProcessCost {
  readonly name: string
  readonly pid: number
  /** CPU seconds (user + system) used during the phase. */
  readonly cpu: number
  /** Of which system (kernel) seconds. */
  readonly sys: number
  /** CPU milliseconds per unit (decision or outcome). */
  readonly msPerUnit: number
  /** Share of one core over the phase's wall time. */
  readonly coreShare: number
  readonly rssBytes: number | undefined
  readonly peakRssBytes: number | undefined
}

export const processCosts = (
  before: ReadonlyArray<ProcessSample>,
  after: ReadonlyArray<ProcessSample>,
  units: number,
  wallMs: number,
  memory: (pid: number) => { rss: number | undefined; peak: number | undefined }
): Array<ProcessCost> =>
  after.flatMap((a) => {
    const b = before.find((x) => x.name === a.name && x.pid === a.pid)
    if (b === undefined) return [] // restarted during the phase: its CPU time cannot be split
    const cpu = a.cpu - b.cpu
    const { rss, peak } = memory(a.pid)
    return [{ name: a.name, pid: a.pid, cpu, sys: a.sys - b.sys, msPerUnit: (cpu * 1000) / Math.max(1, units), coreShare: cpu / (wallMs / 1000), rssBytes: rss, peakRssBytes: peak }]
  })

const mb = (bytes: number | undefined) => (bytes === undefined ? "-" : (bytes / 1024 / 1024).toFixed(0))

export const formatCosts = (costs: ReadonlyArray<ProcessCost>, unit: string): string => {
  const total = costs.reduce((s, c) => s + c.cpu, 0)
  const rows = [
    ["process", "pid", "CPU s", "of it sys", `CPU ms/${unit}`, "% of CPU used", "cores busy", "RSS MB", "peak RSS MB"],
    ...costs.map((c) => [
      c.name,
      String(c.pid),
      c.cpu.toFixed(2),
      `${((c.sys / Math.max(c.cpu, 1e-9)) * 100).toFixed(0)}%`,
      c.msPerUnit.toFixed(3),
      `${((c.cpu / Math.max(total, 1e-9)) * 100).toFixed(1)}%`,
      c.coreShare.toFixed(2),
      mb(c.rssBytes),
      mb(c.peakRssBytes)
    ]),
    [
      "total",
      "",
      total.toFixed(2),
      `${((costs.reduce((s, c) => s + c.sys, 0) / Math.max(total, 1e-9)) * 100).toFixed(0)}%`,
      costs.reduce((s, c) => s + c.msPerUnit, 0).toFixed(3),
      "100%",
      costs.reduce((s, c) => s + c.coreShare, 0).toFixed(2),
      "",
      ""
    ]
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n")
}
