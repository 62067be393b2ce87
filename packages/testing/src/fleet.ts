// Starts and stops the services as child processes, found from their package.json "bookaticket" field,
// and (when asked) restarts one that dies. Used by `bun run start` and by end-to-end tests.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { dirname, join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { brokerServices, brokerUserOf, declareOperatorLayout, devBrokerPassword, passwordSettingOf } from "@bat/messaging";

/** A service as declared in `services/<name>/package.json` under `"bookaticket"`. */
export interface ServiceManifest {
  /** The directory name under services/, e.g. `users`. */
  readonly name: string;
  readonly dir: string;
  /** Default port, used unless the `portEnv` variable is set. */
  readonly defaultPort: number;
  /** Environment variable holding its port, e.g. `USERS_PORT`. */
  readonly portEnv: string;
  /** Start order, lowest first; services with the same order start together. */
  readonly order: number;
}

export type Env = Record<string, string | undefined>;

/**
 * How a service that exits on its own after start-up is restarted. The delay doubles with each crash
 * since the service last ran `resetAfterMs` without one; `maxCrashes` crashes within `windowMs` leave
 * it down.
 */
export interface RestartPolicy {
  /** Delay before the first restart. */
  readonly initialDelayMs: number;
  /** The delay never grows past this. */
  readonly maxDelayMs: number;
  /** This many crashes within `windowMs` leave the service down (the last crash is not restarted). */
  readonly maxCrashes: number;
  readonly windowMs: number;
  /** A process that ran this long counts as healthy: its crash is restarted after `initialDelayMs` again. */
  readonly resetAfterMs: number;
}

/** 1 s doubling to 30 s; 5 crashes within 60 s leave a service down; 60 s up resets the delay. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
  resetAfterMs: 60_000,
};

/** What the supervisor did about a service that exited on its own (see `FleetOptions.restart`). */
export type SupervisionEvent =
  | {
      readonly type: "restart-scheduled";
      readonly service: string;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly delayMs: number;
      /** Crashes within the last `windowMs`, this one included. */
      readonly crashes: number;
      readonly maxCrashes: number;
      readonly windowMs: number;
    }
  | { readonly type: "restarted"; readonly service: string; readonly pid: number }
  | { readonly type: "ready-again"; readonly service: string; readonly pid: number; readonly downMs: number }
  | { readonly type: "not-ready"; readonly service: string; readonly pid: number; readonly waitedMs: number }
  | {
      readonly type: "left-down";
      readonly service: string;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly crashes: number;
      readonly windowMs: number;
    };

export interface FleetOptions {
  /** Environment for the children, over the defaults (see `fleetEnv`). Default: `process.env`. */
  readonly env?: Env;
  /** Names of the services to start (default: all discovered). The others' ports are still exported. */
  readonly services?: readonly string[];
  /** `"env"` (default): ports from `<NAME>_PORT` or the declared default. `"free"`: pick unused ports. */
  readonly ports?: "env" | "free";
  /** Repository root (default: found from this file). */
  readonly root?: string;
  /** How long each start-up group may take to answer `/ready` 200 (default `START_TIMEOUT_MS` or 30 000). */
  readonly readyTimeoutMs?: number;
  /** How long a service may take to exit after SIGTERM before SIGKILL (default 5 000). */
  readonly stopGraceMs?: number;
  /** Receives every output line of every child. Default: kept only in `logs(name)`. */
  readonly onOutput?: (service: string, line: string, stream: "stdout" | "stderr") => void;
  /** Called when a service exits that was not asked to (after start-up has completed). */
  readonly onUnexpectedExit?: (service: string, exitCode: number | null, signal: string | null) => void;
  /**
   * Restart a service that exits on its own after start-up, with backoff (`true`: DEFAULT_RESTART_POLICY;
   * an object overrides parts of it). Default: no restarts, exits are only reported. Exits asked for
   * (`stop`, `kill`, `restart`) are never restarted. A restarted service keeps its port and environment.
   */
  readonly restart?: boolean | Partial<RestartPolicy>;
  /** Told each step the supervisor takes: restart scheduled, restarted, ready again (or not in time), left down. */
  readonly onSupervision?: (event: SupervisionEvent) => void;
  /** Aborting it during start-up stops what was started and rejects. */
  readonly signal?: AbortSignal;
}

