// A RabbitMQ node of a test's own (own name, ports and data directory), started from the locally
// installed rabbitmq-server, so a test can kill it with -9 and start it again without touching the
// shared broker.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceUsersDefinitions } from "@bat/messaging";
import { freePort } from "./fleet.ts";

export interface PrivateBroker {
  readonly nodeName: string;
  /** `amqp://guest:guest@127.0.0.1:<port>` (its default vhost). */
  readonly amqpUrl: string;
  /** The node's OS process id (beam.smp), or undefined while it is down. */
  pid(): number | undefined;
  /** `kill -9` of the node; resolves once its AMQP port refuses connections. */
  kill9(): Promise<void>;
  /** Starts the node again on the same ports and data; resolves once it has finished booting. */
  start(): Promise<void>;
  /** Stops the node (SIGTERM, then SIGKILL) and deletes its data. */
  destroy(): Promise<void>;
}

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts a private node from `/usr/lib/rabbitmq/bin/rabbitmq-server` (or `RABBITMQ_SERVER`); about
 * 10 s. It resolves only once the node logged that start-up is complete and its log handlers are
 * active: a node killed earlier than that can lose the quorum queues declared meanwhile.
 */
export const startPrivateBroker = async (options: { name?: string; startTimeoutMs?: number } = {}): Promise<PrivateBroker> => {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const nodeName = `${options.name ?? "bat-test"}-${id}@localhost`;
  const amqpPort = await freePort();
  const distPort = await freePort();
  const base = join(tmpdir(), `bat-broker-${id}`);
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, "enabled_plugins"), "[].\n");
  // The per-service broker users (DESIGN §17) with their development passwords and permissions on "/",
  // loaded at boot; guest stays for the tests' own administrative connections.
  writeFileSync(join(base, "definitions.json"), JSON.stringify(serviceUsersDefinitions({ vhost: "/" })));
  writeFileSync(join(base, "rabbitmq.conf"), `loopback_users = none\nload_definitions = ${join(base, "definitions.json")}\n`);
  const pidFile = join(base, "pid");
  const logFile = join(base, "log", `${nodeName}.log`);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(base, "mnesia"),
    RABBITMQ_LOG_BASE: join(base, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, "enabled_plugins"),
    RABBITMQ_CONFIG_FILE: join(base, "rabbitmq"),
    RABBITMQ_PID_FILE: pidFile,
  };
  const server = process.env.RABBITMQ_SERVER ?? "/usr/lib/rabbitmq/bin/rabbitmq-server";
  let nodePid: number | undefined;

  const booted = (since: number): boolean => {
    if (!existsSync(logFile)) return false;
    const log = readFileSync(logFile, "utf8").slice(since);
    return log.includes("Server startup complete") && log.includes("log handlers are now ACTIVE");
  };

  const start = async () => {
    rmSync(pidFile, { force: true });
    const since = existsSync(logFile) ? readFileSync(logFile, "utf8").length : 0;
    const proc = Bun.spawn([server], { env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    const deadline = performance.now() + (options.startTimeoutMs ?? 60_000);
    while (!(booted(since) && (await portOpen(amqpPort)))) {
      if (proc.exitCode !== null) throw new Error(`private broker ${nodeName} exited with ${proc.exitCode}; see ${logFile}`);
      if (performance.now() > deadline) throw new Error(`private broker ${nodeName} did not finish starting; see ${logFile}`);
      await Bun.sleep(200);
    }
    nodePid = Number(readFileSync(pidFile, "utf8").trim());
  };

  const kill9 = async () => {
    const pid = nodePid;
    nodePid = undefined;
    if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
    while (pid !== undefined && alive(pid)) await Bun.sleep(50);
    while (await portOpen(amqpPort)) await Bun.sleep(50);
  };

  await start();
  return {
    nodeName,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    pid: () => nodePid,
    kill9,
    start,
    destroy: async () => {
      const pid = nodePid;
      if (pid !== undefined && alive(pid)) {
        process.kill(pid, "SIGTERM");
        const deadline = performance.now() + 15_000;
        while (alive(pid) && performance.now() < deadline) await Bun.sleep(100);
      }
      await kill9();
      rmSync(base, { recursive: true, force: true });
    },
  };
};
