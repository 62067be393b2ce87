// One recovering AMQP connection per process. The topology, the publisher channel and the consumers are
// (re)made in amqplib's setup hook; a channel the broker closes is reopened here without a reconnect
// (DESIGN §3.1). Every connection and channel gets its error and close listeners before it is used.
// `url` may name several nodes of a cluster, comma-separated: the link goes to one of them and, when
// it is lost or cannot be made, the next attempt goes to the next node, round-robin (DESIGN §12).
import * as amqp from "amqplib"
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from "amqplib"
import { jsonLog, type LogLevel } from "./log.ts"
import { declareTopology, type TopologySpec } from "./Topology.ts"

export interface OutgoingMessage {
  readonly exchange: string
  readonly routingKey: string
  readonly body: Buffer | string
  readonly options: Options.Publish
}

export interface ConsumerRegistration {
  readonly queue: string
  readonly prefetch: number
  /** Called with each delivery and the channel it arrived on (acks must go back to that channel). */
  readonly onMessage: (msg: ConsumeMessage, channel: Channel) => void
}


export interface BrokerOptions {
  /** One AMQP URL, or several nodes of one cluster, comma-separated (same vhost and credentials). */
  readonly url: string
  readonly topology: TopologySpec
  readonly log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void
  /** Reconnect back-off ceiling (default 4 s, so a returning broker is used within 5 s). */
  readonly maxReconnectDelayMs?: number
  /** How long a publish may wait for its confirms before the publisher channel is recycled (default 30 s). */
  readonly confirmTimeoutMs?: number
  /** How long opening a connection (TCP and AMQP handshake) may take before the next node is tried (default 10 s). */
  readonly connectTimeoutMs?: number
}

/** The nodes of an `AMQP_URL`: one URL, or several separated by commas. */
export const brokerUrls = (url: string): ReadonlyArray<string> => {
  const urls = url
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "")
  if (urls.length === 0) throw new Error("AMQP_URL names no broker")
  return urls
}

