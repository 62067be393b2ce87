// `bun run start`: checks the broker, starts every service in order (gateway last), shows where each
// listens and its pid, restarts one that dies (see DEFAULT_RESTART_POLICY), and stops them all on Ctrl-C.
import { join } from "node:path";
import {
  DEFAULT_RESTART_POLICY,
  FleetStartError,
  repoRoot,
  startFleet,
  type Fleet,
  type SupervisionEvent,
} from "@bat/testing";

const root = repoRoot();

// Plain ANSI codes: six colours do not justify a dependency of the testing package.
const useColour = process.env.FORCE_COLOR !== undefined || (process.stdout.isTTY && process.env.NO_COLOR === undefined);
const paint = (code: number) => (text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);
const palette = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92].map(paint);
const bold = paint(1);
const red = paint(31);
const yellow = paint(33);
const dim = paint(2);

const say = (line: string) => console.log(`${bold("[start]")} ${line}`);

if (process.env.SKIP_BROKER_CHECK !== "1") {
  const check = Bun.spawnSync(["bash", join(root, "rabbitmq", "ensure-broker.sh")], {
    stdout: "inherit",
    stderr: "inherit",
    stdin: "ignore",
  });
  if (check.exitCode !== 0) {
    say(red("no RabbitMQ broker; fix the above, or set SKIP_BROKER_CHECK=1 to start anyway"));
    process.exit(1);
  }
}

const prefixes = new Map<string, string>();
const prefixFor = (name: string): string => {
  let prefix = prefixes.get(name);
  if (prefix === undefined) {
    const colour = palette[prefixes.size % palette.length] ?? bold;
    prefix = colour(`[${name}]`.padEnd(16));
    prefixes.set(name, prefix);
  }
  return prefix;
};

/** `1 s`, `30 s`, `2.3 s`. */
const seconds = (ms: number): string => `${Number.isInteger(ms / 1000) ? ms / 1000 : (ms / 1000).toFixed(1)} s`;
const exitOf = (code: number | null, signal: string | null) => (signal ? `signal ${signal}` : `code ${code}`);

const policy = DEFAULT_RESTART_POLICY;

const report = (event: SupervisionEvent): void => {
  switch (event.type) {
    case "restart-scheduled":
      return say(
        yellow(
          `${event.service} exited unexpectedly (${exitOf(event.exitCode, event.signal)}); restarting in ` +
            `${seconds(event.delayMs)} (crash ${event.crashes} of ${event.maxCrashes} in ${seconds(event.windowMs)})`,
        ),
      );
    case "restarted":
      return say(`${event.service} restarted (pid ${event.pid})`);
    case "ready-again":
      return say(`${event.service} is ready again (pid ${event.pid}, ${seconds(Math.round(event.downMs / 100) * 100)} after it died)`);
    case "not-ready":
      return say(
        yellow(`${event.service} (pid ${event.pid}) is not ready ${seconds(Math.round(event.waitedMs))} after its restart; see its output`),
      );
    case "left-down":
      say(red(`${event.service} exited unexpectedly (${exitOf(event.exitCode, event.signal)})`));
      return say(
        red(
          `${event.service} crashed ${event.crashes} times within ${seconds(event.windowMs)}; left down — ` +
            "see its output above; the other services keep running",
        ),
      );
  }
};

const abort = new AbortController();
let stopping = false;

const starting: Promise<Fleet> = startFleet({
  env: process.env,
  signal: abort.signal,
  onOutput: (name, line, stream) => (stream === "stderr" ? console.error : console.log)(`${prefixFor(name)} ${line}`),
  restart: policy,
  onSupervision: report,
});

async function shutdown(exitCode: number, why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(why);
  abort.abort();
  const fleet = await starting.catch(() => undefined);
  await fleet?.stop();
  say(exitCode === 0 ? "all services stopped" : red("all services stopped"));
  process.exit(exitCode);
}

process.on("SIGINT", () => void shutdown(0, "SIGINT: stopping services"));
process.on("SIGTERM", () => void shutdown(0, "SIGTERM: stopping services"));

let fleet: Fleet;
try {
  fleet = await starting;
} catch (error) {
  // A requested shutdown during start-up is handled (and exited) by shutdown().
  if (stopping) await new Promise(() => {});
  console.error(red(error instanceof FleetStartError ? error.message : `start-up failed: ${String(error)}`));
  say(red("start-up failed; every service that had started was stopped"));
  process.exit(1);
}

const pidOf = (name: string) => dim(`pid ${fleet.pid(name) ?? "-"}`);
const rows: [string, string][] = fleet.services
  .filter((s) => s.name !== "gateway")
  .map((s) => [s.name, `http://localhost:${fleet.ports[s.name]}`.padEnd(24) + pidOf(s.name)]);
const gatewayPort = fleet.ports.gateway ?? Number(fleet.env.GATEWAY_PORT ?? 3000);
rows.push(["", ""], ["front door", `http://localhost:${gatewayPort}`.padEnd(24) + (fleet.urls.gateway ? pidOf("gateway") : "")]);
rows.push(["RabbitMQ UI", `http://localhost:15672  ${dim("(guest/guest)")}`]);
rows.push(["data", fleet.env.DATA_DIR ?? ""]);
const width = Math.max(...rows.map(([name]) => name.length)) + 2;
console.log(
  [
    "",
    bold("Book a Ticket is running"),
    ...rows.map(([name, where]) => (name === "" ? "" : `  ${name.padEnd(width)}${where}`)),
    "",
    dim(
      `A service that dies is restarted after ${seconds(policy.initialDelayMs)}, doubling to ${seconds(policy.maxDelayMs)}; ` +
        `${policy.maxCrashes} crashes within ${seconds(policy.windowMs)} leave it down.`,
    ),
    dim("Ctrl-C stops everything."),
    "",
  ].join("\n"),
);
