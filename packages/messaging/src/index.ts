// Public surface of @bat/messaging.
export { Broker, type BrokerOptions, type ConsumerRegistration, type OutgoingMessage } from "./Broker.ts"
export { Consumer, type ConsumerOptions, type Handler, type HandlerContext, type Handlers } from "./Consumer.ts"
export { startMessaging, type Messaging, type MessagingOptions } from "./Messaging.ts"
export { OutboxRelay, eventMessage, holdTimerMessage, type RelayOptions } from "./Outbox.ts"
export { listParked, parkedCount, replayParked, type ParkedMessage } from "./Parked.ts"
export { declareTopology, subscriptionMismatch, systemTopology, toDefinitions, topologyFor, type TopologySpec } from "./Topology.ts"
export { jsonLog, type LogLevel } from "./log.ts"
export type { ConsumeOutcome, ConsumerMetrics } from "./metrics.ts"