/** `host:port` of a node, for log lines (never the credentials). */
export const nodeLabel = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || (u.protocol === "amqps:" ? "5671" : "5672")}`
  } catch {
    return "an unparsable URL"
  }
}

/**
 * amqplib's connection options for one URL, read the way amqplib reads a URL string (the vhost is
 * left escaped: amqplib unescapes it; credentials default to guest/guest only when both are absent;
 * `heartbeat`, `frameMax`, `channelMax` and `locale` come from the query).
 */
export const connectOptionsOf = (url: string): Options.Connect => {
  const u = new URL(url)
  if (u.protocol !== "amqp:" && u.protocol !== "amqps:") throw new Error(`not an AMQP URL: ${nodeLabel(url)}`)
  const q = u.searchParams
  const num = (k: string) => (q.get(k) === null ? undefined : Number.parseInt(q.get(k)!, 10))
  const anyCredentials = u.username !== "" || u.password !== ""
  return {
    protocol: u.protocol.slice(0, -1),
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port === "" ? (u.protocol === "amqp:" ? 5672 : 5671) : Number(u.port),
    username: anyCredentials ? decodeURIComponent(u.username) : undefined,
    password: anyCredentials ? decodeURIComponent(u.password) : undefined,
    vhost: u.pathname.length > 1 ? u.pathname.slice(1) : undefined,
    heartbeat: num("heartbeat"),
    frameMax: num("frameMax"),
    channelMax: num("channelMax"),
    locale: q.get("locale") ?? undefined
  } as Options.Connect
}

export interface BrokerHealth {
  readonly connected: boolean
  readonly publisher: boolean
  readonly consumers: ReadonlyArray<{ readonly queue: string; readonly up: boolean }>
  /** Messages the broker returned as unroutable since start. */
  readonly returned: number
}

interface ConsumerSlot {
  readonly reg: ConsumerRegistration
  channel: Channel | undefined
  tag: string | undefined
  /**
   * A new consumer starts with prefetch 1 and widens to `reg.prefetch` once a first delivery that is
   * not a redelivery has been settled: a message that kills the connection or the process is then
   * redelivered alone, so only its own delivery count grows towards the queue's delivery limit.
   */
  cautious: boolean
  widening: boolean
}

const reopenDelay = (attempt: number) => Math.min(2_000, 100 * 2 ** attempt)

export class Broker {
  private model: amqp.RecoveringChannelModel | undefined
  /** The live connection, from the start of its setup until it closes. */
  private conn: ChannelModel | undefined
  private publisher: ConfirmChannel | undefined
  private readonly slots: Array<ConsumerSlot> = []
  private readonly waiters: Array<() => void> = []
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private closing = false
  /** The cluster's nodes, and the one the current or next connection attempt goes to. */
  private readonly urls: ReadonlyArray<string>
  private node = 0
  connected = false
  returned = 0
  /** The user the link authenticates as; every publish carries it as its AMQP `user-id` (the broker validates it). */
  readonly user: string

  constructor(private readonly opts: BrokerOptions) {
    this.urls = brokerUrls(opts.url)
    this.user = connectOptionsOf(this.urls[0]!).username ?? "guest"
  }

  /** The node the link is on (or is being attempted), as `host:port`. */
  get currentNode(): string {
    return nodeLabel(this.urls[this.node]!)
  }

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
    ;(this.opts.log ?? defaultLog)(level, message, fields)
  }

  /** Registers a consumer; it starts on connect, after every reconnect and whenever its channel is reopened. */
  consume(reg: ConsumerRegistration): void {
    this.slots.push({ reg, channel: undefined, tag: undefined, cautious: true, widening: false })
  }

  /** Starts connecting and returns at once; the link is retried forever with capped back-off. */
  async start(): Promise<void> {
    // Several nodes: amqplib reads the connection options object at every attempt (its recovery reuses
    // the first argument), so moving that object to the next node makes the next attempt go there.
    const target: Options.Connect = this.urls.length > 1 ? { ...connectOptionsOf(this.urls[0]!) } : {}
    const nextNode = () => {
      if (this.urls.length < 2) return
      this.node = (this.node + 1) % this.urls.length
      const next = connectOptionsOf(this.urls[this.node]!)
      for (const k of Object.keys(target) as Array<keyof Options.Connect>) delete target[k]
      Object.assign(target, next)
    }
    const model = await amqp.connect(this.urls.length > 1 ? target : this.urls[0]!, {
      timeout: this.opts.connectTimeoutMs ?? 10_000,
      recovery: {
        initialDelay: 100,
        maxDelay: this.opts.maxReconnectDelayMs ?? 4_000,
        initialMaxRetries: Number.POSITIVE_INFINITY,
        maxRetries: Number.POSITIVE_INFINITY,
        waitForConnect: false,
        setup: (m: ChannelModel) => this.setup(m)
      }
    })
    this.model = model
    model.on("error", (err: Error) => this.log("warn", `broker connection error: ${err.message}`))
    // Both events come before amqplib schedules the next attempt, which then goes to the next node.
    model.on("disconnect", (err: Error) => {
      this.connected = false
      const lost = this.currentNode
      nextNode()
      if (!this.closing) this.log("warn", `broker link lost (${err?.message ?? "closed"}); reconnecting`, this.nodeFields(lost))
    })
    model.on("connect-failed", (err: Error) => {
      const failed = this.currentNode
      nextNode()
      if (!this.closing) this.log("warn", `broker connection attempt failed: ${err?.message ?? "unknown"}`, this.nodeFields(failed))
    })
    model.on("connect", () => {
      this.connected = true
      this.log("info", "broker connected", this.nodeFields(this.currentNode))
      this.notifyWaiters()
    })
    model.on("reconnect-failed", (err: Error) => this.log("error", `broker reconnect gave up: ${err.message}`))
  }

  /** With several nodes, log lines name the node and what comes next. */
  private nodeFields(node: string): Record<string, unknown> | undefined {
    if (this.urls.length < 2) return undefined
    return this.connected ? { node } : { node, next: this.currentNode }
  }

  /** Resolves once the first connection (and its set-up) is complete. */
  async waitForConnect(): Promise<void> {
    await this.model?.waitForConnect()
  }

  private async setup(m: ChannelModel): Promise<void> {
    // Listeners first: amqplib attaches its own only after this hook returns (STACK-FACTS §11).
    m.on("error", (err: Error) => this.log("warn", `broker connection error: ${err.message}`))
    let closed: (err: Error) => void = () => {}
    const whenClosed = new Promise<never>((_, reject) => {
      closed = reject
    })
    whenClosed.catch(() => {})
    m.on("close", () => {
      this.connectionClosed(m)
      closed(new Error("the connection closed during set-up"))
    })
    this.conn = m
    // An operation whose connection dies does not always settle (a channel close awaiting its close-ok):
    // set-up fails as soon as the link goes, or after a time-out, and the recovery tries again.
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("broker set-up timed out")), 30_000)
    })
    timeout.catch(() => {})
    try {
      await Promise.race([this.declareAndOpen(m), whenClosed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async declareAndOpen(m: ChannelModel): Promise<void> {
    const admin = await this.scratchChannel(m)
    const last = await declareTopology(() => this.scratchChannel(m), admin, this.opts.topology, (msg) => this.log("error", msg))
    void last.close().catch(() => {})
    await this.openPublisher(m)
    for (const slot of this.slots) await this.openConsumer(m, slot)
  }

  private async scratchChannel(m: ChannelModel): Promise<Channel> {
    const ch = await m.createChannel()
    ch.on("error", () => {})
    ch.on("close", () => {})
    return ch
  }

  private connectionClosed(m: ChannelModel) {
    if (this.conn !== m) return
    this.conn = undefined
    this.connected = false
    this.publisher = undefined
    for (const slot of this.slots) {
      slot.channel = undefined
      slot.tag = undefined
    }
  }

  private later(f: () => void, ms: number) {
    const t = setTimeout(() => {
      this.timers.delete(t)
      f()
    }, ms)
    this.timers.add(t)
  }

  private async openPublisher(m: ChannelModel): Promise<void> {
    const ch = await m.createConfirmChannel()
    ch.on("error", (err: Error) => this.log("warn", `publisher channel error: ${err.message}`))
    if (this.conn !== m) {
      ch.close().catch(() => {})
      throw new Error("the connection closed while the publisher channel was opened")
    }
    ch.on("close", () => {
      if (this.publisher !== ch) return
      this.publisher = undefined
      if (this.conn === m && !this.closing) {
        this.log("warn", "publisher channel closed; reopening")
        this.reopenPublisher(m, 0)
      }
    })
    ch.on("return", (msg: Message) => {
      this.returned++
      this.log("error", "the broker returned an unroutable message", {
        messageId: msg.properties.messageId,
        type: msg.properties.type,
        exchange: msg.fields.exchange,
        routingKey: msg.fields.routingKey
      })
    })
    this.publisher = ch
    this.notifyWaiters()
  }

  private reopenPublisher(m: ChannelModel, attempt: number) {
    this.later(() => {
      if (this.conn !== m || this.closing || this.publisher) return
      this.openPublisher(m).then(
        () => this.log("info", "publisher channel reopened"),
        (err: Error) => {
          this.log("warn", `could not reopen the publisher channel: ${err.message}`)
          this.reopenPublisher(m, attempt + 1)
        }
      )
    }, reopenDelay(attempt))
  }

  private async openConsumer(m: ChannelModel, slot: ConsumerSlot): Promise<void> {
    const ch = await m.createChannel()
    const queue = slot.reg.queue
    ch.on("error", (err: Error) => this.log("warn", `consumer channel error on ${queue}: ${err.message}`))
    if (this.conn !== m) {
      ch.on("close", () => {})
      ch.close().catch(() => {})
      throw new Error(`the connection closed while the consumer on ${queue} was opened`)
    }
    ch.on("close", () => {
      if (slot.channel !== ch) return
      slot.channel = undefined
      slot.tag = undefined
      if (this.conn === m && !this.closing) {
        this.log("warn", `consumer channel on ${queue} closed; reopening`)
        this.reopenConsumer(m, slot, 0)
      }
    })
    slot.channel = ch
    slot.cautious = true
    await ch.prefetch(1)
    slot.tag = (await ch.consume(queue, (msg) => this.deliver(slot, ch, msg))).consumerTag
  }

  private deliver(slot: ConsumerSlot, ch: Channel, msg: ConsumeMessage | null) {
    if (msg) return slot.reg.onMessage(msg, ch)
    // The broker cancelled the consumer (its queue was deleted): start over on a new channel.
    this.log("warn", `the broker cancelled the consumer on ${slot.reg.queue}`)
    ch.close().catch(() => {})
  }

  private reopenConsumer(m: ChannelModel, slot: ConsumerSlot, attempt: number) {
    this.later(() => {
      if (this.conn !== m || this.closing || slot.channel) return
      this.openConsumer(m, slot).then(
        () => this.log("info", `consumer on ${slot.reg.queue} reopened`),
        (err: Error) => {
          this.log("warn", `could not reopen the consumer on ${slot.reg.queue}: ${err.message}`)
          if (slot.channel) slot.channel.close().catch(() => {})
          slot.channel = undefined
          this.reopenConsumer(m, slot, attempt + 1)
        }
      )
    }, reopenDelay(attempt))
  }

  /**
   * Called by the consumer after it settled a first delivery that was not a redelivery on `ch`:
   * the consumer on that channel moves from prefetch 1 to its full prefetch.
   */
  async widen(ch: Channel): Promise<void> {
    const slot = this.slots.find((s) => s.channel === ch)
    if (!slot || !slot.cautious || slot.widening || slot.tag === undefined) return
    slot.widening = true
    try {
      await ch.cancel(slot.tag)
      await ch.prefetch(slot.reg.prefetch)
      if (slot.channel !== ch) return
      slot.tag = (await ch.consume(slot.reg.queue, (msg) => this.deliver(slot, ch, msg))).consumerTag
      slot.cautious = false
    } catch {
      // The channel died meanwhile; it is reopened (cautious again) by its close listener.
    } finally {
      slot.widening = false
    }
  }

  health(): BrokerHealth {
    return {
      connected: this.connected,
      publisher: this.publisher !== undefined,
      consumers: this.slots.map((s) => ({ queue: s.reg.queue, up: s.channel !== undefined && s.tag !== undefined })),
      returned: this.returned
    }
  }

  /** True when the link, the publisher channel and every consumer are up. */
  isHealthy(): boolean {
    const h = this.health()
    return h.connected && h.publisher && h.consumers.every((c) => c.up)
  }

  private notifyWaiters() {
    if (!this.canPublish) return
    for (const w of this.waiters.splice(0)) w()
  }

  get canPublish(): boolean {
    return this.connected && this.publisher !== undefined
  }

  /** Resolves once a publish can be attempted (now, or after the next (re)connect or channel reopen). */
  whenConnected(): Promise<void> {
    if (this.canPublish) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /**
   * Publishes in order, mandatory unless the message says otherwise, and resolves when the broker has confirmed every one;
   * rejects if any is not confirmed (nacked, channel closed, or no confirm within the time-out).
   */
  async publish(messages: ReadonlyArray<OutgoingMessage>): Promise<void> {
    const ch = this.publisher
    if (!ch) throw new Error("no publisher channel (broker link down)")
    let onClose: () => void = () => {}
    const closed = new Promise<never>((_, reject) => {
      onClose = () => reject(new Error("publisher channel closed before the confirms arrived"))
      ch.once("close", onClose)
    })
    closed.catch(() => {})
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error("publisher confirms timed out"))
        // Confirms that never come would block every later wait on this channel: start a new one.
        ch.close().catch(() => {})
      }, this.opts.confirmTimeoutMs ?? 30_000)
    })
    timeout.catch(() => {})
    try {
      for (const m of messages) {
        const body = typeof m.body === "string" ? Buffer.from(m.body) : m.body
        if (!ch.publish(m.exchange, m.routingKey, body, { mandatory: true, ...m.options, userId: this.user })) {
          await Promise.race([new Promise<void>((resolve) => ch.once("drain", () => resolve())), closed, timeout])
        }
      }
      await Promise.race([ch.waitForConfirms(), closed, timeout])
    } finally {
      clearTimeout(timer)
      ch.removeListener("close", onClose)
    }
  }

  /**
   * Closes the publisher channel so that a new one is opened in its place (as after any close). For a
   * publisher whose confirms keep coming back negative: a channel opened while a quorum queue was
   * electing a new leader can keep refusing what a fresh channel on the same node delivers.
   */
  recyclePublisher(reason: string): void {
    const ch = this.publisher
    if (ch === undefined) return
    this.log("warn", `recycling the publisher channel: ${reason}`)
    ch.close().catch(() => {})
  }

  /** A short-lived channel for operator work (DLQ listing, queue depth). */
  async withChannel<A>(f: (ch: Channel) => Promise<A>): Promise<A> {
    const m = this.conn
    if (!m || !this.connected) throw new Error("broker not connected")
    const ch = await m.createChannel()
    ch.on("error", () => {})
    ch.on("close", () => {})
    try {
      return await f(ch)
    } finally {
      await ch.close().catch(() => {})
    }
  }

  /**
   * A channel on a connection of its own, for reading message contents (DLQ listing and replay): a
   * message the client cannot decode then breaks only that connection, not the service's link.
   */
  async withOwnConnection<A>(f: (ch: Channel) => Promise<A>): Promise<A> {
    const conn = await this.connectAnyNode()
    // A pending operation is not always settled when its connection dies (a frame it cannot decode):
    // the work fails as soon as the connection goes.
    const lost = new Promise<never>((_, reject) => {
      conn.on("error", (err: Error) => reject(new Error(`operator connection failed: ${err.message}`)))
      conn.on("close", () => reject(new Error("operator connection closed")))
    })
    lost.catch(() => {})
    try {
      const ch = await Promise.race([conn.createChannel(), lost])
      ch.on("error", () => {})
      ch.on("close", () => {})
      const result = await Promise.race([f(ch), lost])
      // Closing the channel first lets the broker apply its acks before the connection goes.
      await Promise.race([ch.close().catch(() => {}), lost.catch(() => {})])
      return result
    } finally {
      await Promise.race([conn.close().catch(() => {}), Bun.sleep(2_000)])
    }
  }

  /** A plain connection to the node the link is on, else to the first of the others that answers. */
  private async connectAnyNode(): Promise<ChannelModel> {
    let lastError: unknown
    for (let i = 0; i < this.urls.length; i++) {
      const url = this.urls[(this.node + i) % this.urls.length]!
      try {
        return await amqp.connect(url, { timeout: this.opts.connectTimeoutMs ?? 10_000 })
      } catch (e) {
        lastError = e
      }
    }
    throw lastError
  }

  async close(): Promise<void> {
    this.closing = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await this.model?.close().catch(() => {})
    this.connected = false
  }
}

const defaultLog = (level: LogLevel, message: string, fields?: Record<string, unknown>) => jsonLog(undefined, level, message, fields)
