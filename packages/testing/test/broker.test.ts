// Tests of the broker helpers against the local RabbitMQ (AMQP on 5672, management API on 15672).
import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "amqplib";
import net from "node:net";
import { createTestVhost, managementRequest, pollUntil, startTcpProxy } from "../src/index.ts";

describe("pollUntil", () => {
  test("returns the first truthy value", async () => {
    let calls = 0;
    const value = await pollUntil(() => (++calls >= 3 ? { calls } : null), { intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  test("treats a throwing check as not yet, so assertions can be awaited", async () => {
    let calls = 0;
    await pollUntil(
      () => {
        calls++;
        expect(calls).toBe(4);
        return true;
      },
      { intervalMs: 1 },
    );
    expect(calls).toBe(4);
  });

  test("times out with a message naming what it waited for and the last error", async () => {
    const started = performance.now();
    const failure = pollUntil(
      () => {
        throw new Error("seat still free");
      },
      { timeoutMs: 150, intervalMs: 20, message: "the seat to be held" },
    );
    await expect(failure).rejects.toThrow(/timed out after 150 ms .*the seat to be held; last error: seat still free/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test("reports the last falsy result on timeout", async () => {
    await expect(pollUntil(() => 0, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/last result: 0/);
  });
});

describe("createTestVhost", () => {
  test("creates a usable vhost of its own and deletes only it", async () => {
    const a = await createTestVhost();
    const b = await createTestVhost();
    try {
      expect(a.vhost).toMatch(/^bat-test-[0-9a-f]{12}$/);
      expect(a.vhost).not.toBe(b.vhost);
      expect(a.amqpUrl).toEndWith(`/${a.vhost}`);

      const conn = await connect(a.amqpUrl);
      try {
        const channel = await conn.createChannel();
        await channel.assertQueue("probe", { durable: true, arguments: { "x-queue-type": "quorum" } });
        await channel.close();
      } finally {
        await conn.close();
      }
      const queue = await managementRequest(`/api/queues/${encodeURIComponent(a.vhost)}/probe`);
      expect(queue.status).toBe(200);

      await a.cleanup();
      await a.cleanup(); // a second call is harmless
      expect((await managementRequest(`/api/vhosts/${encodeURIComponent(a.vhost)}`)).status).toBe(404);
      expect((await managementRequest(`/api/vhosts/${encodeURIComponent(b.vhost)}`)).status).toBe(200);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});

describe("startTcpProxy", () => {
  const echo = net.createServer((socket) => socket.pipe(socket));
  const echoReady = new Promise<number>((resolve) =>
    echo.listen(0, "127.0.0.1", () => resolve((echo.address() as net.AddressInfo).port)),
  );
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  /** Connects, sends `text`, and resolves with what came back, or with "closed" if the link dropped. */
  const roundTrip = (port: number, text: string) =>
    new Promise<string>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      let received = "";
      socket.on("connect", () => socket.write(text));
      socket.on("data", (data) => {
        received += data.toString();
        if (received.length >= text.length) {
          socket.end();
          resolve(received);
        }
      });
      socket.on("error", () => resolve("closed"));
      socket.on("close", () => resolve(received.length >= text.length ? received : "closed"));
    });

  test("relays bytes, drops links while cut, and relays again once restored", async () => {
    const proxy = await startTcpProxy(await echoReady);
    try {
      expect(await roundTrip(proxy.port, "hello")).toBe("hello");

      proxy.cut();
      expect(await roundTrip(proxy.port, "while cut")).toBe("closed");

      proxy.restore();
      expect(await roundTrip(proxy.port, "again")).toBe("again");
    } finally {
      await proxy.close();
    }
  });

  test("cut() breaks an open AMQP connection, and the broker is reachable again after restore()", async () => {
    const proxy = await startTcpProxy(5672);
    try {
      const conn = await connect(`amqp://guest:guest@127.0.0.1:${proxy.port}`);
      conn.on("error", () => {});
      const closed = new Promise<void>((resolve) => conn.on("close", () => resolve()));
      await pollUntil(() => proxy.connections === 1, { message: "the proxy to see the AMQP connection" });

      proxy.cut();
      await closed;
      expect(proxy.connections).toBe(0);
      await expect(connect(`amqp://guest:guest@127.0.0.1:${proxy.port}`)).rejects.toThrow();

      proxy.restore();
      const again = await connect(`amqp://guest:guest@127.0.0.1:${proxy.port}`);
      await again.close();
    } finally {
      await proxy.close();
    }
  });
});
