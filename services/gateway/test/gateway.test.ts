// The gateway against two tiny upstream servers: routing, pass-through, problems, and a live event stream.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { pollUntil } from "@bat/testing";
import { startGateway } from "../src/proxy.ts";
import { routesFromEnv } from "../src/routeTable.ts";

/** Echoes what it received, so tests can see exactly what the gateway forwarded. */
let echo: Server<undefined>;

/** Serves one event stream whose events the test pushes one at a time. */
let events: Server<undefined>;
let pushEvent: ((text: string) => void) | undefined;
let streamCancelled = false;
let streamRequestHeaders: Headers | undefined;

let gateway: Server<undefined>;
let base: string;
let deadPort: number;

beforeAll(async () => {
  echo = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/tickets/created") {
        return new Response(JSON.stringify({ bookingId: "b-1" }), {
          status: 202,
          headers: { "content-type": "application/json", location: "/tickets/bookings/b-1", "x-upstream": "echo" },
        });
      }
      return Response.json({
        method: req.method,
        path: url.pathname + url.search,
        body: await req.text(),
        headers: req.headers.toJSON(),
      });
    },
  });

  events = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      streamRequestHeaders = req.headers;
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          pushEvent = (text) => controller.enqueue(encoder.encode(text));
          // Bun.serve completes the response head only with the first chunk, so SSE servers open with a comment.
          pushEvent(": stream open\n\n");
        },
        cancel() {
          streamCancelled = true;
        },
      });
      return new Response(body, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      });
    },
  });

  // A port nothing listens on: bind one, then let it go.
  const gone = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  deadPort = gone.port as number;
  await gone.stop(true);

  gateway = startGateway({
    port: 0,
    hostname: "127.0.0.1",
    routes: routesFromEnv({
      USERS_PORT: String(echo.port),
      BOOKING_PORT: String(echo.port),
      NOTIFICATIONS_PORT: String(events.port),
      MOVIES_PORT: String(deadPort),
    }),
    onUpstreamError: () => {},
  });
  base = `http://127.0.0.1:${gateway.port}`;
});

afterAll(async () => {
  await gateway.stop(true);
  await echo.stop(true);
  await events.stop(true);
});

describe("gateway", () => {
  test("answers its own health and readiness", async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
  });

  test("routes by path prefix and keeps path, query, method and body", async () => {
    const res = await fetch(`${base}/tickets/book?dryRun=1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ screeningId: "s-1", seatNumbers: ["A1"] }),
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { method: string; path: string; body: string };
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/tickets/book?dryRun=1");
    expect(JSON.parse(seen.body)).toEqual({ screeningId: "s-1", seatNumbers: ["A1"] });

    const users = (await (await fetch(`${base}/users/me`)).json()) as { path: string };
    expect(users.path).toBe("/users/me");
  });

  test("passes Authorization, Idempotency-Key and Last-Event-ID through, and adds forwarding headers", async () => {
    const res = await fetch(`${base}/users/me`, {
      headers: { authorization: "Bearer abc.def.ghi", "idempotency-key": "key-1", "last-event-id": "41" },
    });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers.authorization).toBe("Bearer abc.def.ghi");
    expect(headers["idempotency-key"]).toBe("key-1");
    expect(headers["last-event-id"]).toBe("41");
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-forwarded-host"]).toBe(`127.0.0.1:${gateway.port}`);
  });

  test("returns the upstream's status and headers unchanged", async () => {
    const res = await fetch(`${base}/tickets/created`, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe("/tickets/bookings/b-1");
    expect(res.headers.get("x-upstream")).toBe("echo");
    expect(await res.json()).toEqual({ bookingId: "b-1" });
  });

  test("answers an unknown prefix with a 404 problem", async () => {
    for (const path of ["/nope", "/", "/ticketsx/book"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 404, code: "not_found", title: "Not Found" });
      expect(typeof body.type).toBe("string");
      expect(body.detail).toContain(path);
    }
  });

  test("answers a wrong method on its own /health and /ready with a 405 problem listing GET and HEAD", async () => {
    for (const path of ["/health", "/ready"]) {
      expect((await fetch(`${base}${path}`, { method: "HEAD" })).status).toBe(200);
      const res = await fetch(`${base}${path}`, { method: "POST" });
      expect({ path, status: res.status, allow: res.headers.get("allow") }).toEqual({ path, status: 405, allow: "GET, HEAD" });
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 405, code: "method_not_allowed" });
    }
  });

  test("answers a service that is down with a 502 problem", async () => {
    const res = await fetch(`${base}/movies`);
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 502, code: "service_unavailable" });
  });

  test("relays an event stream event by event, and closes it upstream when the client leaves", async () => {
    const client = new AbortController();
    const res = await fetch(`${base}/notifications/stream`, {
      headers: { accept: "text/event-stream", "last-event-id": "5", authorization: "Bearer t" },
      signal: client.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(streamRequestHeaders?.get("last-event-id")).toBe("5");

    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = "";
    /** Reads until `text` has arrived; the upstream sends the next event only after that. */
    const readUntil = async (text: string) => {
      while (!received.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${JSON.stringify(text)}; got ${JSON.stringify(received)}`);
        received += decoder.decode(value, { stream: true });
      }
    };

    await readUntil(": stream open\n\n");
    pushEvent?.("id: 6\nevent: TicketReserved\ndata: {\"seat\":\"A1\"}\n\n");
    await readUntil('data: {"seat":"A1"}\n\n');
    expect(received).not.toContain("id: 7");

    pushEvent?.("id: 7\nevent: TicketBooked\ndata: {\"seat\":\"A1\"}\n\n");
    await readUntil("id: 7\nevent: TicketBooked");

    expect(streamCancelled).toBe(false);
    client.abort();
    await reader.cancel().catch(() => {});
    await pollUntil(() => streamCancelled, { timeoutMs: 5_000, message: "the upstream stream to be cancelled" });
  });
});
