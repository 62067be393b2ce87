// The front door's settings: the bind address, the limits, and a bad value stopping it with one line.
import { describe, expect, test } from "bun:test";
import { freePort, pollUntil } from "@bat/testing";
import { networkInterfaces, tmpdir } from "node:os";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import net from "node:net";

const main = resolve(import.meta.dir, "..", "src", "main.ts");
/** A built page of its own, so starting the front door builds nothing. */
const webDist = () => {
  const dir = mkdtempSync(join(tmpdir(), "bat-gw-web-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>t</title>");
  return dir;
};

const connects = (host: string, port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2_000);
    socket.once("connect", () => (socket.destroy(), done(true)));
    socket.once("error", () => done(false));
    socket.once("timeout", () => (socket.destroy(), done(false)));
  });

/** An address of this machine other than loopback, if it has one. */
const outward = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;

describe("settings", () => {
  test("defaults, ABUSE_LIMITS=off, and bad values naming the setting", async () => {
    const { hostFromEnv, limitsFromEnv } = await import("../src/settings.ts");
    expect(limitsFromEnv({})).toMatchObject({ maxBodyBytes: 65_536, maxStreams: 10_000, maxStreamsPerClient: 64, fetchPool: 256 });
    expect(limitsFromEnv({ GATEWAY_MAX_STREAMS: "5", GATEWAY_MAX_STREAMS_PER_CLIENT: "2", MAX_BODY_BYTES: "100" })).toMatchObject({
      maxStreams: 5,
      maxStreamsPerClient: 2,
      maxBodyBytes: 100,
    });
    // The per-client cap is an abuse limit; the total is capacity and stays.
    expect(limitsFromEnv({ ABUSE_LIMITS: "off", GATEWAY_MAX_STREAMS: "5" })).toMatchObject({ maxStreams: 5, maxStreamsPerClient: undefined });
    expect(() => limitsFromEnv({ ABUSE_LIMITS: "off", NODE_ENV: "production" })).toThrow(/ABUSE_LIMITS/);
    expect(() => limitsFromEnv({ MAX_BODY_BYTES: "64k" })).toThrow(/MAX_BODY_BYTES/);
    expect(() => limitsFromEnv({ GATEWAY_MAX_STREAMS: "0" })).toThrow(/GATEWAY_MAX_STREAMS/);
    expect(() => limitsFromEnv({ TRUSTED_PROXIES: "not-an-address" })).toThrow(/TRUSTED_PROXIES/);
    expect(hostFromEnv({})).toBe("127.0.0.1");
    expect(hostFromEnv({ HOST: "0.0.0.0" })).toBe("0.0.0.0");
    expect(hostFromEnv({ HOST: "0.0.0.0", GATEWAY_HOST: "::1" })).toBe("::1");
  });

  test.skipIf(outward === undefined)("the front door binds 127.0.0.1 unless HOST says otherwise", async () => {
    const dist = webDist();
    const port = await freePort();
    const proc = Bun.spawn([process.execPath, main], {
      env: { ...process.env, GATEWAY_PORT: String(port), PORT: String(port), WEB_DIST: dist, HOST: "", GATEWAY_HOST: "" },
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      await pollUntil(() => connects("127.0.0.1", port), { timeoutMs: 20_000, message: "the front door to listen" });
      expect(await connects(outward!, port)).toBe(false);
    } finally {
      proc.kill();
      await proc.exited;
      rmSync(dist, { recursive: true, force: true });
    }
  }, 30_000);

  test("a bad setting stops the front door with one line naming it", async () => {
    const dist = webDist();
    const port = await freePort();
    const proc = Bun.spawn([process.execPath, main], {
      env: { ...process.env, GATEWAY_PORT: String(port), PORT: String(port), WEB_DIST: dist, MAX_BODY_BYTES: "lots" },
      stdout: "ignore",
      stderr: "pipe",
    });
    const exited = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => "running" as const)]);
    if (exited === "running") proc.kill();
    rmSync(dist, { recursive: true, force: true });
    expect(exited).not.toBe("running");
    expect(exited).not.toBe(0);
    const stderr = (await new Response(proc.stderr).text()).trim();
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toContain("MAX_BODY_BYTES");
  }, 30_000);
});
