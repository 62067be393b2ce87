// The front door serves the web page: index.html for page paths a browser asks for, hashed assets cached
// for a year, and problem+json for everything else no service owns.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway } from "../src/proxy.ts";
import { routesFromEnv } from "../src/routeTable.ts";
import { webPage } from "../src/webPage.ts";

let dist: string;
let upstream: Server<undefined>;
let gateway: Server<undefined>;
let base: string;

beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), "bat-web-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>Book a Ticket</title>");
  writeFileSync(join(dist, "assets", "main-abc123.js"), "console.log(1)");
  writeFileSync(join(dist, "assets", "main-abc123.css"), "body{}");
  writeFileSync(join(dist, "secret.txt"), "not an asset");
  upstream = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => Response.json({ path: new URL(req.url).pathname }) });
  gateway = startGateway({
    port: 0,
    hostname: "127.0.0.1",
    routes: routesFromEnv({ SCREENINGS_PORT: String(upstream.port), USERS_PORT: String(upstream.port) }),
    page: webPage(dist),
  });
  base = `http://127.0.0.1:${gateway.port}`;
});

afterAll(async () => {
  await gateway.stop(true);
  await upstream.stop(true);
  rmSync(dist, { recursive: true, force: true });
});

const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

describe("the web page behind the front door", () => {
  test("every page path a browser opens gets index.html, never cached", async () => {
    for (const path of ["/", "/show/0b7a5c4e-1111-4222-8333-444455556666", "/my-tickets", "/sign-in?next=%2F"]) {
      const res = await fetch(`${base}${path}`, { headers: html });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await res.text()).toContain("Book a Ticket");
    }
  });

  test("API prefixes stay the services', also for a browser", async () => {
    const res = await fetch(`${base}/screenings/abc`, { headers: html });
    expect(await res.json()).toEqual({ path: "/screenings/abc" });
  });

  test("hashed assets are served with their type and cached for a year", async () => {
    const js = await fetch(`${base}/assets/main-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("text/javascript");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await js.text()).toBe("console.log(1)");
    const css = await fetch(`${base}/assets/main-abc123.css`, { method: "HEAD" });
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
  });

  test("a missing asset, a path outside assets/, a non-page request and other methods are 404 problems", async () => {
    const cases: [string, RequestInit][] = [
      ["/assets/main-missing.js", {}],
      ["/assets/..%2Fsecret.txt", {}],
      ["/assets/%2e%2e/secret.txt", {}],
      ["/nowhere", { headers: { accept: "application/json" } }],
      ["/", { method: "POST", headers: html }],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(`${base}${path}`, init);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect((await res.json()).code).toBe("not_found");
    }
  });
});
