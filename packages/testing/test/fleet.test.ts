// Tests of the fleet launcher with two stand-in services in a temporary repository layout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverServices, FleetStartError, freePort, pollUntil, startFleet, type SupervisionEvent } from "../src/index.ts";

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

  test("rejects a restart policy that makes no sense", async () => {
    await expect(startFleet({ root, services: ["users"], restart: { maxCrashes: 0 } })).rejects.toThrow(/maxCrashes/);
    await expect(startFleet({ root, services: ["users"], restart: { initialDelayMs: -1 } })).rejects.toThrow(
      /initialDelayMs/,
    );
  });

  test("rejects an unknown service name", async () => {
    await expect(startFleet({ root, services: ["nope"] })).rejects.toThrow(/unknown service\(s\): nope/);
  });
});

describe("startFleet with restarts", () => {
  const crash = async (url: string) => {
    await fetch(`${url}/crash`);
  };

  test("restarts a crashed service on its port and environment with doubling delays, and leaves it down after too many crashes", async () => {
    const events: SupervisionEvent[] = [];
    const exits: string[] = [];
    const fleet = await startFleet({
      root,
      env: baseEnv(join(root, "data-supervised")),
      services: ["users", "booking"],
      ports: "free",
      restart: { initialDelayMs: 100, maxDelayMs: 300, maxCrashes: 4, windowMs: 60_000, resetAfterMs: 60_000 },
      onSupervision: (event) => events.push(event),
      onUnexpectedExit: (name, code) => exits.push(`${name}:${code}`),
    });
    try {
      const usersPid = fleet.pid("users");
      const envBefore = (await (await fetch(`${fleet.urls.booking}/env`)).json()) as Record<string, string>;
      const pids = [fleet.pid("booking")];
      const readyAgain = () => events.filter((e) => e.type === "ready-again").length;

      for (let round = 1; round <= 3; round++) {
        await crash(fleet.urls.booking as string);
        await pollUntil(() => readyAgain() === round, { message: `booking ready again after crash ${round}` });
        const pid = fleet.pid("booking");
        expect(pid).toBeNumber();
        expect(pids).not.toContain(pid);
        pids.push(pid);
      }
      const envAfter = (await (await fetch(`${fleet.urls.booking}/env`)).json()) as Record<string, string>;
      for (const key of ["PORT", "DATA_DIR", "USERS_PORT", "BOOKING_PORT", "AMQP_URL", "JWKS_URL"]) {
        expect(envAfter[key]).toBe(envBefore[key] as string);
      }

      await crash(fleet.urls.booking as string);
      await pollUntil(() => events.some((e) => e.type === "left-down"), { message: "booking to be left down" });

      const scheduled = events.filter((e) => e.type === "restart-scheduled");
      expect(scheduled.map((e) => [e.service, e.exitCode, e.delayMs, e.crashes, e.maxCrashes])).toEqual([
        ["booking", 3, 100, 1, 4],
        ["booking", 3, 200, 2, 4],
        ["booking", 3, 300, 3, 4],
      ]);
      expect(events.flatMap((e) => (e.type === "restarted" ? [e.pid] : []))).toEqual(pids.slice(1) as number[]);
      expect(events.at(-1)).toEqual({
        type: "left-down",
        service: "booking",
        exitCode: 3,
        signal: null,
        crashes: 4,
        windowMs: 60_000,
      });
      expect(exits).toEqual(["booking:3", "booking:3", "booking:3", "booking:3"]);
      expect(fleet.isRunning("booking")).toBe(false);
      expect(fleet.pid("booking")).toBeUndefined();
      expect(fleet.pid("users")).toBe(usersPid as number);
      expect((await fetch(`${fleet.urls.users}/ready`)).status).toBe(200);

      // An explicit restart brings it back, with its crash count started afresh.
      await fleet.restart("booking");
      expect(fleet.isRunning("booking")).toBe(true);
      await crash(fleet.urls.booking as string);
      await pollUntil(() => readyAgain() === 4, { message: "booking ready again after a fresh first crash" });
      expect(events.filter((e) => e.type === "restart-scheduled").at(-1)).toMatchObject({ delayMs: 100, crashes: 1 });
    } finally {
      await fleet.stop();
    }
    expect(fleet.isRunning("users")).toBe(false);
    expect(fleet.isRunning("booking")).toBe(false);
  });

  test("the delay starts again from the initial one after a service has stayed up long enough", async () => {
    const events: SupervisionEvent[] = [];
    const fleet = await startFleet({
      root,
      env: baseEnv(join(root, "data-reset")),
      services: ["booking"],
      ports: "free",
      restart: { initialDelayMs: 50, maxDelayMs: 10_000, maxCrashes: 10, windowMs: 60_000, resetAfterMs: 700 },
      onSupervision: (event) => events.push(event),
    });
    try {
      const delays = () => events.flatMap((e) => (e.type === "restart-scheduled" ? [e.delayMs] : []));
      const readyAgain = () => events.filter((e) => e.type === "ready-again").length;
      await crash(fleet.urls.booking as string);
      await pollUntil(() => readyAgain() === 1, { message: "booking back after crash 1" });
      await crash(fleet.urls.booking as string); // at once, well within resetAfterMs: the delay doubles
      await pollUntil(() => readyAgain() === 2, { message: "booking back after crash 2" });
      // Letting time pass is the point here: the process must have run past resetAfterMs.
      await Bun.sleep(800);
      await crash(fleet.urls.booking as string);
      await pollUntil(() => readyAgain() === 3, { message: "booking back after crash 3" });
      expect(delays()).toEqual([50, 100, 50]);
    } finally {
      await fleet.stop();
    }
  });

  // The negative checks below wait twice the restart delay: a restart, were one scheduled, would have happened.
  test("a service killed on purpose is not restarted, also when a crash had already scheduled its restart", async () => {
    const events: SupervisionEvent[] = [];
    const fleet = await startFleet({
      root,
      env: baseEnv(join(root, "data-kill")),
      services: ["users", "booking"],
      ports: "free",
      restart: { initialDelayMs: 300 },
      onSupervision: (event) => events.push(event),
    });
    try {
      await fleet.kill("booking");
      await Bun.sleep(600);
      expect(events).toEqual([]);
      expect(fleet.isRunning("booking")).toBe(false);

      await fleet.restart("booking");
      await crash(fleet.urls.booking as string);
      await pollUntil(() => events.length === 1, { message: "a restart to be scheduled" });
      await fleet.kill("booking");
      await Bun.sleep(600);
      expect(events.map((e) => e.type)).toEqual(["restart-scheduled"]);
      expect(fleet.isRunning("booking")).toBe(false);
      expect(fleet.isRunning("users")).toBe(true);
    } finally {
      await fleet.stop();
    }
  });

  test("stopping the fleet cancels a pending restart", async () => {
    const events: SupervisionEvent[] = [];
    const fleet = await startFleet({
      root,
      env: baseEnv(join(root, "data-stop")),
      services: ["users"],
      ports: "free",
      restart: { initialDelayMs: 300 },
      onSupervision: (event) => events.push(event),
    });
    try {
      await crash(fleet.urls.users as string);
      await pollUntil(() => events.length === 1, { message: "a restart to be scheduled" });
    } finally {
      await fleet.stop();
    }
    await Bun.sleep(600);
    expect(events.map((e) => e.type)).toEqual(["restart-scheduled"]);
    expect(fleet.isRunning("users")).toBe(false);
    await expect(fetch(`${fleet.urls.users}/ready`)).rejects.toThrow();
  });
});
