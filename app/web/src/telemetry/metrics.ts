// Metrics: one meter for the page, exported as OTLP/HTTP JSON to the shop's intake with delta
// temporality: each export carries what was measured since the previous one, so a page that
// goes away loses nothing it already sent, and the shop adds the pages up. The reader exports
// every `export_interval_ms`, and when the page is hidden (sdk.ts calls `flush`).
//
// What is measured: the Web Vitals (vitals.ts) and the UI's own metrics (ui.ts). Their names
// and attributes are the intake's list (app/server/src/http/rum/metrics.rs): a metric's
// attributes must take few values, since each combination is a series to store.
import type { Meter } from "@opentelemetry/api";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import type { Resource } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";

import type { RumConfig } from "./config";

export interface Metrics {
  meter: Meter;
  flush(): Promise<void>;
}

export function startMetrics(config: RumConfig, resource: Resource): Metrics {
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({
      url: config.endpoints.metrics,
      temporalityPreference: AggregationTemporalityPreference.DELTA,
    }),
    exportIntervalMillis: config.exportIntervalMs,
    // The intake takes at most 512 data points a request.
    maxExportBatchSize: 256,
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  return { meter: provider.getMeter("shop-web", config.serviceVersion), flush: () => reader.forceFlush() };
}
