// Starts the front door on GATEWAY_PORT (default 3000) at HOST (default 127.0.0.1; GATEWAY_HOST wins), routing to
// the services' ports from the environment.
import { flushTracing, startTracing } from "@bat/telemetry";
import { startGateway } from "./proxy.ts";
import { routesFromEnv } from "./routeTable.ts";
import { hostFromEnv, limitsFromEnv, type GatewayLimits } from "./settings.ts";
import { buildWebPageIfStale, webDistFromEnv } from "./webBuild.ts";
import { webPage } from "./webPage.ts";

const port = Number(process.env.GATEWAY_PORT ?? process.env.PORT ?? 3000);
let limits: GatewayLimits;
try {
  limits = limitsFromEnv(process.env);
} catch (error) {
  console.error(`gateway: ${(error as Error).message}`);
  process.exit(1);
}
// Spans are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/OPERATIONS.md).
await startTracing("gateway");
const routes = routesFromEnv(process.env);
const webDist = webDistFromEnv(process.env);
buildWebPageIfStale(webDist);
const hostname = hostFromEnv(process.env);
const server = startGateway({ port, hostname, routes, page: webPage(webDist), limits });

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
