// Public surface of @bat/messaging.
export { Broker, type BrokerOptions, type ConsumerRegistration, type OutgoingMessage } from "./Broker.ts"
export { Consumer, type ConsumerOptions, type Handler, type HandlerContext, type Handlers } from "./Consumer.ts"
export { startMessaging, type Messaging, type MessagingOptions } from "./Messaging.ts"
export { OutboxRelay, eventMessage, holdTimerMessage, type RelayOptions } from "./Outbox.ts"
export { listParked, parkedCount, replayParked, type ParkedMessage } from "./Parked.ts"
export { declareTopology, subscriptionMismatch, systemTopology, toDefinitions, topologyFor, type TopologySpec } from "./Topology.ts"
export { jsonLog, type LogLevel } from "./log.ts"
export type { ConsumeOutcome, ConsumerMetrics } from "./metrics.ts"
export { inSpan, Traceparent, traceparentNow, withTraceparentEffect } from "./tracing.ts"
export {
  brokerCredentialsFor,
  brokerPermissionsOf,
  brokerServices,
  brokerUserOf,
  checkUserId,
  devBrokerPassword,
  passwordSettingOf,
  PRODUCER_USER_HEADER,
  userOfUrl,
  withCredentials,
  type BrokerCredentials,
  type Permissions
} from "./Access.ts"
export { IncompleteLayout, operatorTopology, ownTopologyFor } from "./Topology.ts"
export {
  declareOperatorLayout,
  ensureBrokerUsers,
  grantBrokerPermissions,
  provisionBroker,
  rabbitPasswordHash,
  serviceUsersDefinitions,
  type ProvisionOptions
} from "./provisionBroker.ts"
