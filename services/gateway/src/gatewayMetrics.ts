// The front door's own counters and gauges, on the process registry the rest of /metrics uses.
import { METRIC_PREFIX, metricsRegistry } from "@bat/http/metrics";
import client from "prom-client";

let made:
  | {
      readonly streamsOpen: client.Gauge;
      readonly streamsOpened: client.Counter<"route">;
      readonly streamsRefused: client.Counter<"reason">;
      readonly requestsInFlight: client.Gauge;
      readonly bodiesRefused: client.Counter;
    }
  | undefined;

export const gatewayMetrics = () =>
  (made ??= {
    streamsOpen: new client.Gauge({
      name: `${METRIC_PREFIX}gateway_streams_open`,
      help: "Event streams the front door is relaying now",
      registers: [metricsRegistry()],
    }),
    streamsOpened: new client.Counter({
      name: `${METRIC_PREFIX}gateway_streams_opened_total`,
      help: "Event streams the front door has opened, by route",
      labelNames: ["route"] as const,
      registers: [metricsRegistry()],
    }),
    streamsRefused: new client.Counter({
      name: `${METRIC_PREFIX}gateway_streams_refused_total`,
      help: "Event streams refused: per_client (429, the abuse limit) or total (503, capacity)",
      labelNames: ["reason"] as const,
      registers: [metricsRegistry()],
    }),
    requestsInFlight: new client.Gauge({
      name: `${METRIC_PREFIX}gateway_requests_in_flight`,
      help: "Ordinary (not event-stream) requests waiting for an upstream's answer",
      registers: [metricsRegistry()],
    }),
    bodiesRefused: new client.Counter({
      name: `${METRIC_PREFIX}gateway_bodies_refused_total`,
      help: "Requests refused with 413 because their body was larger than MAX_BODY_BYTES",
      registers: [metricsRegistry()],
    }),
  });
