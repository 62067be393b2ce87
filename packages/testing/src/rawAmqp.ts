// Publishes a message that amqplib cannot encode: its `headers` table nested thousands of levels deep.
// amqplib's encoder works in a 64 KB scratch buffer and recurses per level, so this speaks AMQP 0-9-1
// itself over a TCP socket: handshake, one confirmed publish on channel 1, close.
import net from "node:net";

const DEFAULT_TIMEOUT_MS = 10_000;
const FRAME_END = 0xce;
const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
const FRAME_BODY = 3;
const FRAME_HEARTBEAT = 8;

export interface PublishNestedHeadersOptions {
  /** amqp://user:pass@host:port/vhost (the vhost URL-encoded; no path means "/"). */
  readonly amqpUrl: string;
  /** Routing key on the default exchange, so the queue it lands in. */
  readonly queue: string;
  /** How many `n` tables deep the headers go: 3 gives `{ n: { n: { n: { leaf: 1 } } } }`. */
  readonly depth: number;
  readonly messageId?: string;
  readonly type?: string;
  /** Defaults to `{}`. */
  readonly body?: string | Buffer;
  /**
   * Give up after this long (default 10 000 ms). A quorum queue takes time roughly quadratic in the
   * depth to confirm: seconds at 15 000 levels, more on a busy machine.
   */
  readonly timeoutMs?: number;
}

/** The `headers` field table, encoded (with its 4-byte length): `depth` levels of `n`, then `leaf: 1` (signed 32-bit). */
const nestedTable = (depth: number): Buffer => {
  const leaf = Buffer.from([4, ...Buffer.from("leaf"), 0x49 /* I */, 0, 0, 0, 1]);
  const perLevel = 4 + 3; // table length, then the entry's name "n" (shortstr) and its type 'F'
  const buf = Buffer.alloc(perLevel * depth + 4 + leaf.length);
  let at = 0;
  for (let level = 0; level < depth; level++) {
    buf.writeUInt32BE(buf.length - at - 4, at);
    buf[at + 4] = 1;
    buf[at + 5] = 0x6e; // n
    buf[at + 6] = 0x46; // F
    at += perLevel;
  }
  buf.writeUInt32BE(leaf.length, at);
  leaf.copy(buf, at + 4);
  return buf;
};

