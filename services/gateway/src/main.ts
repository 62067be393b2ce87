// Starts the front door on GATEWAY_PORT (default 3000) at HOST (default 127.0.0.1; GATEWAY_HOST wins), routing to
// the services' ports from the environment.
import { portSetting } from "@bat/http/settings";
import { flushTracing, startTracing } from "@bat/telemetry";
import { startGateway } from "./proxy.ts";
import { routesFromEnv } from "./routeTable.ts";
import { hostFromEnv, limitsFromEnv } from "./settings.ts";
import { buildWebPageIfStale, webDistFromEnv } from "./webBuild.ts";
import { webPage } from "./webPage.ts";

// Every setting is read before anything starts: a bad one stops the front door with one line naming it.
const settingsOrExit = () => {
  try {
    const portName = process.env.GATEWAY_PORT ? "GATEWAY_PORT" : "PORT";
    return {
      port: portSetting(process.env, portName, 3000),
      limits: limitsFromEnv(process.env),
      routes: routesFromEnv(process.env),
      webDist: webDistFromEnv(process.env),
      hostname: hostFromEnv(process.env),
    };
  } catch (error) {
    console.error(`gateway: ${(error as Error).message}`);
    process.exit(1);
  }
};
const { port, limits, routes, webDist, hostname } = settingsOrExit();
// Spans are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/OPERATIONS.md).
await startTracing("gateway");
buildWebPageIfStale(webDist);
const server = (() => {
  try {
    return startGateway({ port, hostname, routes, page: webPage(webDist), limits });
  } catch (error) {
    // Not a setting's form but its use: the address is taken or not this machine's.
    console.error(`gateway: cannot listen on ${hostname} port ${port}: ${(error as Error).message}`);
    process.exit(1);
  }
})();

console.log(`gateway listening on http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${server.port}`);
console.log(
  `  streams: at most ${limits.maxStreams} open, ${limits.maxStreamsPerClient ?? "no limit"} per client address; bodies up to ${limits.maxBodyBytes} bytes`,
);
for (const route of routes) console.log(`  ${route.prefix.padEnd(15)} -> ${route.upstream}`);
console.log(`  ${"/ (web page)".padEnd(15)} -> ${webDist}`);

const shutdown = (signal: string) => {
  console.log(`gateway: ${signal}, closing`);
  // Open event streams never finish on their own, so close connections rather than wait for them.
  void server
    .stop(true)
    .then(() => flushTracing())
    .then(() => process.exit(0));
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));
