// Tests of publishNestedHeaders against the local RabbitMQ: a header table too deep for amqplib goes in
// through raw frames, and a shallow one comes back out through amqplib intact.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as amqp from "amqplib";
import net from "node:net";
import { createTestVhost, publishNestedHeaders } from "../src/index.ts";
import type { TestVhost } from "../src/index.ts";

describe("publishNestedHeaders", () => {
  let vhost: TestVhost;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const deepQueue = "raw-amqp.deep";
  const shallowQueue = "raw-amqp.shallow";

  beforeAll(async () => {
    vhost = await createTestVhost({ prefix: "bat-test-rawamqp" });
    conn = await amqp.connect(vhost.amqpUrl);
    ch = await conn.createChannel();
    for (const q of [deepQueue, shallowQueue]) {
      await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": "quorum" } });
    }
  });

  afterAll(async () => {
    await conn?.close().catch(() => {});
    await vhost?.cleanup();
  });

  test("a 15,000-level header table and a 3-level one both reach the quorum queue, confirmed", async () => {
    // The quorum queue takes seconds to confirm this one (5-6 s on a loaded 2-CPU machine), so more than the default 10 s.
    await publishNestedHeaders({
      amqpUrl: vhost.amqpUrl,
      queue: deepQueue,
      depth: 15_000,
      messageId: "deep-1",
      type: "Deep",
      timeoutMs: 40_000,
    });
    await publishNestedHeaders({ amqpUrl: vhost.amqpUrl, queue: deepQueue, depth: 3, messageId: "shallow-1", type: "Shallow" });
    const { messageCount } = await ch.checkQueue(deepQueue);
    expect(messageCount).toBe(2);
  });

  test("amqplib reads back the 3-level headers and the properties", async () => {
    await publishNestedHeaders({
      amqpUrl: vhost.amqpUrl,
      queue: shallowQueue,
      depth: 3,
      messageId: "shallow-2",
      type: "Shallow",
      body: JSON.stringify({ hello: "world" }),
    });
    const msg = await ch.get(shallowQueue, { noAck: true });
    if (!msg) throw new Error(`no message in ${shallowQueue}`);
    expect(msg.properties.headers?.n?.n?.n?.leaf).toBe(1);
    expect(msg.properties.messageId).toBe("shallow-2");
    expect(msg.properties.type).toBe("Shallow");
    expect(msg.properties.contentType).toBe("application/json");
    expect(msg.properties.deliveryMode).toBe(2);
    expect(JSON.parse(msg.content.toString())).toEqual({ hello: "world" });
  });

  test("rejects on timeout", async () => {
    // A listener that accepts and never answers the protocol header.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      await expect(publishNestedHeaders({ amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`, queue: "q", depth: 1, timeoutMs: 200 })).rejects.toThrow(
        /timed out after 200 ms/,
      );
    } finally {
      silent.close();
    }
  });

  test("rejects, naming the broker's reason, when the broker closes the connection", async () => {
    const url = new URL(vhost.amqpUrl);
    url.pathname = `/${encodeURIComponent(`${vhost.vhost}-missing`)}`;
    await expect(publishNestedHeaders({ amqpUrl: url.href, queue: shallowQueue, depth: 1 })).rejects.toThrow(
      /the broker closed the connection: 530 NOT_ALLOWED/,
    );
  });

  test("refuses a header table that does not fit in one frame", async () => {
    await expect(publishNestedHeaders({ amqpUrl: vhost.amqpUrl, queue: deepQueue, depth: 100_000 })).rejects.toThrow(
      /content header frame for depth 100000 is \d+ bytes, more than the broker's frame-max/,
    );
  });
});