const shortstr = (s: string, what: string): Buffer => {
  const bytes = Buffer.from(s, "utf8");
  if (bytes.length > 255) throw new Error(`publishNestedHeaders: ${what} is ${bytes.length} bytes; a short string holds at most 255`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
};

const longstr = (s: string | Buffer): Buffer => {
  const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
};

const longstrAt = (buf: Buffer, at: number): string => buf.subarray(at + 4, at + 4 + buf.readUInt32BE(at)).toString("utf8");

const u8 = (n: number): Buffer => Buffer.from([n]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const frame = (type: number, channel: number, payload: Buffer): Buffer => {
  const head = Buffer.alloc(7);
  head[0] = type;
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
};

const method = (channel: number, classId: number, methodId: number, ...args: Array<Buffer>): Buffer =>
  frame(FRAME_METHOD, channel, Buffer.concat([u16(classId), u16(methodId), ...args]));

interface Method {
  readonly channel: number;
  readonly classId: number;
  readonly methodId: number;
  readonly args: Buffer;
}

const closeReason = (args: Buffer): string => {
  const code = args.readUInt16BE(0);
  const textLen = args[2] ?? 0;
  const text = args.subarray(3, 3 + textLen).toString("utf8");
  const classId = args.readUInt16BE(3 + textLen);
  const methodId = args.readUInt16BE(5 + textLen);
  return `${code} ${text} (in reply to ${classId}.${methodId})`;
};

/** One socket's incoming method frames, in order; any failure (broker close, socket error, timeout) rejects what is awaited. */
class Link {
  private buf: Buffer = Buffer.alloc(0);
  private readonly methods: Array<Method> = [];
  private waiter: { resolve: (m: Method) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private done = false;

  constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(new Error(`publishNestedHeaders: socket error: ${err.message}`, { cause: err })));
    socket.on("close", () => this.fail(new Error("publishNestedHeaders: the broker closed the socket")));
  }

  send(...frames: Array<Buffer>): void {
    if (this.failure) throw this.failure;
    this.socket.write(Buffer.concat(frames));
  }

  /** The next method frame; rejects on any failure. */
  next(): Promise<Method> {
    const m = this.methods.shift();
    if (m) return Promise.resolve(m);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async expect(classId: number, methodId: number, what: string): Promise<Method> {
    const m = await this.next();
    if (m.classId !== classId || m.methodId !== methodId) {
      throw new Error(`publishNestedHeaders: expected ${what} (${classId}.${methodId}), got method ${m.classId}.${m.methodId} on channel ${m.channel}`);
    }
    return m;
  }

  /** Marks the exchange finished, so the socket closing afterwards is not a failure. */
  finish(): void {
    this.done = true;
    this.socket.end();
  }

  /** Rejects what is awaited, now and later, and drops the socket (or, given a last frame, sends it and ends). */
  fail(err: Error, lastFrame?: Buffer): void {
    if (this.done || this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
    if (lastFrame) this.socket.end(lastFrame);
    else this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length >= 4 && this.buf.subarray(0, 4).toString("latin1") === "AMQP") {
      const v = this.buf.subarray(4, 8);
      this.fail(new Error(`publishNestedHeaders: the broker refused protocol AMQP 0-9-1 and offered ${[...v].join(".")}`));
      return;
    }
    while (this.buf.length >= 7) {
      const type = this.buf[0]!;
      const channel = this.buf.readUInt16BE(1);
      const size = this.buf.readUInt32BE(3);
      if (this.buf.length < size + 8) return;
      if (this.buf[7 + size] !== FRAME_END) {
        this.fail(new Error(`publishNestedHeaders: malformed frame from the broker (type ${type}, size ${size}, no frame-end octet)`));
        return;
      }
      const payload = this.buf.subarray(7, 7 + size);
      this.buf = this.buf.subarray(size + 8);
      if (type === FRAME_HEARTBEAT) continue;
      if (type !== FRAME_METHOD) continue; // content frames: nothing here is consumed
      const m: Method = { channel, classId: payload.readUInt16BE(0), methodId: payload.readUInt16BE(2), args: payload.subarray(4) };
      if (m.classId === 10 && m.methodId === 50) {
        const closeOk = method(0, 10, 51);
        this.fail(new Error(`publishNestedHeaders: the broker closed the connection: ${closeReason(m.args)}`), closeOk);
        return;
      }
      if (m.classId === 20 && m.methodId === 40) {
        this.fail(new Error(`publishNestedHeaders: the broker closed channel ${channel}: ${closeReason(m.args)}`));
        return;
      }
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        w.resolve(m);
      } else {
        this.methods.push(m);
      }
    }
  }
}

/**
 * Publishes one persistent message (content-type application/json, delivery-mode 2, optional
 * message-id and type) to the default exchange with routing key `queue`, whose `headers` table is
 * nested `depth` levels deep, and waits for the broker's publisher confirm. 15 000 levels is about
 * 105 KB of header, which has to fit in one frame: throws if it exceeds the negotiated frame-max.
 */
export const publishNestedHeaders = async (opts: PublishNestedHeadersOptions): Promise<void> => {
  if (!Number.isInteger(opts.depth) || opts.depth < 0) throw new Error(`publishNestedHeaders: depth must be a whole number >= 0, got ${opts.depth}`);
  const url = new URL(opts.amqpUrl);
  if (url.protocol !== "amqp:") throw new Error(`publishNestedHeaders: only amqp:// URLs are supported, got ${url.protocol}//`);
  const user = decodeURIComponent(url.username || "guest");
  const pass = decodeURIComponent(url.password || "guest");
  const vhost = url.pathname === "" || url.pathname === "/" ? "/" : decodeURIComponent(url.pathname.slice(1));
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost";
  const port = url.port ? Number(url.port) : 5672;

  const body = typeof opts.body === "string" ? Buffer.from(opts.body, "utf8") : (opts.body ?? Buffer.from("{}"));
  // Property flags and values, in the spec's bit order (content-type, headers, delivery-mode, message-id, type).
  let flags = (1 << 15) | (1 << 13) | (1 << 12);
  const props: Array<Buffer> = [shortstr("application/json", "content-type"), nestedTable(opts.depth), u8(2)];
  if (opts.messageId !== undefined) {
    flags |= 1 << 7;
    props.push(shortstr(opts.messageId, "messageId"));
  }
  if (opts.type !== undefined) {
    flags |= 1 << 5;
    props.push(shortstr(opts.type, "type"));
  }
  const bodySize = Buffer.alloc(8);
  bodySize.writeBigUInt64BE(BigInt(body.length));
  const headerPayload = Buffer.concat([u16(60), u16(0), bodySize, u16(flags), ...props]);
  const exchange = shortstr("", "exchange");
  const routingKey = shortstr(opts.queue, "queue");

  const socket = net.connect({ host, port });
  const link = new Link(socket);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(
    () => link.fail(new Error(`publishNestedHeaders: timed out after ${timeoutMs} ms talking to ${host}:${port}`)),
    timeoutMs,
  );
  try {
    socket.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1"));

    const start = await link.expect(10, 10, "connection.start");
    const serverPropsLen = start.args.readUInt32BE(2);
    const mechanisms = longstrAt(start.args, 6 + serverPropsLen).split(" ");
    if (!mechanisms.includes("PLAIN")) throw new Error(`publishNestedHeaders: the broker does not offer PLAIN (offers ${mechanisms.join(", ")})`);
    link.send(method(0, 10, 11, u32(0), shortstr("PLAIN", "mechanism"), longstr(`\0${user}\0${pass}`), shortstr("en_US", "locale")));

    const tune = await link.expect(10, 30, "connection.tune");
    const channelMax = tune.args.readUInt16BE(0);
    const frameMax = tune.args.readUInt32BE(2);
    const headerFrameSize = headerPayload.length + 8;
    if (frameMax !== 0 && headerFrameSize > frameMax) {
      throw new Error(
        `publishNestedHeaders: the content header frame for depth ${opts.depth} is ${headerFrameSize} bytes, ` +
          `more than the broker's frame-max of ${frameMax}; use a smaller depth or raise frame_max`,
      );
    }
    link.send(
      method(0, 10, 31, u16(channelMax), u32(frameMax), u16(0)),
      method(0, 10, 40, shortstr(vhost, "vhost"), shortstr("", "reserved"), u8(0)),
    );
    await link.expect(10, 41, "connection.open-ok");

    link.send(method(1, 20, 10, shortstr("", "reserved")));
    await link.expect(20, 11, "channel.open-ok");
    link.send(method(1, 85, 10, u8(0)));
    await link.expect(85, 11, "confirm.select-ok");

    const chunk = frameMax === 0 ? Math.max(body.length, 1) : frameMax - 8;
    const bodyFrames: Array<Buffer> = [];
    for (let at = 0; at < body.length; at += chunk) bodyFrames.push(frame(FRAME_BODY, 1, body.subarray(at, at + chunk)));
    link.send(method(1, 60, 40, u16(0), exchange, routingKey, u8(0)), frame(FRAME_HEADER, 1, headerPayload), ...bodyFrames);

    const confirm = await link.next();
    if (confirm.classId === 60 && confirm.methodId === 120) throw new Error(`publishNestedHeaders: the broker nacked the message to ${opts.queue}`);
    if (confirm.classId !== 60 || confirm.methodId !== 80) {
      throw new Error(`publishNestedHeaders: expected basic.ack (60.80), got method ${confirm.classId}.${confirm.methodId}`);
    }

    link.send(method(0, 10, 50, u16(200), shortstr("", "reply-text"), u16(0), u16(0)));
    await link.expect(10, 51, "connection.close-ok");
    link.finish();
  } catch (err) {
    link.fail(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    clearTimeout(timer);
  }
};
