// The front door's settings, read once at start-up; a bad value stops it with one line naming the setting.
import { addressListSetting, LOOPBACK, type AddressList } from "@bat/http/clientAddress";
import { hostSetting } from "@bat/http/hardening";
import { abuseLimitsEnabled } from "@bat/http/rateLimit";

type Env = Readonly<Record<string, string | undefined>>;

export interface GatewayLimits {
  /** Request bodies larger than this are 413 problem+json before anything is forwarded (MAX_BODY_BYTES). */
  readonly maxBodyBytes: number;
  /** Event streams open at once, in total: capacity, 503 beyond it (GATEWAY_MAX_STREAMS). */
  readonly maxStreams: number;
  /** Event streams open at once from one client address: an abuse limit, 429 beyond it; undefined when off. */
  readonly maxStreamsPerClient: number | undefined;
  /** Peers whose X-Forwarded-For the front door extends instead of replacing (TRUSTED_PROXIES). */
  readonly trustedProxies: AddressList;
  /** Peers the front door's own /metrics answers (METRICS_ALLOW); 404 problem for anyone else. */
  readonly metricsAllow: AddressList;
  /** Bun fetch's simultaneous requests per process (BUN_CONFIG_MAX_HTTP_REQUESTS): /ready is 503 when all are busy. */
  readonly fetchPool: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxBodyBytes: 65_536,
  maxStreams: 10_000,
  maxStreamsPerClient: 64,
  trustedProxies: addressListSetting({}, "TRUSTED_PROXIES", LOOPBACK),
  metricsAllow: addressListSetting({}, "METRICS_ALLOW", LOOPBACK),
  fetchPool: 256,
};

const positiveInt = (env: Env, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^[0-9]+$/.test(raw.trim()) || Number(raw) < 1) throw new Error(`${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return Number(raw);
};

export const limitsFromEnv = (env: Env): GatewayLimits => ({
  maxBodyBytes: positiveInt(env, "MAX_BODY_BYTES", DEFAULT_LIMITS.maxBodyBytes),
  maxStreams: positiveInt(env, "GATEWAY_MAX_STREAMS", DEFAULT_LIMITS.maxStreams),
  // ABUSE_LIMITS=off lifts the per-client cap (an abuse limit), never the total (capacity).
  maxStreamsPerClient: !abuseLimitsEnabled(env)
    ? undefined
    : positiveInt(env, "GATEWAY_MAX_STREAMS_PER_CLIENT", DEFAULT_LIMITS.maxStreamsPerClient ?? 64),
  trustedProxies: addressListSetting(env, "TRUSTED_PROXIES", LOOPBACK),
  metricsAllow: addressListSetting(env, "METRICS_ALLOW", LOOPBACK),
  fetchPool: positiveInt(env, "BUN_CONFIG_MAX_HTTP_REQUESTS", DEFAULT_LIMITS.fetchPool),
});

/** The address to bind: GATEWAY_HOST, else HOST, else loopback only. */
export const hostFromEnv = (env: Env): string => {
  for (const name of ["GATEWAY_HOST", "HOST"]) {
    if ((env[name] ?? "").trim() !== "") return hostSetting(env, name);
  }
  return "127.0.0.1";
};
