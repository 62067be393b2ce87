// Event streams at the front door: relayed over node:http connections of their own, so that however many are
// open they never hold one of Bun fetch's per-process slots (BUN_CONFIG_MAX_HTTP_REQUESTS, 256 by default), which
// ordinary requests need; and counted, in total and per client address, so that a cap can refuse the next one.
import http from "node:http";
import https from "node:https";

/** Open streams, in total and by client address. */
export class StreamSlots {
  private readonly byClient = new Map<string, number>();
  open = 0;

  constructor(
    readonly max: number,
    readonly maxPerClient: number | undefined,
  ) {}

  /** Takes a slot for `client`, or says which cap refuses it. The release function is safe to call more than once. */
  acquire(client: string): { readonly release: () => void } | "total" | "per_client" {
    const mine = this.byClient.get(client) ?? 0;
    if (this.maxPerClient !== undefined && mine >= this.maxPerClient) return "per_client";
    if (this.open >= this.max) return "total";
    this.open++;
    this.byClient.set(client, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open--;
        const left = (this.byClient.get(client) ?? 1) - 1;
        if (left <= 0) this.byClient.delete(client);
        else this.byClient.set(client, left);
      },
    };
  }
}

// Their own sockets: not fetch's pool (checked under Bun 1.4.5: 300 streams open this way and fetch still answers
// at once, while 256 streams over fetch leave the next fetch waiting forever; see docs/DECISIONS.md).
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 64 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 64 }),
};

export interface UpstreamStream {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * A GET/HEAD to `target` over node:http. Resolves with the answer's head once it arrives (its body streams on,
 * with backpressure); rejects if the upstream cannot be reached. `onEnd` runs once, when the exchange is over for
 * any reason: the upstream ends or fails, the client goes away (`signal`), or the body is cancelled.
 */
export const requestStream = (
  target: URL,
  method: string,
  headers: Headers,
  signal: AbortSignal,
  onEnd: () => void,
): Promise<UpstreamStream> =>
  new Promise((resolve, reject) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      signal.removeEventListener("abort", abort);
      onEnd();
    };
    const outgoing: Record<string, string> = {};
    headers.forEach((value, name) => (outgoing[name] = value));
    const lib = target.protocol === "https:" ? https : http;
    const agent = target.protocol === "https:" ? agents["https:"] : agents["http:"];
    const req = lib.request(target, { method, headers: outgoing, agent });
    const abort = () => {
      req.destroy();
      end();
    };
    if (signal.aborted) {
      end();
      reject(new Error("the client went away"));
      return;
    }
    signal.addEventListener("abort", abort, { once: true });
    req.once("error", (error) => {
      end();
      reject(error);
    });
    req.once("response", (res) => {
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
        else responseHeaders.set(name, value);
      }
      const status = res.statusCode ?? 502;
      const noBody = method === "HEAD" || status === 204 || status === 304;
      res.once("error", end);
      res.once("close", end);
      if (noBody) {
        res.resume();
        resolve({ status, statusText: res.statusMessage ?? "", headers: responseHeaders, body: null });
        return;
      }
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            res.on("data", (chunk: Buffer) => {
              if (ended) return;
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if ((controller.desiredSize ?? 1) <= 0) res.pause();
            });
            res.once("end", () => {
              if (!ended) controller.close();
              end();
            });
            res.once("error", (error) => {
              controller.error(error);
              end();
            });
            res.once("close", () => {
              // The upstream closed the connection without a proper end: the client's stream ends too.
              try {
                controller.close();
              } catch {
                // already closed or errored
              }
            });
          },
          pull() {
            res.resume();
          },
          cancel() {
            req.destroy();
            end();
          },
        },
        { highWaterMark: 16 },
      );
      resolve({ status, statusText: res.statusMessage ?? "", headers: responseHeaders, body });
    });
    req.end();
  });
