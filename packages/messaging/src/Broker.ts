// One recovering AMQP connection per process: topology and consumers are (re)declared in its setup hook.
import * as amqp from "amqplib"
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib"
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
  readonly url: string
  readonly topology: TopologySpec
  readonly log?: (level: "info" | "warn" | "error", message: string) => void
  /** Gives up the first connection after this many retries (start-up fails fast); later outages retry forever. */
  readonly initialMaxRetries?: number
}

export class Broker {
  private model: amqp.RecoveringChannelModel | undefined
  private publisher: ConfirmChannel | undefined
  private readonly consumers: Array<ConsumerRegistration> = []
  private readonly waiters: Array<() => void> = []
  private closing = false
  connected = false

  constructor(private readonly opts: BrokerOptions) {}

  private log(level: "info" | "warn" | "error", message: string) {
    ;(this.opts.log ?? defaultLog)(level, message)
  }

  /** Registers a consumer; it starts on connect and again after every reconnect. */
  consume(reg: ConsumerRegistration): void {
    this.consumers.push(reg)
  }

  async start(): Promise<void> {
    const model = await amqp.connect(this.opts.url, {
      recovery: {
        initialDelay: 100,
        maxDelay: 5_000,
        initialMaxRetries: this.opts.initialMaxRetries ?? 50,
        maxRetries: Number.POSITIVE_INFINITY,
        waitForConnect: false,
        setup: (m: ChannelModel) => this.setup(m)
      }
    })
    this.model = model
    model.on("error", (err: Error) => this.log("warn", `broker connection error: ${err.message}`))
    model.on("disconnect", (err: Error) => {
      this.connected = false
      this.publisher = undefined
      if (!this.closing) this.log("warn", `broker link lost (${err?.message ?? "closed"}); reconnecting`)
    })
    model.on("connect", () => {
      this.connected = true
      this.log("info", "broker connected")
      for (const w of this.waiters.splice(0)) w()
    })
    model.on("reconnect-failed", (err: Error) => this.log("error", `broker reconnect gave up: ${err.message}`))
    await model.waitForConnect()
  }

  private async setup(m: ChannelModel): Promise<void> {
    const admin = await m.createChannel()
    admin.on("error", () => {})
    await declareTopology(admin, this.opts.topology)
    await admin.close()
    const publisher = await m.createConfirmChannel()
    publisher.on("error", (err: Error) => this.log("warn", `publisher channel error: ${err.message}`))
    publisher.on("close", () => {
      if (this.publisher === publisher) this.publisher = undefined
    })
    this.publisher = publisher
    for (const reg of this.consumers) {
      const ch = await m.createChannel()
      ch.on("error", (err: Error) => this.log("warn", `consumer channel error on ${reg.queue}: ${err.message}`))
      await ch.prefetch(reg.prefetch)
      await ch.consume(reg.queue, (msg) => {
        if (msg) reg.onMessage(msg, ch)
      })
    }
  }

  /** Resolves once the broker link is up (now, or after the next reconnect). */
  whenConnected(): Promise<void> {
    if (this.connected && this.publisher) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Publishes in order and resolves when the broker has confirmed every message; rejects if any is not. */
  async publish(messages: ReadonlyArray<OutgoingMessage>): Promise<void> {
    const ch = this.publisher
    if (!ch) throw new Error("broker not connected")
    for (const m of messages) {
      const body = typeof m.body === "string" ? Buffer.from(m.body) : m.body
      if (!ch.publish(m.exchange, m.routingKey, body, m.options)) {
        await new Promise<void>((resolve) => ch.once("drain", () => resolve()))
      }
    }
    await ch.waitForConfirms()
  }

  /** A short-lived channel for operator work (DLQ listing, queue depth). */
  async withChannel<A>(f: (ch: Channel) => Promise<A>): Promise<A> {
    if (!this.model) throw new Error("broker not started")
    const ch = await this.model.createChannel()
    ch.on("error", () => {})
    try {
      return await f(ch)
    } finally {
      await ch.close().catch(() => {})
    }
  }

  async close(): Promise<void> {
    this.closing = true
    await this.model?.close().catch(() => {})
    this.connected = false
  }
}

const defaultLog = (level: "info" | "warn" | "error", message: string) => {
  const line = JSON.stringify({ level, time: new Date().toISOString(), msg: message })
  if (level === "error") console.error(line)
  else console.log(line)
}
