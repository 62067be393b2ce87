// The front door: a streaming reverse proxy that routes by path prefix to the services.
import { METRICS_CONTENT_TYPE, metricsText, observeRequest } from "@bat/http/metrics";
import { startSpan, type Span } from "@bat/telemetry";
import type { Server } from "bun";
import { matchRoute, type Route } from "./routeTable.ts";
import type { PageHandler } from "./webPage.ts";

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and are never forwarded.
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

const stripHopByHop = (headers: Headers): Headers => {
  const named = (headers.get("connection") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...named]) if (name) headers.delete(name);
  return headers;
};

// Same shape and type URNs as the services' errors (packages/http), without pulling in Elysia.
const problem = (status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify({ type: `urn:bookaticket:problem:${code}`, title, status, detail, code }), {
    status,
    headers: { ...headers, "content-type": "application/problem+json" },
  });

/** The gateway's own `/health` and `/ready` answer GET and HEAD; any other method is a 405, as in the services. */
const own = (req: Request, body: unknown): Response =>
  req.method === "GET" || req.method === "HEAD"
    ? json(body)
    : problem(405, "method_not_allowed", "Method Not Allowed", `${req.method} is not allowed here; allowed: GET, HEAD.`, {
        allow: "GET, HEAD",
      });

const json = (body: unknown): Response =>
  new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

export interface GatewayOptions {
  readonly routes: readonly Route[];
  /** 0 picks a free port. */
  readonly port: number;
  readonly hostname?: string;
  /** Serves the web page for paths no service owns (see webPage.ts); without it those are 404 problems. */
  readonly page?: PageHandler;
  /** Called when an upstream cannot be reached (default: one line on stderr). */
  readonly onUpstreamError?: (route: Route, error: unknown) => void;
}

/** Starts the gateway. `/health`, `/ready` and `/metrics` are its own; everything else is forwarded or a 404 problem. */
export const startGateway = (options: GatewayOptions): Server<undefined> => {
  const onUpstreamError =
    options.onUpstreamError ??
    ((route: Route, error: unknown) =>
      console.error(`gateway: ${route.service} at ${route.upstream} unreachable: ${String(error)}`));

  const forward = async (req: Request, server: Server<undefined>, route: Route, url: URL, span: Span | undefined): Promise<Response> => {
    const headers = stripHopByHop(new Headers(req.headers));
    // With tracing on, the service's span is a child of the front door's (which continues the client's trace).
    if (span !== undefined) headers.set("traceparent", span.traceparent);
    const clientAddress = server.requestIP(req)?.address;
    const forwardedFor = headers.get("x-forwarded-for");
    if (clientAddress) headers.set("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${clientAddress}` : clientAddress);
    headers.set("x-forwarded-host", headers.get("host") ?? url.host);
    headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
    headers.delete("host");

    const eventStream = (req.headers.get("accept") ?? "").includes("text/event-stream");
    let upstream: Response;
    try {
      upstream = await fetch(`${route.upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body,
        redirect: "manual",
        // The client going away cancels the upstream request (and an open event stream).
        signal: req.signal,
        // Pass compressed bodies through untouched, with their Content-Encoding.
        decompress: false,
        // An event stream may be quiet for long stretches; its lifetime is the client's to decide.
        ...(eventStream ? { timeout: false } : {}),
      });
    } catch (error) {
      if (req.signal.aborted) return new Response(null, { status: 499 });
      onUpstreamError(route, error);
      return problem(
        502,
        "service_unavailable",
        "Bad Gateway",
        `The ${route.service} service does not answer; try again shortly.`,
      );
    }

    const responseHeaders = stripHopByHop(new Headers(upstream.headers));
    if ((responseHeaders.get("content-type") ?? "").startsWith("text/event-stream")) {
      // No idle timeout on a live event stream, and tell any proxy in front of us not to buffer it.
      server.timeout(req, 0);
      responseHeaders.set("x-accel-buffering", "no");
    }
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders,
    });
  };

  /** The front door's own Prometheus metrics (request durations by route, process metrics). */
  const metrics = async (req: Request): Promise<Response> =>
    req.method === "GET" || req.method === "HEAD"
      ? new Response(await metricsText(), { headers: { "content-type": METRICS_CONTENT_TYPE } })
      : own(req, {});

  /** The answer, and the route its duration is counted under: a service's prefix, the page, or the front door's own path. */
  const answer = (
    req: Request,
    server: Server<undefined>,
    url: URL,
    span: Span | undefined,
  ): readonly [string, Response | Promise<Response>] => {
    if (url.pathname === "/health") return ["/health", own(req, { status: "ok" })];
    if (url.pathname === "/ready") return ["/ready", own(req, { status: "ready" })];
    if (url.pathname === "/metrics") return ["/metrics", metrics(req)];
    const route = matchRoute(options.routes, url.pathname);
    if (route === undefined) {
      const page = options.page?.(req, url);
      if (page !== undefined) return ["page", page];
      return ["unmatched", problem(404, "not_found", "Not Found", `No service serves ${url.pathname}.`)];
    }
    return [`${route.prefix}/*`, forward(req, server, route, url, span)];
  };

  const observed = async (req: Request, route: string, response: Response | Promise<Response>, began: number, span: Span | undefined) => {
    const res = await response;
    observeRequest(route, req.method, res.status, (performance.now() - began) / 1000);
    if (span !== undefined) {
      span.setName(`${req.method} ${route}`);
      span.setAttributes({ "http.route": route, "http.response.status_code": res.status });
      if (res.status >= 500) span.fail(`HTTP ${res.status}`);
      span.end();
    }
    return res;
  };

  return Bun.serve({
    port: options.port,
    hostname: options.hostname,
    idleTimeout: 60,
    fetch(req, server) {
      const began = performance.now();
      const url = new URL(req.url);
      const span = startSpan(req.method, {
        parent: req.headers.get("traceparent") ?? undefined,
        kind: "server",
        attributes: { "http.request.method": req.method, "url.path": url.pathname, "bookaticket.service": "gateway" },
      });
      const [route, response] = answer(req, server, url, span);
      return observed(req, route, response, began, span);
    },
    error(error) {
      console.error("gateway: unexpected error", error);
      return problem(502, "service_unavailable", "Bad Gateway", "The gateway could not forward the request.");
    },
  });
};
