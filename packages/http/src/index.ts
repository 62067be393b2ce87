// @bat/http: the Elysia + Effect bridge every service's HTTP layer is built on.
export { HttpProblem, problemFromTable, titleForStatus } from "./HttpProblem.ts"
export type { FieldError, ProblemBody, ProblemMapping, ProblemTable, ProblemTableOf } from "./HttpProblem.ts"
export { makeRunner, UnexpectedFailure } from "./runner.ts"
export type { Runner } from "./runner.ts"
export { schema } from "./schema.ts"
export { makeServiceApp } from "./serviceApp.ts"
export type { LogEntry, Readiness, ServiceAppOptions } from "./serviceApp.ts"
export { makeAuth, requireRole } from "./auth.ts"
export { authorize, ENFORCED_AUTH_KEY } from "./authorize.ts"
export type { Auth, AuthOptions, Principal, Role } from "./auth.ts"
export { TOKEN_AUDIENCE, TOKEN_ISSUER, bootService, loadConfig, log, runServiceMain } from "./boot.ts"
export type { BootOptions, RunningService, ServiceConfig, ServiceContext } from "./boot.ts"
export { invalidCursor, makeCursor } from "./cursor.ts"
export type { Cursor, PageRequest } from "./cursor.ts"
export { OPERATION_DOC_KEY, operation, wireJsonSchema } from "./openapiDoc.ts"
export type { OperationAuth, OperationDoc, OperationDocData, OtherResponseDoc, ProblemStatus, RequestHeaderDoc } from "./openapiDoc.ts"
export { intSetting, portSetting } from "./settings.ts"
export { buildOpenApiDocument, problemSchema } from "./openapiDocument.ts"
export type { DocumentOptions, DocumentTag, DocumentedRoute } from "./openapiDocument.ts"
export { idempotencyKeyHeader, idempotencyKeyOf } from "./idempotency.ts"
export {
  countBookingDecision,
  countHoldExpired,
  countNotificationDelivery,
  countPayment,
  METRIC_PREFIX,
  metricsRegistry,
  metricsText,
  METRICS_CONTENT_TYPE,
  serviceMetricsRegistry,
  streamClientConnected,
} from "./metrics.ts"
export type { ServiceGaugeSources } from "./metrics.ts"
export { currentSigningKey, insertSigningKey, loadOrCreateSigningKey, publicSigningKeys, type StoredKey } from "./signingKeys.ts"
export { refuseRevoked, revokedUsersOf, tokenRevoked, withRevocationHandler, type RevokedUsers } from "./revocation.ts"
export { addressListSetting, clientAddressOf, limitKeyOf, LOOPBACK, parseAddressList, type AddressList } from "./clientAddress.ts"
export {
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  exampleSecretIn,
  hostSetting,
  httpSettings,
  payloadTooLarge,
  refuseExampleSecrets,
  SECURITY_HEADERS,
  type HttpSettings,
} from "./hardening.ts"
export {
  abuseLimitsEnabled,
  concurrencyLimiter,
  countLimited,
  declareLimit,
  failureLimiter,
  rateSetting,
  requestClientAddress,
  RETRY_AFTER_DOC,
  tokenBucket,
  tooManyRequests,
  trustedProxiesSetting,
  type ConcurrencyLimiter,
  type FailureLimiter,
  type FailurePolicy,
  type Rate,
  type TokenBucket,
  type Verdict,
} from "./rateLimit.ts"
export { lastEventIdOf, SSE_HEADERS, SseClient, sseComment, sseEvent, type LastEventId } from "./sse.ts"
