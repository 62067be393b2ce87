// Broker helpers for tests: a throw-away vhost per test run, and a TCP proxy that can cut the broker link.
import net from "node:net";
import {
  brokerUserOf,
  declareOperatorLayout,
  devBrokerPassword,
  ensureBrokerUsers,
  grantBrokerPermissions,
  withCredentials,
} from "@bat/messaging";

const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";
const DEFAULT_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672";

export interface TestVhost {
  /** The vhost's name, `bat-test-<random>`. */
  readonly vhost: string;
  /** `AMQP_URL` (or the default local broker) with its path replaced by this vhost. */
  readonly amqpUrl: string;
  /** Deletes this vhost (and so every exchange and queue in it). Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface TestVhostOptions {
  /** Base AMQP URL; defaults to `AMQP_URL` from the environment, then the local broker. */
  readonly amqpUrl?: string;
  /** Management API base URL with credentials; defaults to `RABBITMQ_MANAGEMENT_URL`, then http://guest:guest@127.0.0.1:15672. */
  readonly managementUrl?: string;
  /** Name prefix; the vhost is `<prefix>-<random>`. */
  readonly prefix?: string;
  /**
   * Declares the operator's layout (every exchange, inbox, DLQ and binding) as the management user,
   * as `rabbitmq/ensure-broker.sh` does: needed before a service that runs as its own broker user
   * publishes (it may not declare the other services' inboxes). `deliveryLimit` must match the services'.
   */
  readonly layout?: boolean | { readonly deliveryLimit?: number };
}

/**
 * `amqpUrl` (every node) authenticated as `service`'s own broker user with its development password
 * (DESIGN §17): how tests start a service, or publish as its producer.
 */
export const serviceAmqpUrl = (amqpUrl: string, service: string): string =>
  withCredentials(amqpUrl, brokerUserOf(service), devBrokerPassword(service));

let usersEnsured: Promise<void> | undefined;
/**
 * Creates the per-service broker users with their development passwords where they are missing
 * (once per process; users are global, so they are never deleted: other test runs may be using them).
 */
export const ensureServiceBrokerUsers = (managementUrl: string = process.env.RABBITMQ_MANAGEMENT_URL ?? DEFAULT_MANAGEMENT_URL): Promise<void> => {
  usersEnsured ??= ensureBrokerUsers({ managementUrl }).catch((e) => {
    usersEnsured = undefined;
    throw e;
  });
  return usersEnsured;
};