export interface Fleet {
  /** Base URL of every started service by name, e.g. `{ users: "http://127.0.0.1:3001", gateway: ... }`. */
  readonly urls: Readonly<Record<string, string>>;
  /** Port of every discovered service by name (started or not). */
  readonly ports: Readonly<Record<string, number>>;
  /** The environment every child was started with. */
  readonly env: Readonly<Record<string, string>>;
  /** The started services, in start order. */
  readonly services: readonly ServiceManifest[];
  /** SIGTERM to every running service, SIGKILL after the grace period; resolves when all have exited. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (default SIGKILL) to one service and resolves when it has exited. The exit is
   * expected: the service stays down (a pending automatic restart is cancelled) until `restart`.
   */
  kill(name: string, signal?: NodeJS.Signals | number): Promise<void>;
  /**
   * Stops the service if it runs (SIGTERM, then SIGKILL), starts it again and waits for `/ready`.
   * Also brings back a service left down; its crash count starts afresh.
   */
  restart(name: string): Promise<void>;
  /** Whether the service's process is running. */
  isRunning(name: string): boolean;
  /** The process id of the service's running process, or undefined while it is down. */
  pid(name: string): number | undefined;
  /** Its most recent output lines (the last 200). */
  logs(name: string): readonly string[];
}

export class FleetStartError extends Error {
  constructor(
    readonly service: string,
    reason: string,
    readonly recentOutput: readonly string[],
  ) {
    super(
      `${service} failed to start: ${reason}` +
        (recentOutput.length > 0 ? `\n--- last output of ${service} ---\n${recentOutput.join("\n")}` : ""),
    );
    this.name = "FleetStartError";
  }
}

const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

/**
 * A child's broker credentials (DESIGN §17): its own user `bookaticket-<service>`, with the password
 * from `AMQP_PASSWORD_<SERVICE>` or its development one; `AMQP_URL` names the node(s) and vhost.
 * `BROKER_USERS=shared` keeps every child on `AMQP_URL`'s own credentials (refused in production).
 */
export const brokerEnvOf = (service: string, env: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  if (env.BROKER_USERS === "shared" || !brokerServices.includes(service)) return {};
  return { AMQP_USER: brokerUserOf(service), AMQP_PASSWORD: env[passwordSettingOf(service)] || devBrokerPassword(service) };
};

/**
 * The operator's layout on the fleet's vhost, declared with `AMQP_URL`'s own (administrator)
 * credentials before the services start, as `rabbitmq/ensure-broker.sh` does: a service running as its
 * own user may not declare the others' inboxes. Tries each node; a failure is only reported (the
 * services then wait for the layout, or declare their own parts and converge).
 */
const declareFleetLayout = async (env: Readonly<Record<string, string>>, report: (line: string) => void): Promise<void> => {
  if (env.BROKER_USERS === "shared") return;
  const limit = env.INBOX_DELIVERY_LIMIT ? Number(env.INBOX_DELIVERY_LIMIT) : undefined;
  let last: unknown;
  for (const url of (env.AMQP_URL ?? DEFAULT_AMQP_URL).split(",").map((u) => u.trim()).filter(Boolean)) {
    try {
      return await declareOperatorLayout(url, limit);
    } catch (e) {
      last = e;
    }
  }
  report(`could not declare the broker layout ahead of the services: ${String(last)}`);
};
const DEFAULT_HOLD_TTL_MS = "900000";
const LOG_LINES_KEPT = 200;

/** The repository root: the nearest directory above this file with a `services/` folder and a package.json. */
export const repoRoot = (): string => {
  let dir = import.meta.dir;
  while (!(existsSync(join(dir, "services")) && existsSync(join(dir, "package.json")))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root (with services/) above ${import.meta.dir}`);
    dir = up;
  }
  return dir;
};

/** Every `services/<name>/package.json` with a valid `"bookaticket"` field, sorted by order then name. */
export const discoverServices = (root: string = repoRoot()): ServiceManifest[] => {
  const servicesDir = join(root, "services");
  const found: ServiceManifest[] = [];
  for (const entry of readdirSync(servicesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(servicesDir, entry.name);
    const manifestPath = join(dir, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bookaticket?: unknown };
    const field = manifest.bookaticket as { port?: unknown; portEnv?: unknown; order?: unknown } | undefined;
    if (field === undefined) continue;
    if (
      typeof field !== "object" ||
      field === null ||
      !Number.isInteger(field.port) ||
      typeof field.portEnv !== "string" ||
      !/^[A-Z][A-Z0-9_]*$/.test(field.portEnv)
    ) {
      throw new Error(
        `${manifestPath}: "bookaticket" must be { "port": <integer>, "portEnv": "<NAME>_PORT", "order": <number> }`,
      );
    }
    found.push({
      name: entry.name,
      dir,
      defaultPort: field.port as number,
      portEnv: field.portEnv,
      order: typeof field.order === "number" ? field.order : 50,
    });
  }
  return found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
};

const parsePort = (value: string, variable: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${variable}=${value} is not a port`);
  return port;
};

