// The front door: a streaming reverse proxy that routes by path prefix to the services.
import { clientAddressOf, limitKeyOf } from "@bat/http/clientAddress";
import { METRICS_CONTENT_TYPE, metricsText, observeRequest } from "@bat/http/metrics";
import { startSpan, type Span } from "@bat/telemetry";
import type { Server } from "bun";
import { gatewayMetrics } from "./gatewayMetrics.ts";
import { matchRoute, type Route } from "./routeTable.ts";
import { DEFAULT_LIMITS, type GatewayLimits } from "./settings.ts";
import { requestStream, StreamSlots } from "./streams.ts";
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

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/**
 * What every answer leaving the front door carries unless its producer said otherwise: not stored by caches
 * (answers carry tickets' codes and tokens; the seat map's `no-cache` + ETag and the streams' headers are kept
 * because they set Cache-Control), not sniffed, no referrer, and not framed. A page's own CSP is left alone.
 */
const secure = (headers: Headers): void => {
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  headers.set("x-content-type-options", "nosniff");
  if (!headers.has("referrer-policy")) headers.set("referrer-policy", "no-referrer");
  if (!headers.has("x-frame-options")) headers.set("x-frame-options", "DENY");
  if (!headers.has("content-security-policy")) headers.set("content-security-policy", "frame-ancestors 'none'");
};

const isEventStream = (headers: Headers): boolean => (headers.get("content-type") ?? "").startsWith("text/event-stream");

/** Answers that turn out to be event streams although the request did not look like one (not a GET): at most this many over fetch. */
const FETCH_STREAMS_MAX = 64;

/** Passes `body` on and calls `release` once it has ended, failed or been cancelled. */
const tracked = (body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> => {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          controller.close();
          release();
        } else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        release();
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
};

/** The request's body, read up to `limit` bytes: `"too_large"` as soon as it goes beyond, null when there is none. */
const readBounded = async (req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null | "too_large"> => {
  if (req.body === null) return null;
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return "too_large";
    }
    parts.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.byteLength;
  }
  return body;
};

export interface GatewayOptions {
  readonly routes: readonly Route[];
  /** 0 picks a free port. */
  readonly port: number;
  readonly hostname?: string;
  /** Serves the web page for paths no service owns (see webPage.ts); without it those are 404 problems. */
  readonly page?: PageHandler;
  /** Called when an upstream cannot be reached (default: one line on stderr). */
  readonly onUpstreamError?: (route: Route, error: unknown) => void;
  /** Body limit, stream caps, trusted proxies, metrics allow-list (default: DEFAULT_LIMITS; main.ts reads them from the environment). */
  readonly limits?: Partial<GatewayLimits>;
}