/** Calls the RabbitMQ management HTTP API; `path` starts at `/api/...`. Credentials come from the URL. */
export const managementRequest = async (
  path: string,
  init: { method?: string; body?: unknown } = {},
  managementUrl: string = process.env.RABBITMQ_MANAGEMENT_URL ?? DEFAULT_MANAGEMENT_URL,
): Promise<Response> => {
  const base = new URL(managementUrl);
  const user = decodeURIComponent(base.username || "guest");
  const pass = decodeURIComponent(base.password || "guest");
  base.username = "";
  base.password = "";
  const url = new URL(path.replace(/^\//, ""), base.href.endsWith("/") ? base.href : `${base.href}/`);
  const headers: Record<string, string> = { authorization: `Basic ${btoa(`${user}:${pass}`)}` };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  try {
    return await fetch(url, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (cause) {
    throw new Error(
      `RabbitMQ management API at ${base.origin} does not answer (${String(cause)}); ` +
        "run `bash rabbitmq/ensure-broker.sh` to start the broker and enable rabbitmq_management",
      { cause },
    );
  }
};

const expectOk = async (res: Response, what: string): Promise<void> => {
  if (!res.ok) throw new Error(`${what} failed: HTTP ${res.status} ${await res.text()}`);
};

/**
 * Waits, before a vhost is deleted, until it is at least 1.5 s old and each of its queues is up (at most 3 s).
 * RabbitMQ 3.10.8 stops its quorum-queue dead-letter supervisor for good when at-least-once dead-letter workers
 * crash because their queue is deleted while they start (`ra_command_failed`, then
 * `reached_max_restart_intensity`); afterwards no such queue can be declared on the node, by any test.
 * A vhost deleted a moment after its layout was declared did that here.
 */
const settleBeforeDeletion = async (encoded: string, createdAt: number, managementUrl: string): Promise<void> => {
  const deadline = performance.now() + 3_000;
  for (;;) {
    const res = await managementRequest(`/api/queues/${encoded}?columns=name,state`, {}, managementUrl).catch(() => undefined);
    const queues = res?.ok ? ((await res.json()) as Array<{ state?: string }>) : [];
    // Quorum queues say "live" once up, classic ones "running".
    const starting = queues.some((q) => q.state !== undefined && q.state !== "live" && q.state !== "running");
    const young = performance.now() - createdAt < 1_500;
    if ((!starting && !young) || performance.now() > deadline) break;
    await Bun.sleep(100);
  }
  // Workers start just after their queue's leader is elected.
  await Bun.sleep(100);
};

/** Creates a unique vhost, grants the management user full permissions on it, and returns its AMQP URL. */
export const createTestVhost = async (options: TestVhostOptions = {}): Promise<TestVhost> => {
  const managementUrl = options.managementUrl ?? process.env.RABBITMQ_MANAGEMENT_URL ?? DEFAULT_MANAGEMENT_URL;
  const vhost = `${options.prefix ?? "bat-test"}-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const user = decodeURIComponent(new URL(managementUrl).username || "guest");
  const encoded = encodeURIComponent(vhost);

  await expectOk(
    await managementRequest(`/api/vhosts/${encoded}`, { method: "PUT", body: {} }, managementUrl),
    `creating vhost ${vhost}`,
  );
  await expectOk(
    await managementRequest(
      `/api/permissions/${encoded}/${encodeURIComponent(user)}`,
      { method: "PUT", body: { configure: ".*", write: ".*", read: ".*" } },
      managementUrl,
    ),
    `granting ${user} permissions on vhost ${vhost}`,
  );

  // Every service's own broker user gets its least-privilege permissions on this vhost.
  await ensureServiceBrokerUsers(managementUrl);
  await grantBrokerPermissions({ managementUrl, vhost });

  const amqp = new URL(options.amqpUrl ?? process.env.AMQP_URL ?? DEFAULT_AMQP_URL);
  amqp.pathname = `/${encoded}`;
  if (options.layout) {
    await declareOperatorLayout(amqp.href, typeof options.layout === "object" ? options.layout.deliveryLimit : undefined);
  }

  let deleted = false;
  const createdAt = performance.now();
  return {
    vhost,
    amqpUrl: amqp.href,
    cleanup: async () => {
      if (deleted) return;
      await settleBeforeDeletion(encoded, createdAt, managementUrl);
      const res = await managementRequest(`/api/vhosts/${encoded}`, { method: "DELETE" }, managementUrl);
      if (res.status !== 404) await expectOk(res, `deleting vhost ${vhost}`);
      deleted = true;
    },
  };
};

export interface PollOptions {
  /** Give up after this long (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Wait between attempts (default 50 ms). */
  readonly intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  readonly message?: string;
}

/**
 * Calls `fn` until it returns a truthy value, and returns that value. A throwing `fn` counts as
 * "not yet" (so `expect(...)` inside works as "eventually"). On timeout, throws an error naming what
 * was awaited, with the last result or error.
 */
export const pollUntil = async <T>(
  fn: () => T | Promise<T>,
  options: PollOptions = {},
): Promise<Exclude<T, false | null | undefined | 0 | "">> => {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = performance.now() + timeoutMs;
  let attempts = 0;
  let last: { value: unknown } | { error: unknown } | undefined;
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value) return value as Exclude<T, false | null | undefined | 0 | "">;
      last = { value };
    } catch (error) {
      last = { error };
    }
    const left = deadline - performance.now();
    if (left <= 0) break;
    await Bun.sleep(Math.min(intervalMs, left));
  }
  const what = options.message ?? fn.toString().slice(0, 200);
  const detail =
    last === undefined
      ? ""
      : "error" in last
        ? `; last error: ${last.error instanceof Error ? last.error.message : String(last.error)}`
        : `; last result: ${Bun.inspect(last.value)}`;
  const error = new Error(`pollUntil timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}${detail}`);
  if (last !== undefined && "error" in last) error.cause = last.error;
  throw error;
};

export interface TcpProxy {
  /** The local port to connect to instead of the target's. */
  readonly port: number;
  /** Destroys every open connection, and drops new ones at once until `restore()`. */
  cut(): void;
  /** Lets connections through again (and ends flapping). */
  restore(): void;
  /**
   * Flapping link: every connection, open or new, is cut a random `minMs`–`maxMs` after it opened
   * (or after now, for those already open), until `restore()`.
   */
  flap(options?: { minMs?: number; maxMs?: number }): void;
  /** Connections cut by flapping so far. */
  readonly flapped: number;
  /** How many client connections are open right now. */
  readonly connections: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 (port 0 = any free port) to `targetHost:targetPort`, for cutting a
 * link in tests: point a service's AMQP_URL at `proxy.port`, then `cut()` and `restore()`.
 * While cut, new connections are accepted and dropped immediately, which a client sees as a reset.
 */
export const startTcpProxy = async (
  targetPort: number,
  options: { targetHost?: string; port?: number } = {},
): Promise<TcpProxy> => {
  const targetHost = options.targetHost ?? "127.0.0.1";
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let isCut = false;
  let flapping: { minMs: number; maxMs: number } | undefined;
  let flapped = 0;
  const scheduleFlap = (pair: { client: net.Socket; upstream: net.Socket }) => {
    if (!flapping) return;
    const { minMs, maxMs } = flapping;
    setTimeout(() => {
      if (!flapping || !pairs.has(pair)) return;
      flapped++;
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    }, minMs + Math.random() * (maxMs - minMs));
  };

  const server = net.createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", teardown).on("close", teardown);
    upstream.on("error", teardown).on("close", teardown);
    client.pipe(upstream);
    upstream.pipe(client);
    scheduleFlap(pair);
  });

  const destroyAll = () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("TCP proxy has no port");

  return {
    port: address.port,
    cut: () => {
      isCut = true;
      destroyAll();
    },
    restore: () => {
      isCut = false;
      flapping = undefined;
    },
    flap: (flapOptions = {}) => {
      flapping = { minMs: flapOptions.minMs ?? 5, maxMs: flapOptions.maxMs ?? 150 };
      for (const pair of pairs) scheduleFlap(pair);
    },
    get flapped() {
      return flapped;
    },
    get connections() {
      return pairs.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
};
