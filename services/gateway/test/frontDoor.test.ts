// The front door under people (issue 18): idle streams never starve ordinary requests, streams are capped in total
// and per client, bodies are bounded before anything is forwarded, answers carry security headers, and the
// forwarded address is the peer's own. Upstreams are tiny Bun servers; stream clients use node:http, whose
// sockets are not fetch's pool, so the test's own fetch is not what runs out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import http from "node:http";
import net from "node:net";
import { clientAddressOf, LOOPBACK, parseAddressList } from "@bat/http/clientAddress";
import { pollUntil } from "@bat/testing";
import { startGateway, type GatewayOptions } from "../src/proxy.ts";
import { routesFromEnv } from "../src/routeTable.ts";

/** Everything the upstreams saw, so a test can tell whether a request got past the front door. */
const seen: Array<{ path: string; bytes: number; headers: Record<string, string> }> = [];
let upstream: Server<undefined>;
const streamsOpenUpstream = new Set<ReadableStreamDefaultController<Uint8Array>>();
/** `/users/slow` answers only once the test calls this. */
let releaseSlow: (() => void) | undefined;

beforeAll(() => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.endsWith("/stream") || url.pathname === "/notifications/feed") {
        let mine: ReadableStreamDefaultController<Uint8Array>;
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              mine = controller;
              streamsOpenUpstream.add(controller);
              controller.enqueue(new TextEncoder().encode(": open\n\n"));
            },
            cancel() {
              streamsOpenUpstream.delete(mine);
            },
          }),
          { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
        );
      }
      if (url.pathname === "/users/slow") await new Promise<void>((r) => (releaseSlow = r));
      const body = req.body === null ? 0 : (await req.arrayBuffer()).byteLength;
      seen.push({ path: url.pathname, bytes: body, headers: req.headers.toJSON() });
      if (url.pathname.endsWith("/seats")) {
        return Response.json({ rows: [] }, { headers: { etag: '"s-1"', "cache-control": "no-cache" } });
      }
      return Response.json({ ok: true, path: url.pathname });
    },
  });
});
afterAll(async () => {
  await upstream.stop(true);
});

const routes = () =>
  routesFromEnv({
    USERS_PORT: String(upstream.port),
    SCREENINGS_PORT: String(upstream.port),
    NOTIFICATIONS_PORT: String(upstream.port),
  });

const withGateway = async (limits: GatewayOptions["limits"], run: (base: string) => Promise<void>) => {
  const gateway = startGateway({ port: 0, hostname: "127.0.0.1", routes: routes(), onUpstreamError: () => {}, limits });
  try {
    await run(`http://127.0.0.1:${gateway.port}`);
  } finally {
    await gateway.stop(true);
  }
};

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
interface RawStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: () => Promise<string>;
  readonly close: () => void;
}
/** Opens `url` as an event stream over node:http; resolves at the answer's head (for a stream, its first comment). */
const openStream = (url: string, headers: Record<string, string> = {}): Promise<RawStream> =>
  new Promise((resolve, reject) => {
    const req = http.request(url, { agent, headers: { accept: "text/event-stream", ...headers } }, (res) => {
      let text = "";
      const ended = new Promise<string>((done) => {
        res.on("data", (chunk) => (text += String(chunk)));
        res.on("end", () => done(text));
        res.on("close", () => done(text));
      });
      const answer = { status: res.statusCode ?? 0, headers: res.headers, body: () => ended, close: () => req.destroy() };
      if ((res.headers["content-type"] ?? "").startsWith("text/event-stream")) res.once("data", () => resolve(answer));
      else resolve(answer);
    });
    req.on("error", reject);
    req.end();
  });

/** A fetch that gives up after `ms` (on an exhausted pool the request would otherwise wait forever). */
const timed = async (url: string, init: RequestInit = {}, ms = 5_000) => {
  const began = performance.now();
  const res = await Promise.race([
    fetch(url, init),
    Bun.sleep(ms).then(() => {
      throw new Error(`${init.method ?? "GET"} ${url} did not answer within ${ms} ms`);
    }),
  ]);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - began };
};

