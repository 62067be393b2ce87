// A 3-node RabbitMQ cluster of a test's own (rabbitmq/cluster.sh on free ports, with node names,
// data and an Erlang cookie of its own), so a test can kill any node with -9 without touching the
// shared broker. Every node it started is stopped by pid, even when the test process exits early.
import { existsSync, readFileSync, rmSync } from "node:fs"
import net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { repoRoot } from "./fleet.ts"

export interface ClusterNode {
  /** `<prefix><i>@localhost`. */
  readonly name: string
  readonly amqpPort: number
  /** `amqp://guest:guest@127.0.0.1:<port>` (the default vhost). */
  readonly amqpUrl: string
  /** The node's beam.smp process id, or undefined once it was killed. */
  pid(): number | undefined
}

export interface QueueInfo {
  readonly name: string
  readonly type: string
  readonly leader?: string
  readonly members?: ReadonlyArray<string>
}

export interface BrokerCluster {
  readonly nodes: ReadonlyArray<ClusterNode>
  /** Every node's URL, comma-separated: an `AMQP_URL` for the services. */
  readonly amqpUrl: string
  /** Where the nodes' data, logs and cookie live. */
  readonly dir: string
  /** Runs `rabbitmqctl` (or `rabbitmq-queues`) against `node` (default: the first one still up); its stdout. */
  ctl(args: ReadonlyArray<string>, options?: { node?: string; tool?: "rabbitmqctl" | "rabbitmq-queues" }): Promise<string>
  /** Every queue of `vhost` with its type, leader and members (asked of a node that is up). */
  queues(vhost?: string): Promise<ReadonlyArray<QueueInfo>>
  /** The node leading quorum queue `queue`. */
  leaderOf(queue: string, vhost?: string): Promise<string>
  /** `kill -9` of a node; resolves once its AMQP port refuses connections. */
  kill9(nodeName: string): Promise<void>
  /** Stops every node it started (by pid) and deletes its directory. Safe to call twice. */
  destroy(): Promise<void>
}

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(false))
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)))
  })

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A base port whose AMQP (base..base+2) and distribution (base+10..base+12) ports are free. */
const freeBasePort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 2_000) * 10
    const ports = [0, 1, 2, 10, 11, 12, 20, 21, 22].map((d) => base + d)
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base
  }
  throw new Error("no free ports for a cluster")
}

const run = async (cmd: ReadonlyArray<string>, env: Record<string, string | undefined>): Promise<{ code: number; out: string; err: string }> => {
  const p = Bun.spawn([...cmd], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, out, err }
}

/** Every cluster started by this process, stopped when it exits even if a test did not get to. */
const started = new Set<() => void>()
let exitHookInstalled = false
const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const stop of started) stop()
  })
}

/** Starts three nodes with `rabbitmq/cluster.sh up` and joins them into one cluster (about 30–40 s). */
export const startCluster = async (options: { name?: string; basePort?: number } = {}): Promise<BrokerCluster> => {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 6)
  const prefix = `${options.name ?? "bat-c"}-${id}-`
  const basePort = options.basePort ?? (await freeBasePort())
  const dir = join(tmpdir(), `bat-cluster-${id}`)
  const script = join(repoRoot(), "rabbitmq", "cluster.sh")
  const args = ["--base-port", String(basePort), "--dir", dir, "--name", prefix]
  const bin = process.env.RABBITMQ_BIN ?? "/usr/lib/rabbitmq/bin"
  const nodes = [1, 2, 3].map((i) => ({ i, name: `${prefix}${i}@localhost`, amqpPort: basePort + i - 1 }))
  const killed = new Set<string>()
  const pidOf = (i: number): number | undefined => {
    const file = join(dir, `node${i}`, "pid")
    if (!existsSync(file)) return undefined
    const pid = Number(readFileSync(file, "utf8").trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  }
  // Kills every node this cluster started, by pid; used when the process exits without destroy().
  const killAll = () => {
    for (const n of nodes) {
      const pid = pidOf(n.i)
      if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL")
    }
    rmSync(dir, { recursive: true, force: true })
  }
  installExitHook()
  started.add(killAll)

  const up = await run(["bash", script, "up", ...args], process.env)
  if (up.code !== 0) {
    killAll()
    started.delete(killAll)
    throw new Error(`rabbitmq/cluster.sh up failed (${up.code}): ${up.err.trim()}`)
  }

  const ctlEnv = { ...process.env, HOME: join(dir, "home") }
  const firstUp = () => {
    const n = nodes.find((n) => !killed.has(n.name))
    if (!n) throw new Error("every node of the cluster is down")
    return n.name
  }
  const ctl: BrokerCluster["ctl"] = async (ctlArgs, o = {}) => {
    const r = await run([join(bin, o.tool ?? "rabbitmqctl"), "-n", o.node ?? firstUp(), ...ctlArgs], ctlEnv)
    if (r.code !== 0) throw new Error(`${o.tool ?? "rabbitmqctl"} ${ctlArgs.join(" ")} failed (${r.code}): ${(r.err || r.out).trim().slice(0, 1000)}`)
    return r.out
  }
  const queues = async (vhost = "/"): Promise<ReadonlyArray<QueueInfo>> => {
    const out = await ctl(["list_queues", "-p", vhost, "name", "type", "leader", "members", "--formatter", "json", "--quiet"])
    return JSON.parse(out.trim() || "[]") as Array<QueueInfo>
  }

  let destroyed = false
  return {
    nodes: nodes.map((n) => ({
      name: n.name,
      amqpPort: n.amqpPort,
      amqpUrl: `amqp://guest:guest@127.0.0.1:${n.amqpPort}`,
      pid: () => (killed.has(n.name) ? undefined : pidOf(n.i))
    })),
    amqpUrl: nodes.map((n) => `amqp://guest:guest@127.0.0.1:${n.amqpPort}`).join(","),
    dir,
    ctl,
    queues,
    leaderOf: async (queue, vhost = "/") => {
      const q = (await queues(vhost)).find((x) => x.name === queue)
      if (!q?.leader) throw new Error(`queue ${queue} has no leader (${JSON.stringify(q)})`)
      return q.leader
    },
    kill9: async (nodeName) => {
      const n = nodes.find((x) => x.name === nodeName)
      if (!n) throw new Error(`${nodeName} is not a node of this cluster`)
      const pid = pidOf(n.i)
      killed.add(n.name)
      if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL")
      while (pid !== undefined && alive(pid)) await Bun.sleep(50)
      while (await portOpen(n.amqpPort)) await Bun.sleep(50)
    },
    destroy: async () => {
      if (destroyed) return
      destroyed = true
      await run(["bash", script, "down", ...args], process.env).catch(() => undefined)
      killAll()
      started.delete(killAll)
    }
  }
}