/** Starts the gateway. `/health`, `/ready` and `/metrics` are its own; everything else is forwarded or a 404 problem. */
export const startGateway = (options: GatewayOptions): Server<undefined> => {
  const onUpstreamError =
    options.onUpstreamError ??
    ((route: Route, error: unknown) =>
      console.error(`gateway: ${route.service} at ${route.upstream} unreachable: ${String(error)}`));
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const slots = new StreamSlots(limits.maxStreams, limits.maxStreamsPerClient);
  const metered = gatewayMetrics();
  /** Ordinary requests waiting for an upstream's answer over fetch, and answers over fetch that turned out to be streams. */
  let inFlight = 0;
  let fetchStreams = 0;

  const tooLarge = () => {
    metered.bodiesRefused.inc();
    return problem(
      413,
      "payload_too_large",
      "Payload Too Large",
      `The request body is larger than ${limits.maxBodyBytes} bytes, the most this service accepts.`,
      { connection: "close" },
    );
  };

  const unreachable = (req: Request, route: Route, error: unknown): Response => {
    if (req.signal.aborted) return new Response(null, { status: 499 });
    onUpstreamError(route, error);
    return problem(502, "service_unavailable", "Bad Gateway", `The ${route.service} service does not answer; try again shortly.`);
  };

  /** A stream slot for this request's client, or the problem that refuses it. */
  const streamSlot = (req: Request, server: Server<undefined>): { release: () => void } | Response => {
    // Keyed as every per-address limit is: an IPv6 client by its /64.
    const client = limitKeyOf(clientAddressOf(server.requestIP(req)?.address, req.headers.get("x-forwarded-for"), limits.trustedProxies) ?? "unknown");
    const slot = slots.acquire(client);
    if (slot === "per_client") {
      metered.streamsRefused.inc({ reason: "per_client" });
      return problem(
        429,
        "too_many_streams",
        "Too Many Requests",
        `This address already has ${limits.maxStreamsPerClient} event streams open; close one, or try again later.`,
        { "retry-after": "30" },
      );
    }
    if (slot === "total") {
      metered.streamsRefused.inc({ reason: "total" });
      return problem(
        503,
        "streams_saturated",
        "Service Unavailable",
        `The front door is relaying as many event streams as it can (${limits.maxStreams}); try again shortly.`,
        { "retry-after": "10" },
      );
    }
    metered.streamsOpen.inc();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        slot.release();
        metered.streamsOpen.dec();
      },
    };
  };

  const forwardHeaders = (req: Request, server: Server<undefined>, url: URL, span: Span | undefined): Headers => {
    const headers = stripHopByHop(new Headers(req.headers));
    // With tracing on, the service's span is a child of the front door's (which continues the client's trace).
    if (span !== undefined) headers.set("traceparent", span.traceparent);
    // What the client claims is replaced by the peer we saw, unless that peer is a proxy we trust (then appended).
    const peer = server.requestIP(req)?.address;
    const forwardedFor = headers.get("x-forwarded-for");
    if (peer === undefined) headers.delete("x-forwarded-for");
    else headers.set("x-forwarded-for", forwardedFor && limits.trustedProxies.has(peer) ? `${forwardedFor}, ${peer}` : peer);
    headers.set("x-forwarded-host", headers.get("host") ?? url.host);
    headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
    headers.delete("host");
    // The body is sent as read (bounded), so its length is fetch's to state.
    headers.delete("content-length");
    return headers;
  };

  /** A GET/HEAD event stream over its own connection (streams.ts), within the caps. */
  const forwardStream = async (req: Request, server: Server<undefined>, route: Route, url: URL, headers: Headers): Promise<Response> => {
    const slot = streamSlot(req, server);
    if (slot instanceof Response) return slot;
    let upstream;
    try {
      upstream = await requestStream(new URL(`${route.upstream}${url.pathname}${url.search}`), req.method, headers, req.signal, slot.release);
    } catch (error) {
      slot.release();
      return unreachable(req, route, error);
    }
    const responseHeaders = stripHopByHop(upstream.headers);
    if (isEventStream(responseHeaders)) {
      // No idle timeout on a live event stream, and tell any proxy in front of us not to buffer it.
      server.timeout(req, 0);
      responseHeaders.set("x-accel-buffering", "no");
      metered.streamsOpened.inc({ route: route.prefix });
    }
    if (upstream.body === null) slot.release();
    return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: responseHeaders });
  };

  const forward = async (req: Request, server: Server<undefined>, route: Route, url: URL, span: Span | undefined): Promise<Response> => {
    const headers = forwardHeaders(req, server, url, span);
    const safe = req.method === "GET" || req.method === "HEAD";
    const wantsStream = (req.headers.get("accept") ?? "").includes("text/event-stream") || url.pathname.endsWith("/stream");
    if (safe && wantsStream) return forwardStream(req, server, route, url, headers);

    // Read (at most MAX_BODY_BYTES of) the body before anything is sent upstream.
    let body: Uint8Array<ArrayBuffer> | null = null;
    if (!safe) {
      const read = await readBounded(req, limits.maxBodyBytes);
      if (read === "too_large") return tooLarge();
      body = read;
    }

    let upstream: Response;
    inFlight++;
    metered.requestsInFlight.inc();
    try {
      upstream = await fetch(`${route.upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: body ?? undefined,
        redirect: "manual",
        // The client going away cancels the upstream request.
        signal: req.signal,
        // Pass compressed bodies through untouched, with their Content-Encoding.
        decompress: false,
      });
    } catch (error) {
      return unreachable(req, route, error);
    } finally {
      inFlight--;
      metered.requestsInFlight.dec();
    }

    const responseHeaders = stripHopByHop(new Headers(upstream.headers));
    let responseBody: ReadableStream<Uint8Array> | null = upstream.body;
    if (isEventStream(responseHeaders)) {
      // A stream the request did not announce. A GET is asked again over a connection of its own, so that it
      // does not keep a fetch slot; anything else keeps its slot, within the caps and at most FETCH_STREAMS_MAX.
      if (safe) {
        await upstream.body?.cancel().catch(() => {});
        return forwardStream(req, server, route, url, headers);
      }
      const slot = fetchStreams >= FETCH_STREAMS_MAX
        ? problem(503, "streams_saturated", "Service Unavailable", "Too many event streams are open; try again shortly.", { "retry-after": "10" })
        : streamSlot(req, server);
      if (slot instanceof Response) {
        await upstream.body?.cancel().catch(() => {});
        return slot;
      }
      fetchStreams++;
      let done = false;
      const release = () => {
        if (done) return;
        done = true;
        fetchStreams--;
        slot.release();
      };
      server.timeout(req, 0);
      responseHeaders.set("x-accel-buffering", "no");
      metered.streamsOpened.inc({ route: route.prefix });
      responseBody = upstream.body === null ? null : tracked(upstream.body, release);
      if (responseBody === null) release();
    }
    return new Response(responseBody, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders,
    });
  };

  /**
   * The front door's own Prometheus metrics (request durations by route, streams, process metrics): allowed peers
   * only, and through a trusted proxy (nginx on this machine is a loopback peer) only for a client that is allowed too.
   */
  const metrics = async (req: Request, server: Server<undefined>): Promise<Response> => {
    const peer = server.requestIP(req)?.address;
    const client = clientAddressOf(peer, req.headers.get("x-forwarded-for"), limits.trustedProxies);
    if (!limits.metricsAllow.has(peer) || !limits.metricsAllow.has(client)) return problem(404, "not_found", "Not Found", "No service serves /metrics.");
    return req.method === "GET" || req.method === "HEAD"
      ? new Response(await metricsText(), { headers: { "content-type": METRICS_CONTENT_TYPE } })
      : own(req, {});
  };

  /**
   * Ready unless saturated: 503 while every stream slot is taken (a new stream would be refused) or every fetch
   * slot is busy (a new request would queue); either way the figures say which (docs/DECISIONS.md).
   */
  const ready = (req: Request): Response => {
    if (req.method !== "GET" && req.method !== "HEAD") return own(req, {});
    const streamsFull = slots.open >= limits.maxStreams;
    const poolFull = inFlight >= limits.fetchPool;
    const saturated = streamsFull || poolFull;
    return json(
      {
        status: saturated ? "saturated" : "ready",
        checks: {
          streams: { open: slots.open, max: limits.maxStreams, perClientMax: limits.maxStreamsPerClient ?? null },
          requestsInFlight: { open: inFlight, max: limits.fetchPool },
        },
      },
      saturated ? 503 : 200,
    );
  };

  /** The answer, and the route its duration is counted under: a service's prefix, the page, or the front door's own path. */
  const answer = (
    req: Request,
    server: Server<undefined>,
    url: URL,
    span: Span | undefined,
  ): readonly [string, Response | Promise<Response>] => {
    if (url.pathname === "/health") return ["/health", own(req, { status: "ok" })];
    if (url.pathname === "/ready") return ["/ready", ready(req)];
    if (url.pathname === "/metrics") return ["/metrics", metrics(req, server)];
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
    secure(res.headers);
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
    // The body limit is ours (a 413 problem); Bun's own, answered without one, must never come first.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch(req, server) {
      const began = performance.now();
      const url = new URL(req.url);
      const span = startSpan(req.method, {
        parent: req.headers.get("traceparent") ?? undefined,
        kind: "server",
        attributes: { "http.request.method": req.method, "url.path": url.pathname, "bookaticket.service": "gateway" },
      });
      // A declared length beyond the limit is refused before anything else is looked at.
      const declared = req.headers.get("content-length");
      if (declared !== null && Number(declared) > limits.maxBodyBytes) return observed(req, "body", tooLarge(), began, span);
      const [route, response] = answer(req, server, url, span);
      return observed(req, route, response, began, span);
    },
    error(error) {
      console.error("gateway: unexpected error", error);
      return problem(502, "service_unavailable", "Bad Gateway", "The gateway could not forward the request.");
    },
  });
};