describe("idle streams never starve the front door", () => {
  test("with 300 idle seat streams open, GET /screenings and login still answer in under 100 ms", async () => {
    await withGateway({}, async (base) => {
      const streams: RawStream[] = [];
      try {
        // 300 viewers at 300 addresses (as a proxy on loopback, which the front door trusts, forwards them).
        const opening = Array.from({ length: 300 }, (_, i) =>
          openStream(`${base}/screenings/s-${i % 3}/seats/stream`, { "x-forwarded-for": `198.51.${100 + (i >> 8)}.${i & 255}` }).then((s) =>
            streams.push(s),
          ),
        );
        await Promise.race([
          Promise.all(opening),
          Bun.sleep(15_000).then(() => {
            throw new Error(`only ${streams.length} of 300 streams opened within 15 s`);
          }),
        ]);
        expect(streams.every((s) => s.status === 200)).toBe(true);
        expect(streamsOpenUpstream.size).toBeGreaterThanOrEqual(300);

        for (let round = 0; round < 3; round++) {
          const list = await timed(`${base}/screenings`);
          const login = await timed(`${base}/users/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email: "a@b.test", password: "x" }),
          });
          expect({ list: list.status, login: login.status }).toEqual({ list: 200, login: 200 });
          expect(list.ms).toBeLessThan(100);
          expect(login.ms).toBeLessThan(100);
        }
        const ready = (await (await fetch(`${base}/ready`)).json()) as { checks: { streams: { open: number } } };
        expect(ready.checks.streams.open).toBe(300);
      } finally {
        for (const s of streams) s.close();
      }
      await pollUntil(() => streamsOpenUpstream.size === 0, { timeoutMs: 10_000, message: "every upstream stream to close" });
    });
  }, 60_000);
});

describe("stream caps", () => {
  test("the addresses of one IPv6 /64 are one client: a subscriber's network is not 2^64 clients", async () => {
    await withGateway({ maxStreams: 10, maxStreamsPerClient: 2 }, async (base) => {
      const open: RawStream[] = [];
      try {
        for (const from of ["2001:db8:5:6::1", "2001:db8:5:6::2", "2001:db8:5:6:a:b:c:d", "2001:db8:5:7::1"]) {
          open.push(await openStream(`${base}/screenings/s-1/seats/stream`, { "x-forwarded-for": from }));
        }
        expect(open.map((s) => s.status)).toEqual([200, 200, 429, 200]);
      } finally {
        for (const s of open) s.close();
      }
    });
  });

  test("per client address 429, in total 503, both problem+json with Retry-After; /ready says saturated; counted in /metrics", async () => {
    await withGateway({ maxStreams: 3, maxStreamsPerClient: 2 }, async (base) => {
      const open: RawStream[] = [];
      try {
        open.push(await openStream(`${base}/screenings/s-1/seats/stream`));
        open.push(await openStream(`${base}/notifications/stream`));
        expect(open.map((s) => s.status)).toEqual([200, 200]);

        const third = await openStream(`${base}/screenings/s-1/seats/stream`);
        expect(third.status).toBe(429);
        expect(third.headers["content-type"]).toBe("application/problem+json");
        expect(Number(third.headers["retry-after"])).toBeGreaterThan(0);
        expect(JSON.parse(await third.body())).toMatchObject({ status: 429, code: "too_many_streams", type: "urn:bookaticket:problem:too_many_streams" });

        // Another client (behind a trusted proxy on loopback) takes the last slot; the next is refused for capacity.
        open.push(await openStream(`${base}/screenings/s-1/seats/stream`, { "x-forwarded-for": "198.51.100.7" }));
        expect(open[2]!.status).toBe(200);
        const full = await openStream(`${base}/screenings/s-1/seats/stream`, { "x-forwarded-for": "198.51.100.8" });
        expect(full.status).toBe(503);
        expect(full.headers["content-type"]).toBe("application/problem+json");
        expect(Number(full.headers["retry-after"])).toBeGreaterThan(0);
        expect(JSON.parse(await full.body())).toMatchObject({ status: 503, code: "streams_saturated" });

        // Ordinary requests are not streams: they still pass.
        expect((await timed(`${base}/screenings`)).status).toBe(200);
        const ready = await fetch(`${base}/ready`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ status: "saturated", checks: { streams: { open: 3, max: 3, perClientMax: 2 } } });

        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toMatch(/bookaticket_gateway_streams_refused_total\{reason="per_client"\} [1-9]/);
        expect(metrics).toMatch(/bookaticket_gateway_streams_refused_total\{reason="total"\} [1-9]/);
        expect(metrics).toMatch(/bookaticket_gateway_streams_open [1-9]/);

        // A stream closing frees its slot.
        open.shift()!.close();
        await pollUntil(async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 5_000, message: "/ready to be 200 again" });
        const again = await openStream(`${base}/screenings/s-1/seats/stream`);
        open.push(again);
        expect(again.status).toBe(200);
      } finally {
        for (const s of open) s.close();
      }
    });
  });

  test("/ready is 503 while every fetch slot is busy with ordinary requests, and 200 again after", async () => {
    await withGateway({ fetchPool: 1 }, async (base) => {
      const slow = fetch(`${base}/users/slow`);
      await pollUntil(() => releaseSlow !== undefined, { timeoutMs: 5_000, message: "the slow request to reach the upstream" });
      const busy = await fetch(`${base}/ready`);
      expect(busy.status).toBe(503);
      expect(await busy.json()).toMatchObject({ status: "saturated", checks: { requestsInFlight: { open: 1, max: 1 } } });
      releaseSlow!();
      expect((await slow).status).toBe(200);
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ready", checks: { requestsInFlight: { open: 0, max: 1 } } });
    });
  });

  test("without a per-client cap (ABUSE_LIMITS=off) only the total applies", async () => {
    await withGateway({ maxStreams: 3, maxStreamsPerClient: undefined }, async (base) => {
      const open: RawStream[] = [];
      try {
        for (let i = 0; i < 3; i++) open.push(await openStream(`${base}/screenings/s-1/seats/stream`));
        expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
        const fourth = await openStream(`${base}/screenings/s-1/seats/stream`);
        expect(fourth.status).toBe(503);
      } finally {
        for (const s of open) s.close();
      }
    });
  });
});

describe("bounded bodies", () => {
  const tenMiB = new Uint8Array(10 * 1024 * 1024).fill(120);
  const chunked = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < tenMiB.byteLength; at += 65_536) controller.enqueue(tenMiB.subarray(at, at + 65_536));
        controller.close();
      },
    });

  test("a 10 MiB body, with Content-Length or chunked, is a 413 problem before any upstream sees it, and memory stays flat", async () => {
    await withGateway({}, async (base) => {
      const before = seen.length;
      Bun.gc(true);
      const rssBefore = process.memoryUsage.rss();
      for (let i = 0; i < 5; i++) {
        for (const body of [tenMiB, chunked()]) {
          const res = await fetch(`${base}/users/register`, { method: "POST", headers: { "content-type": "application/json" }, body });
          expect(res.status).toBe(413);
          expect(res.headers.get("content-type")).toBe("application/problem+json");
          expect(await res.json()).toMatchObject({ status: 413, code: "payload_too_large", type: "urn:bookaticket:problem:payload_too_large" });
        }
      }
      Bun.gc(true);
      const grown = process.memoryUsage.rss() - rssBefore;
      expect(seen.length).toBe(before);
      // Ten 10 MiB bodies refused: far less than one body's worth kept per request.
      expect(grown).toBeLessThan(40 * 1024 * 1024);

      // At the limit it passes, whole.
      const fits = await fetch(`${base}/users/register`, { method: "POST", body: new Uint8Array(65_536) });
      expect(fits.status).toBe(200);
      expect(seen.at(-1)).toMatchObject({ path: "/users/register", bytes: 65_536 });
    });
  }, 60_000);
});

describe("answers passing through", () => {
  test("carry no-store (unless the upstream chose), nosniff, no referrer and no framing; the seat map's ETag/no-cache and the stream's headers stay", async () => {
    await withGateway({}, async (base) => {
      const api = await fetch(`${base}/users/me`);
      await api.arrayBuffer();
      expect(api.headers.get("cache-control")).toBe("no-store");
      expect(api.headers.get("x-content-type-options")).toBe("nosniff");
      expect(api.headers.get("referrer-policy")).toBe("no-referrer");
      expect(api.headers.get("x-frame-options")).toBe("DENY");
      expect(api.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");

      const seats = await fetch(`${base}/screenings/s-1/seats`);
      await seats.arrayBuffer();
      expect(seats.headers.get("cache-control")).toBe("no-cache");
      expect(seats.headers.get("etag")).toBe('"s-1"');

      const stream = await openStream(`${base}/screenings/s-1/seats/stream`);
      stream.close();
      expect(stream.headers["cache-control"]).toBe("no-cache");
      expect(stream.headers["content-type"]).toStartWith("text/event-stream");
      expect(stream.headers["x-content-type-options"]).toBe("nosniff");

      const problem = await fetch(`${base}/nope`);
      await problem.arrayBuffer();
      expect(problem.headers.get("cache-control")).toBe("no-store");
    });
  });
});

describe("the forwarded address", () => {
  test("a client-sent X-Forwarded-For is replaced by the peer's address", async () => {
    await withGateway({ trustedProxies: parseAddressList("192.0.2.1") }, async (base) => {
      await (await fetch(`${base}/users/me`, { headers: { "x-forwarded-for": "6.6.6.6" } })).arrayBuffer();
      expect(seen.at(-1)!.headers["x-forwarded-for"]).toBe("127.0.0.1");
    });
  });

  test("from a trusted proxy it is kept and the peer appended (services take the last entry that is not a trusted proxy)", async () => {
    await withGateway({ trustedProxies: parseAddressList("127.0.0.0/8") }, async (base) => {
      await (await fetch(`${base}/users/me`, { headers: { "x-forwarded-for": "203.0.113.9" } })).arrayBuffer();
      expect(seen.at(-1)!.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    });
  });

  test("behind nginx on the same machine, a service tells two clients apart (its per-address limits are theirs, not nginx's)", async () => {
    await withGateway({ trustedProxies: parseAddressList(LOOPBACK) }, async (base) => {
      const seenBy = async (client: string) => {
        await (await fetch(`${base}/users/me`, { headers: { "x-forwarded-for": client } })).arrayBuffer();
        // What a service with the default TRUSTED_PROXIES makes of it, its peer being the front door on loopback.
        return clientAddressOf("127.0.0.1", String(seen.at(-1)!.headers["x-forwarded-for"]), parseAddressList(LOOPBACK));
      };
      expect(await seenBy("203.0.113.9")).toBe("203.0.113.9");
      expect(await seenBy("198.51.100.4")).toBe("198.51.100.4");
    });
  });
});

describe("the front door's own /metrics", () => {
  test("answers only peers on METRICS_ALLOW, a 404 problem for anyone else", async () => {
    await withGateway({ metricsAllow: parseAddressList("192.0.2.1") }, async (base) => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 404, code: "not_found" });
    });
    await withGateway({ metricsAllow: parseAddressList("127.0.0.1") }, async (base) => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("bookaticket_http_request_duration_seconds");
    });
  });

  test("through nginx on the same machine (a loopback peer forwarding a client) it is a 404 for that client", async () => {
    await withGateway({ metricsAllow: parseAddressList(LOOPBACK), trustedProxies: parseAddressList(LOOPBACK) }, async (base) => {
      const outside = await fetch(`${base}/metrics`, { headers: { "x-forwarded-for": "203.0.113.5" } });
      expect(outside.status).toBe(404);
      await outside.arrayBuffer();
      // A scraper on the list still gets in through the proxy, and straight away.
      expect((await fetch(`${base}/metrics`, { headers: { "x-forwarded-for": "127.0.0.1" } })).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    });
  });
});

describe("odd requests", () => {
  test("an event stream the request did not announce is relayed over its own connection and counted", async () => {
    await withGateway({ maxStreams: 5 }, async (base) => {
      const client = new AbortController();
      const res = await fetch(`${base}/notifications/feed`, { signal: client.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/event-stream");
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain(": open");
      const ready = (await (await fetch(`${base}/ready`)).json()) as { checks: { streams: { open: number } } };
      expect(ready.checks.streams.open).toBe(1);
      client.abort();
      await reader.cancel().catch(() => {});
      await pollUntil(async () => ((await (await fetch(`${base}/ready`)).json()) as any).checks.streams.open === 0, {
        timeoutMs: 5_000,
        message: "the stream's slot to be given back",
      });
    });
  });

  test("odd lengths, bodies and forwarded headers are 4xx or pass, never a 5xx", async () => {
    await withGateway({}, async (base) => {
      const { port } = new URL(base);
      /** A raw HTTP/1.1 request, so that headers fetch would refuse to send can be sent. */
      const raw = (head: string, body = ""): Promise<number> =>
        new Promise((resolve) => {
          let got = "";
          const socket = net.connect({ host: "127.0.0.1", port: Number(port) });
          const done = () => {
            clearTimeout(timer);
            socket.destroy();
            resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0));
          };
          const timer = setTimeout(done, 3_000);
          socket.on("data", (chunk) => {
            got += chunk.toString();
            // The head is all we look at (an event stream stays open after it).
            if (got.includes("\r\n\r\n")) done();
          });
          socket.on("close", done);
          socket.on("error", done);
          socket.write(`${head}\r\nconnection: close\r\n\r\n${body}`);
        });
      const statuses = [
        await raw(`POST /users/register HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999999`),
        await raw(`POST /users/register HTTP/1.1\r\nhost: x\r\ncontent-length: abc`),
        await raw(`POST /users/register HTTP/1.1\r\nhost: x\r\ncontent-length: -1`),
        await raw(`GET /screenings HTTP/1.1\r\nhost: x\r\nx-forwarded-for: not an address, ::::`),
        await raw(`GET /screenings/s/seats/stream HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\nx-forwarded-for: ]]]`),
        await raw(`POST /users/register HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked`, `10000\r\n${"x".repeat(65_536)}\r\n10\r\n${"y".repeat(16)}\r\n0\r\n\r\n`),
        await raw(`HEAD /screenings/s/seats/stream HTTP/1.1\r\nhost: x\r\naccept: text/event-stream`),
        await raw(`OPTIONS /metrics HTTP/1.1\r\nhost: x`),
      ];
      for (const status of statuses) {
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }
      expect(statuses[0]).toBe(413);
      expect(statuses[5]).toBe(413);
    });
  });
});

