// Test helpers: throw-away broker vhosts, polling with a deadline, a cuttable TCP proxy, and the service fleet.
export { createTestVhost, ensureServiceBrokerUsers, managementRequest, pollUntil, serviceAmqpUrl, startTcpProxy } from "./broker.ts";
export type { PollOptions, TcpProxy, TestVhost, TestVhostOptions } from "./broker.ts";
export { brokerEnvOf, DEFAULT_RESTART_POLICY, discoverServices, fleetEnv, FleetStartError, freePort, repoRoot, startFleet } from "./fleet.ts";
export type { Env, Fleet, FleetOptions, RestartPolicy, ServiceManifest, SupervisionEvent } from "./fleet.ts";
export {
  BAD_CURSORS,
  bearer,
  expectBadCursorsRefused,
  expectInvalidCursor,
  expectMalformedIdsLikeUnknown,
  expectMethodNotAllowed,
  expectProblem,
  json,
  MALFORMED_IDS,
  startEventPublisher,
  startTokenMint,
  tapExchange,
  tempDir
} from "./serviceHarness.ts";
export type { EventPublisher, EventTap, TokenMint } from "./serviceHarness.ts";
export { rawRoundTrip } from "./rawRoundTrip.ts";
export type { RawRoundTrip } from "./rawRoundTrip.ts";
export { publishNestedHeaders, type PublishNestedHeadersOptions } from "./rawAmqp.ts";
export { startPrivateBroker, type PrivateBroker } from "./privateBroker.ts";
export { startCluster, type BrokerCluster, type ClusterNode, type QueueInfo } from "./cluster.ts";
export { formatViolation, makeContractChecker, serviceDescriptionUrl, uncheckedFetch } from "./contractCheck.ts";
export type { ContractCheckResult, ContractChecker, ContractViolation, ObservedResponse } from "./contractCheck.ts";
export { assertNoServerErrors, fuzz, jsonRequest, type FuzzRequest, type NoServerErrorsOptions } from "./noServerErrors.ts";
export { bodyFor, isOversized, OVERSIZED_BYTES, OVERSIZED_CHUNKED, OVERSIZED_DECLARED, OVERSIZED_MARKERS } from "./oversized.ts";
