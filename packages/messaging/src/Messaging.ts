// Wires a service's messaging: one broker link, its topology, the outbox relay and the consumer runner.
import type { StoreShape } from "@bat/store"
import { Effect } from "effect"
import { Broker } from "./Broker.ts"
import { Consumer, type ConsumerOptions } from "./Consumer.ts"
import { OutboxRelay } from "./Outbox.ts"
import { listParked, parkedCount, replayParked } from "./Parked.ts"
import { brokerUserOf, userOfUrl } from "./Access.ts"
import { ownTopologyFor, topologyFor } from "./Topology.ts"

export interface MessagingOptions<R> extends Omit<ConsumerOptions<R>, "store" | "broker" | "service" | "handlers" | "runSyncExit"> {
  readonly service: string
  readonly url: string
  readonly store: StoreShape
  readonly handlers?: ConsumerOptions<R>["handlers"]
  /** Needed with handlers: runs a handler's Effect synchronously (e.g. `ManagedRuntime.runSyncExit`). */
  readonly runSyncExit?: ConsumerOptions<R>["runSyncExit"]
  readonly holdTtlMs?: number
  readonly relayPollMs?: number
  /** `x-delivery-limit` of every inbox (default 50). */
  readonly deliveryLimit?: number
  /** Resolve only once the first connection is up (default true); a service passes false and reports readiness instead. */
  readonly waitForBroker?: boolean
}

export interface Messaging {
  readonly broker: Broker
  readonly relay: OutboxRelay
  readonly consumer: Consumer<unknown> | undefined
  readonly listParked: (limit?: number) => ReturnType<typeof listParked>
  readonly replayParked: (ids?: ReadonlyArray<string>) => Promise<number>
  readonly parkedCount: () => Promise<number>
  readonly stop: () => Promise<void>
}

export const startMessaging = async <R>(opts: MessagingOptions<R>): Promise<Messaging> => {
  const topologyOptions = {
    ...(opts.retryDelays ? { retryDelays: opts.retryDelays } : {}),
    ...(opts.holdTtlMs !== undefined ? { holdTtlMs: opts.holdTtlMs } : {}),
    ...(opts.deliveryLimit !== undefined ? { deliveryLimit: opts.deliveryLimit } : {})
  }
  // As its own broker user (DESIGN §17) a service may declare only what it owns and checks the rest;
  // with a shared user (development, tests) it declares the whole layout as before.
  const ownUser = userOfUrl(opts.url) === brokerUserOf(opts.service)
  const topology = ownUser ? ownTopologyFor(opts.service, topologyOptions) : topologyFor(opts.service, topologyOptions)
  const broker = new Broker({ url: opts.url, topology, ...(opts.log ? { log: opts.log } : {}) })
  const consumer = opts.handlers
    ? new Consumer<R>({
        ...opts,
        handlers: opts.handlers,
        runSyncExit: opts.runSyncExit ?? (Effect.runSyncExit as ConsumerOptions<R>["runSyncExit"]),
        broker,
        store: opts.store,
        service: opts.service
      })
    : undefined
  const relay = new OutboxRelay(opts.store, broker, {
    service: opts.service,
    ...(opts.relayPollMs ? { pollMs: opts.relayPollMs } : {})
  })
  await broker.start()
  relay.start()
  if (opts.waitForBroker !== false) await broker.waitForConnect()
  return {
    broker,
    relay,
    consumer: consumer as Consumer<unknown> | undefined,
    listParked: (limit) => listParked(broker, opts.service, limit),
    replayParked: (ids) => replayParked(broker, opts.service, ids),
    parkedCount: () => parkedCount(broker, opts.service),
    stop: async () => {
      await relay.stop()
      await broker.close()
    }
  }
}
