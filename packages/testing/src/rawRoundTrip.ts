// The baseline the benchmarks compare against: confirmed publishes to a quorum queue, consumed and
// acked one by one, with each message's latency from publish to delivery.
import amqp from "amqplib";

export interface RawRoundTrip {
  readonly ms: number;
  readonly rate: number;
  readonly lat: Array<number>;
}

/** Sends `n` messages in confirmed batches of 100 (optionally paced to `perSecond`) and times them. */
export const rawRoundTrip = async (amqpUrl: string, n: number, perSecond?: number): Promise<RawRoundTrip> => {
  const conn = await amqp.connect(amqpUrl);
  try {
    const pub = await conn.createConfirmChannel();
    const sub = await conn.createChannel();
    const queue = `bench.raw.${crypto.randomUUID()}`;
    await pub.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
    await sub.prefetch(200);
    const lat: Array<number> = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await sub.consume(queue, (m) => {
      if (!m) return;
      lat.push(performance.now() - Number(m.content.toString()));
      sub.ack(m);
      if (lat.length === n) done();
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i += 100) {
      for (let j = i; j < Math.min(n, i + 100); j++) {
        // Same properties as the system's own messages carry (persistent, id, type).
        pub.sendToQueue(queue, Buffer.from(String(performance.now())), { persistent: true, messageId: crypto.randomUUID(), type: "X" });
      }
      await pub.waitForConfirms();
      if (perSecond) {
        const wait = t0 + ((i + 100) / perSecond) * 1000 - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
    }
    await finished;
    const ms = performance.now() - t0;
    await pub.deleteQueue(queue);
    return { ms, rate: (n / ms) * 1000, lat };
  } finally {
    await conn.close().catch(() => {});
  }
};
