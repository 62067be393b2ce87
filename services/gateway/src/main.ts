// Starts the front door on GATEWAY_PORT (default 3000), routing to the services' ports from the environment.
import { flushTracing, startTracing } from "@bat/telemetry";
import { startGateway } from "./proxy.ts";
import { routesFromEnv } from "./routeTable.ts";
import { buildWebPageIfStale, webDistFromEnv } from "./webBuild.ts";
import { webPage } from "./webPage.ts";

const port = Number(process.env.GATEWAY_PORT ?? process.env.PORT ?? 3000);
// Spans are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/OPERATIONS.md).
await startTracing("gateway");
const routes = routesFromEnv(process.env);
const webDist = webDistFromEnv(process.env);
buildWebPageIfStale(webDist);
const server = startGateway({ port, hostname: process.env.GATEWAY_HOST ?? "0.0.0.0", routes, page: webPage(webDist) });

console.log(`gateway listening on http://localhost:${server.port}`);
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