/** An unused TCP port on 127.0.0.1, as the OS hands it out. */
export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address !== null && typeof address === "object" ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
  });

/**
 * The environment every child gets: `env` passed through, plus defaults for DATA_DIR (absolute,
 * created; default `<root>/data`), AMQP_URL, HOLD_TTL_MS, every service's `<NAME>_PORT`, and
 * JWKS_URL (the users service's JWKS). `PORT` is set per child.
 */
export const fleetEnv = (
  services: readonly ServiceManifest[],
  env: Env,
  root: string,
  ports: Readonly<Record<string, number>> = {},
): { env: Record<string, string>; ports: Record<string, number> } => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;

  const dataDir = resolve(process.cwd(), out.DATA_DIR ?? join(root, "data"));
  mkdirSync(dataDir, { recursive: true });
  out.DATA_DIR = dataDir;
  out.AMQP_URL ??= DEFAULT_AMQP_URL;
  out.HOLD_TTL_MS ??= DEFAULT_HOLD_TTL_MS;

  const resolved: Record<string, number> = {};
  for (const service of services) {
    const chosen = ports[service.name];
    const fromEnv = out[service.portEnv];
    const port =
      chosen ?? (fromEnv !== undefined && fromEnv !== "" ? parsePort(fromEnv, service.portEnv) : service.defaultPort);
    resolved[service.name] = port;
    out[service.portEnv] = String(port);
  }
  out.JWKS_URL ??= `http://127.0.0.1:${out.USERS_PORT ?? "3001"}/users/.well-known/jwks.json`;
  return { env: out, ports: resolved };
};

interface Running {
  readonly service: ServiceManifest;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Set when we asked it to exit, so its exit is not reported as unexpected. */
  expectedExit: boolean;
  /** Resolves once its output is fully read (after exit). */
  drained: Promise<void>;
  /** `performance.now()` when it was spawned. */
  readonly startedAt: number;
}

