// CPU time and resident memory of processes, read from /proc (Linux), and the processes listening on ports.
import { readFileSync } from "node:fs"

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100

/** User and system CPU seconds the process has used so far (its own threads; not its children). */
export const cpuTimes = (pid: number): { user: number; sys: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return { user: Number(fields[11]) / TICKS_PER_SECOND, sys: Number(fields[12]) / TICKS_PER_SECOND }
  } catch {
    return undefined
  }
}

/** Resident set size now (VmRSS) and its peak so far (VmHWM), in bytes; undefined once the process is gone. */
export const memory = (pid: number): { rss: number | undefined; peak: number | undefined } => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (field: string) => {
      const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status)
      return m ? Number(m[1]) * 1024 : undefined
    }
    return { rss: kb("VmRSS"), peak: kb("VmHWM") }
  } catch {
    return { rss: undefined, peak: undefined }
  }
}

/** Pid of the process listening on each TCP port (from `ss -ltnpH`), for the ports found. */
export const listeningPids = (ports: ReadonlyArray<number>): Map<number, number> => {
  const out = Bun.spawnSync(["ss", "-ltnpH"]).stdout.toString()
  const found = new Map<number, number>()
  for (const line of out.split("\n")) {
    const cols = line.trim().split(/\s+/)
    const port = Number(cols[3]?.slice(cols[3].lastIndexOf(":") + 1))
    const pid = /pid=(\d+)/.exec(line)?.[1]
    if (pid !== undefined && ports.includes(port) && !found.has(port)) found.set(port, Number(pid))
  }
  return found
}

export interface ProcessSample {
  readonly name: string
  readonly pid: number
  /** User + system CPU seconds. */
  readonly cpu: number
  /** System CPU seconds (in the kernel on the process's behalf: file and socket I/O). */
  readonly sys: number
}

/** CPU seconds of each named process now; processes that have gone are left out. */
export const sampleCpu = (procs: ReadonlyArray<{ readonly name: string; readonly pid: number }>): Array<ProcessSample> =>
  procs.flatMap((p) => {
    const t = cpuTimes(p.pid)
    return t === undefined ? [] : [{ ...p, cpu: t.user + t.sys, sys: t.sys }]
  })

/** `/proc/loadavg`'s first three figures, e.g. `1.44 0.66 0.28`. */
export const loadAverage = (): string => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")
  } catch {
    return "unknown"
  }
}
