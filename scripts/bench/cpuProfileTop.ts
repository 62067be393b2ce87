// `bun scripts/bench/cpuProfileTop.ts <file.cpuprofile> [top=25]`: where a CPU profile's time went —
// the functions with the most self time and the most total time (each sample counted once per function
// on its stack), and self time by file and by package. Work on threads other than the JavaScript thread
// (Bun's HTTP server and fetch internals, socket I/O) is not sampled.
import { readFileSync } from "node:fs"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
  readonly startTime: number
  readonly endTime: number
}

/** A file path shortened to what identifies it: `services/booking/src/...` or `node_modules/<pkg>/...`. */
export const shortUrl = (url: string): string => {
  const path = url.replace(/^file:\/\//, "")
  const nm = path.lastIndexOf("node_modules/")
  if (nm >= 0) return path.slice(nm)
  for (const root of ["/services/", "/packages/", "/scripts/", "/cli/"]) {
    const at = path.indexOf(root)
    if (at >= 0) return path.slice(at + 1)
  }
  return path === "" ? "(native)" : path
}

/** `node_modules/effect`, `packages/messaging`, `services/booking`, or `(native)`. */
export const packageOf = (url: string): string => {
  const s = shortUrl(url)
  const m = /^node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(s) ?? /^(services\/[^/]+|packages\/[^/]+|scripts|cli)/.exec(s)
  return m ? m[0] : s.startsWith("/") ? "(runtime)" : s
}

export interface ProfileSummary {
  readonly totalMs: number
  readonly idleMs: number
  readonly self: Array<[string, number]>
  readonly total: Array<[string, number]>
  readonly byFile: Array<[string, number]>
  readonly byPackage: Array<[string, number]>
}

export const summarise = (profile: CpuProfile): ProfileSummary => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (f: CallFrame) => `${f.functionName || "(anonymous)"}  ${shortUrl(f.url)}:${f.lineNumber + 1}`
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const byFile = new Map<string, number>()
  const byPackage = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
  const deltas = [...profile.timeDeltas].sort((a, b) => a - b)
  // The sampling interval: the shortest delta that is common (the 10th percentile), 1 ms by default.
  const interval = Math.max(1, deltas[Math.floor(deltas.length * 0.1)] ?? 1000)
  let totalUs = 0
  let idleUs = 0
  profile.samples.forEach((id, i) => {
    // Bun's profiler samples only while JavaScript (or a native call from it) runs, but its time deltas
    // are wall time, so a delta after an idle spell would charge the idle time to whatever ran before it.
    // Every sample therefore counts as one sampling interval instead.
    const us = interval
    const node = byId.get(id)
    if (node === undefined) return
    if (node.callFrame.functionName === "(idle)") {
      idleUs += us
      return
    }
    totalUs += us
    add(self, keyOf(node.callFrame), us)
    add(byFile, shortUrl(node.callFrame.url), us)
    add(byPackage, packageOf(node.callFrame.url), us)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)
      if (n === undefined || n.callFrame.functionName === "(root)") continue
      const k = keyOf(n.callFrame)
      if (!seen.has(k)) {
        seen.add(k)
        add(total, k, us)
      }
    }
  })
  const sorted = (m: Map<string, number>) => [...m].map(([k, v]) => [k, v / 1000] as [string, number]).sort((a, b) => b[1] - a[1])
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, self: sorted(self), total: sorted(total), byFile: sorted(byFile), byPackage: sorted(byPackage) }
}

export const formatSummary = (s: ProfileSummary, top: number): string => {
  const pct = (ms: number) => `${((ms / Math.max(s.totalMs, 1e-9)) * 100).toFixed(1).padStart(5)}%`
  const list = (title: string, rows: Array<[string, number]>) =>
    [`${title}:`, ...rows.slice(0, top).map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}  ${k}`)].join("\n")
  return [
    `${(s.totalMs / 1000).toFixed(2)} s of samples while JavaScript or a native call from it ran (one sampling interval each)`,
    list("self time by package", s.byPackage),
    list("self time by file", s.byFile),
    list("self time by function", s.self),
    list("total time by function (each sample once per function on its stack)", s.total)
  ].join("\n\n")
}

if (import.meta.main) {
  const [file, top] = process.argv.slice(2)
  if (file === undefined) {
    console.error("usage: bun scripts/bench/cpuProfileTop.ts <file.cpuprofile> [top]")
    process.exit(2)
  }
  console.log(formatSummary(summarise(JSON.parse(readFileSync(file, "utf8")) as CpuProfile), Number(top ?? 25)))
}
