// Tests of the fleet launcher with two stand-in services in a temporary repository layout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverServices, FleetStartError, freePort, pollUntil, startFleet } from "../src/index.ts";

// A stand-in service: logs its start to DATA_DIR/started.log, serves /ready, echoes its env on /env,
// and can be told to crash. FAIL_AT_START makes it exit before listening.
const standIn = `
import { appendFileSync } from "node:fs";
const name = process.cwd().split("/").pop();
if (process.env.FAIL_AT_START === name) {
  console.error("cannot open the database");
  process.exit(7);
}
appendFileSync(process.env.DATA_DIR + "/started.log", name + "\\n");
const server = Bun.serve({
  port: Number(process.env.PORT),
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/ready") return new Response("ready");
    if (path === "/env") return Response.json(process.env);
    if (path === "/crash") setTimeout(() => process.exit(3), 10);
    return new Response("ok");
  },
});
console.log(name + " listening on " + server.port);
process.on("SIGTERM", () => process.exit(0));
`;

let root: string;

const addService = (name: string, bookaticket: unknown) => {
  mkdirSync(join(root, "services", name, "src"), { recursive: true });
  writeFileSync(join(root, "services", name, "package.json"), JSON.stringify({ name, bookaticket }));
  writeFileSync(join(root, "services", name, "src", "main.ts"), standIn);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "bat-fleet-"));
  writeFileSync(join(root, "package.json"), "{}");
  addService("users", { port: 3001, portEnv: "USERS_PORT", order: 10 });
  addService("gateway", { port: 3000, portEnv: "GATEWAY_PORT", order: 100 });
  addService("booking", { port: 3005, portEnv: "BOOKING_PORT", order: 50 });
  mkdirSync(join(root, "services", "not-a-service"));
  writeFileSync(join(root, "services", "not-a-service", "package.json"), JSON.stringify({ name: "x" }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const baseEnv = (dataDir: string) => ({ PATH: process.env.PATH, DATA_DIR: dataDir });

describe("discoverServices", () => {
  test("finds services by their bookaticket field, in start order", () => {
    expect(discoverServices(root).map((s) => [s.name, s.order, s.portEnv])).toEqual([
      ["users", 10, "USERS_PORT"],
      ["booking", 50, "BOOKING_PORT"],
      ["gateway", 100, "GATEWAY_PORT"],
    ]);
  });
});

describe("startFleet", () => {
  test("starts services in order with the shared environment, restarts a killed one, and stops them all", async () => {
    const dataDir = join(root, "data-run");
    const fleet = await startFleet({ root, env: baseEnv(dataDir), ports: "free" });
    try {
      expect(readFileSync(join(dataDir, "started.log"), "utf8")).toBe("users\nbooking\ngateway\n");
      expect(Object.keys(fleet.urls)).toEqual(["users", "booking", "gateway"]);

      const env = (await (await fetch(`${fleet.urls.gateway}/env`)).json()) as Record<string, string>;
      expect(env.PORT).toBe(String(fleet.ports.gateway));
      expect(env.USERS_PORT).toBe(String(fleet.ports.users));
      expect(env.BOOKING_PORT).toBe(String(fleet.ports.booking));
      expect(env.DATA_DIR).toBe(dataDir);
      expect(env.AMQP_URL).toBe("amqp://guest:guest@127.0.0.1:5672");
      expect(env.HOLD_TTL_MS).toBe("900000");
      expect(env.JWKS_URL).toBe(`http://127.0.0.1:${fleet.ports.users}/users/.well-known/jwks.json`);
      expect(fleet.logs("booking")).toContain(`booking listening on ${fleet.ports.booking}`);

      await fleet.kill("booking", "SIGKILL");
      expect(fleet.isRunning("booking")).toBe(false);
      await expect(fetch(`${fleet.urls.booking}/ready`)).rejects.toThrow();

      await fleet.restart("booking");
      expect(fleet.isRunning("booking")).toBe(true);
      expect((await fetch(`${fleet.urls.booking}/ready`)).status).toBe(200);
    } finally {
      await fleet.stop();
    }
    for (const name of ["users", "booking", "gateway"]) expect(fleet.isRunning(name)).toBe(false);
  });

  test("fails naming the service that died during start-up, with its output, and stops the others", async () => {
    const dataDir = join(root, "data-fail");
    const usersPort = await freePort();
    // booking fails before it listens and gateway never starts, so only users needs a free port.
    const failure = startFleet({
      root,
      env: { ...baseEnv(dataDir), FAIL_AT_START: "booking", USERS_PORT: String(usersPort) },
    });
    const error = await failure.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FleetStartError);
    expect((error as FleetStartError).service).toBe("booking");
    expect((error as FleetStartError).message).toContain("exited with code 7");
    expect((error as FleetStartError).message).toContain("cannot open the database");
    // users had started before booking failed; gateway never did.
    expect(readFileSync(join(dataDir, "started.log"), "utf8")).toBe("users\n");
    await expect(fetch(`http://127.0.0.1:${usersPort}/ready`)).rejects.toThrow();
  });

  test("reports a service that dies after start-up", async () => {
    const exits: string[] = [];
    const fleet = await startFleet({
      root,
      env: baseEnv(join(root, "data-crash")),
      services: ["users"],
      ports: "free",
      onUnexpectedExit: (name, code) => exits.push(`${name}:${code}`),
    });
    try {
      await fetch(`${fleet.urls.users}/crash`);
      await pollUntil(() => exits.length > 0, { message: "users to be reported dead" });
      expect(exits).toEqual(["users:3"]);
    } finally {
      await fleet.stop();
    }
  });

  test("rejects an unknown service name", async () => {
    await expect(startFleet({ root, services: ["nope"] })).rejects.toThrow(/unknown service\(s\): nope/);
  });
});