/** Per service: what the supervisor remembers between crashes. */
interface Supervision {
  /** `performance.now()` of each crash within the policy's window. */
  crashes: number[];
  /** Crashes since the service last ran `resetAfterMs` without one: the exponent of the delay. */
  consecutive: number;
  /** A scheduled restart. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

const resolvePolicy = (restart: FleetOptions["restart"]): RestartPolicy | undefined => {
  if (restart === undefined || restart === false) return undefined;
  const policy = { ...DEFAULT_RESTART_POLICY, ...(restart === true ? {} : restart) };
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`restart.${key} must be a number >= 0, got ${value}`);
  }
  if (policy.maxCrashes < 1) throw new Error(`restart.maxCrashes must be at least 1, got ${policy.maxCrashes}`);
  return policy;
};

/**
 * Opt-in CPU profiling for benchmarks: with `BAT_CPU_PROF_DIR` set, each service (or only those named
 * in the comma-separated `BAT_CPU_PROF_SERVICES`) runs under `bun --cpu-prof` and writes
 * `<dir>/<service>-<time>.cpuprofile` when it exits.
 */
export const cpuProfileArgs = (env: Readonly<Record<string, string>>, service: string): string[] => {
  const dir = env.BAT_CPU_PROF_DIR;
  if (dir === undefined || dir === "") return [];
  const only = (env.BAT_CPU_PROF_SERVICES ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (only.length > 0 && !only.includes(service)) return [];
  const target = resolve(process.cwd(), dir);
  mkdirSync(target, { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${target}`, `--cpu-prof-name=${service}-${Date.now()}.cpuprofile`];
};

const isAlive = (entry: Running): boolean => entry.proc.exitCode === null && entry.proc.signalCode === null;

const pumpLines = async (
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> => {
  const decoder = new TextDecoder();
  let pending = "";
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, newline).replace(/\r$/, ""));
        pending = pending.slice(newline + 1);
      }
    }
  } catch {
    // The pipe closes with the process; nothing left to read.
  }
  pending += decoder.decode();
  if (pending.length > 0) onLine(pending);
};

const isReady = async (url: string): Promise<boolean> => {
  try {
    const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
};

/**
 * Starts the services (all discovered, or `options.services`) in `order`, each group waiting for
 * `/ready` 200 before the next starts. If one exits or is not ready in time, stops the rest and
 * rejects with a FleetStartError carrying its last output.
 */
export const startFleet = async (options: FleetOptions = {}): Promise<Fleet> => {
  const root = options.root ?? repoRoot();
  const discovered = discoverServices(root);
  const unknown = (options.services ?? []).filter((name) => !discovered.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown service(s): ${unknown.join(", ")}; found: ${discovered.map((s) => s.name).join(", ")}`);
  }
  const selected = options.services
    ? discovered.filter((s) => options.services?.includes(s.name))
    : discovered;

  const chosenPorts: Record<string, number> = {};
  if (options.ports === "free") for (const s of selected) chosenPorts[s.name] = await freePort();
  const { env, ports } = fleetEnv(discovered, options.env ?? process.env, root, chosenPorts);

  const readyTimeoutMs = options.readyTimeoutMs ?? Number(env.START_TIMEOUT_MS ?? 30_000);
  const stopGraceMs = options.stopGraceMs ?? 5_000;
  const urls: Record<string, string> = {};
  for (const s of selected) urls[s.name] = `http://127.0.0.1:${ports[s.name]}`;

  const running = new Map<string, Running>();
  const logs = new Map<string, string[]>();
  const policy = resolvePolicy(options.restart);
  const supervision = new Map<string, Supervision>();
  let startupComplete = false;
  let stopped = false;

  const record = (name: string, line: string, stream: "stdout" | "stderr") => {
    let lines = logs.get(name);
    if (lines === undefined) logs.set(name, (lines = []));
    lines.push(line);
    if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
    options.onOutput?.(name, line, stream);
  };

  const supervisionOf = (name: string): Supervision => {
    let state = supervision.get(name);
    if (state === undefined) supervision.set(name, (state = { crashes: [], consecutive: 0, timer: undefined }));
    return state;
  };

  const cancelRestart = (name: string): void => {
    const state = supervision.get(name);
    if (state?.timer !== undefined) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
  };

  const spawn = (service: ServiceManifest): Running => {
    const proc = Bun.spawn([process.execPath, ...cpuProfileArgs(env, service.name), "src/main.ts"], {
      cwd: service.dir,
      env: { ...env, PORT: String(ports[service.name]), ...brokerEnvOf(service.name, env) },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const entry: Running = {
      service,
      proc,
      expectedExit: false,
      drained: Promise.resolve(),
      startedAt: performance.now(),
    };
    entry.drained = Promise.all([
      pumpLines(proc.stdout, (line) => record(service.name, line, "stdout")),
      pumpLines(proc.stderr, (line) => record(service.name, line, "stderr")),
    ]).then(() => undefined);
    running.set(service.name, entry);
    void proc.exited.then(async () => {
      const exitedAt = performance.now();
      await entry.drained;
      if (running.get(service.name) !== entry || entry.expectedExit || !startupComplete) return;
      const signal = proc.signalCode === null ? null : String(proc.signalCode);
      options.onUnexpectedExit?.(service.name, proc.exitCode, signal);
      if (policy !== undefined && !stopped) supervise(entry, proc.exitCode, signal, exitedAt);
    });
    return entry;
  };

  /** Decides what to do about `entry`, which exited on its own: restart it after a delay, or leave it down. */
  const supervise = (entry: Running, exitCode: number | null, signal: string | null, exitedAt: number): void => {
    if (policy === undefined) return;
    const name = entry.service.name;
    const state = supervisionOf(name);
    state.crashes = state.crashes.filter((at) => exitedAt - at < policy.windowMs);
    state.crashes.push(exitedAt);
    if (exitedAt - entry.startedAt >= policy.resetAfterMs) state.consecutive = 0;
    state.consecutive += 1;
    if (state.crashes.length >= policy.maxCrashes) {
      options.onSupervision?.({
        type: "left-down",
        service: name,
        exitCode,
        signal,
        crashes: state.crashes.length,
        windowMs: policy.windowMs,
      });
      return;
    }
    const delayMs = Math.min(policy.initialDelayMs * 2 ** (state.consecutive - 1), policy.maxDelayMs);
    options.onSupervision?.({
      type: "restart-scheduled",
      service: name,
      exitCode,
      signal,
      delayMs,
      crashes: state.crashes.length,
      maxCrashes: policy.maxCrashes,
      windowMs: policy.windowMs,
    });
    state.timer = setTimeout(() => {
      state.timer = undefined;
      // Someone else (stop, kill, restart) has decided about this service in the meantime.
      if (stopped || running.get(name) !== entry || entry.expectedExit) return;
      const next = spawn(entry.service);
      options.onSupervision?.({ type: "restarted", service: name, pid: next.proc.pid });
      void watchReady(next, exitedAt);
    }, delayMs);
  };

  /** Reports when a restarted service answers `/ready` 200 again, or that it did not within `readyTimeoutMs`. */
  const watchReady = async (entry: Running, downSince: number): Promise<void> => {
    const name = entry.service.name;
    const deadline = entry.startedAt + readyTimeoutMs;
    const current = () => !stopped && running.get(name) === entry && !entry.expectedExit && isAlive(entry);
    while (current()) {
      if (await isReady(urls[name] as string)) {
        if (current()) {
          const downMs = performance.now() - downSince;
          options.onSupervision?.({ type: "ready-again", service: name, pid: entry.proc.pid, downMs });
        }
        return;
      }
      if (performance.now() > deadline) {
        const waitedMs = performance.now() - entry.startedAt;
        options.onSupervision?.({ type: "not-ready", service: name, pid: entry.proc.pid, waitedMs });
        return;
      }
      await Bun.sleep(100);
    }
  };

  /** Polls `entries` until all answer /ready 200; fails as soon as any of `watched` has exited. */
  const waitReady = async (entries: readonly Running[], watched: () => Iterable<Running>): Promise<void> => {
    const deadline = performance.now() + readyTimeoutMs;
    const pending = new Set(entries);
    while (pending.size > 0) {
      if (options.signal?.aborted) throw new Error("start-up aborted");
      for (const entry of watched()) {
        if (entry.expectedExit || isAlive(entry)) continue;
        await entry.drained;
        const name = entry.service.name;
        const how = entry.proc.signalCode ? `signal ${entry.proc.signalCode}` : `code ${entry.proc.exitCode}`;
        throw new FleetStartError(name, `exited with ${how} during start-up`, logs.get(name) ?? []);
      }
      for (const entry of [...pending]) {
        if (await isReady(urls[entry.service.name] as string)) pending.delete(entry);
      }
      if (pending.size === 0) break;
      if (performance.now() > deadline) {
        const [late] = pending;
        const name = late?.service.name ?? "?";
        throw new FleetStartError(
          name,
          `${urls[name]}/ready did not answer 200 within ${readyTimeoutMs} ms (START_TIMEOUT_MS)`,
          logs.get(name) ?? [],
        );
      }
      await Bun.sleep(100);
    }
  };

  const stopOne = async (entry: Running, signal: NodeJS.Signals | number = "SIGTERM"): Promise<void> => {
    entry.expectedExit = true;
    if (isAlive(entry)) {
      entry.proc.kill(signal);
      const timer = setTimeout(() => entry.proc.kill("SIGKILL"), stopGraceMs);
      await entry.proc.exited;
      clearTimeout(timer);
    }
    await entry.drained;
  };

  const stop = async (): Promise<void> => {
    stopped = true;
    for (const name of supervision.keys()) cancelRestart(name);
    await Promise.all([...running.values()].map((entry) => stopOne(entry)));
  };

  const entryOf = (name: string): Running => {
    const entry = running.get(name);
    if (entry === undefined) throw new Error(`service ${name} is not part of this fleet`);
    return entry;
  };

  const groups = new Map<number, ServiceManifest[]>();
  for (const s of selected) groups.set(s.order, [...(groups.get(s.order) ?? []), s]);
  await declareFleetLayout(env, (line) => record("fleet", line, "stderr"));
  try {
    for (const group of [...groups.keys()].sort((a, b) => a - b).map((order) => groups.get(order) ?? [])) {
      if (options.signal?.aborted) throw new Error("start-up aborted");
      await waitReady(group.map(spawn), () => running.values());
    }
  } catch (error) {
    await stop();
    throw error;
  }
  startupComplete = true;

  return {
    urls,
    ports,
    env,
    services: selected,
    stop,
    kill: async (name, signal = "SIGKILL") => {
      const entry = entryOf(name);
      entry.expectedExit = true;
      cancelRestart(name);
      if (isAlive(entry)) entry.proc.kill(signal);
      await entry.proc.exited;
      await entry.drained;
    },
    restart: async (name) => {
      const previous = entryOf(name);
      cancelRestart(name);
      supervision.delete(name);
      await stopOne(previous);
      const entry = spawn(previous.service);
      try {
        await waitReady([entry], () => [entry]);
      } catch (error) {
        await stopOne(entry);
        throw error;
      }
    },
    isRunning: (name) => isAlive(entryOf(name)),
    pid: (name) => {
      const entry = entryOf(name);
      return isAlive(entry) ? entry.proc.pid : undefined;
    },
    logs: (name) => [...(logs.get(name) ?? [])],
  };
};
