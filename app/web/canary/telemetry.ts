// The canary's own telemetry, in Node: one trace per run, metrics shaped like what CloudWatch
// Synthetics publishes, and a log record per step and per run, exported as OTLP/HTTP to the lab's
// collector (or any OTLP endpoint). The same OpenTelemetry JS packages and versions as the UI's
// browser telemetry (package.json); nothing Node-specific was needed: the OTLP/HTTP exporters pick
// their Node transport themselves, and span parents are passed explicitly (no context manager).
// docs/canary.md lists every name.
import { randomUUID } from "node:crypto";

import { type Context, context, type Counter, defaultTextMapSetter, diag, DiagLogLevel, type Gauge, type Histogram, type Span, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { type Logger, SeverityNumber } from "@opentelemetry/api-logs";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { AggregationTemporalityPreference, OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { AWSXRayIdGenerator } from "@opentelemetry/id-generator-aws-xray";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_URL_FULL } from "@opentelemetry/semantic-conventions";

export const SERVICE_NAME = "shop-canary";
const SCOPE = "shop-canary";
/** The step's context as W3C's traceparent, whatever the shop propagates (src/telemetry/outer.ts). */
const w3c = new W3CTraceContextPropagator();

export interface TelemetryOptions {
  /** The OTLP/HTTP base URL (`/v1/traces` etc. are appended). */
  endpoint: string;
  /** deployment.environment.name (the collector inserts its own when absent). */
  environment?: string;
  /** Export nothing (the run still measures and reports). */
  disabled?: boolean;
}

/** The endpoint from the standard variable, else the lab's collector. */
export function defaultEndpoint(): string {
  return (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || "http://127.0.0.1:4318").replace(/\/+$/, "");
}

/** What one step did: the span, the metrics and the log record are made from it. */
export interface StepOutcome {
  name: string;
  ok: boolean;
  durationMs: number;
  /** Why it failed (the error's first line), when it did. */
  reason?: string;
  /**
   * The shop's traces of the step's API calls (their `x-trace-id` answers, as the shop's backend
   * writes them): where to look, from the canary's step, for what the shop did (O-SYNTH-01).
   */
  shopTraceIds?: string[];
}

/** A run's telemetry: start it, report each step, finish it, then `shutdown` flushes everything. */
export interface RunTelemetry {
  /** service.instance.id of this run's resource: tells this run's telemetry apart from others'. */
  instanceId: string;
  traceId: string;
  /**
   * The step's span is started now; `end` ends it with the outcome and records the rest.
   * `traceparent` is the span's W3C traceparent, for the page to continue (null when nothing is
   * exported: the page's spans would point at a trace that is never sent).
   */
  step(name: string): { traceparent: string | null; end(outcome: StepOutcome): void };
  finish(ok: boolean, durationMs: number, failedStep?: string): void;
  /** Flushes and stops every provider; resolves when the exports answered (or failed). */
  shutdown(): Promise<void>;
}

interface Instruments {
  successPercent: Gauge;
  duration: Histogram;
  failed: Counter;
  stepSuccessPercent: Gauge;
  stepDuration: Histogram;
}

let diagSet = false;

/** The SDK's diagnostics are often a serialised error with its stack: its message is enough. */
function briefly(message: string): string {
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return message.split("\n")[0] ?? message;
}

export function startRunTelemetry(journey: string, baseUrl: string, options: TelemetryOptions): RunTelemetry {
  if (!diagSet) {
    // Export failures (a collector that is down) are said on stderr, not swallowed.
    const say = (m: string) => console.error(`canary: telemetry: ${briefly(m)}`);
    diag.setLogger({ error: say, warn: say, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    diagSet = true;
  }
  const instanceId = randomUUID();
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: SERVICE_NAME,
      [ATTR_SERVICE_INSTANCE_ID]: instanceId,
      ...(options.environment ? { "deployment.environment.name": options.environment } : {}),
    }),
  );
  const endpoint = options.endpoint.replace(/\/+$/, "");
  const tracerProvider = new BasicTracerProvider({
    resource,
    // X-Ray-compatible trace ids: the lab's collector also sends traces to X-Ray (moto), which
    // refuses ids that do not start with an epoch second (collector/pipeline.yaml).
    idGenerator: new AWSXRayIdGenerator(),
    spanProcessors: options.disabled ? [] : [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: options.disabled
      ? []
      : [
          new PeriodicExportingMetricReader({
            // Delta, as collector/pipeline.yaml asks of every sender (awsemf in AWS).
            exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA }),
            // One export per run, at shutdown: a run lasts seconds.
            exportIntervalMillis: 600_000,
          }),
        ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: options.disabled ? [] : [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }) })],
  });

  const tracer: Tracer = tracerProvider.getTracer(SCOPE);
  const meter = meterProvider.getMeter(SCOPE);
  const logger: Logger = loggerProvider.getLogger(SCOPE);
  const instruments: Instruments = {
    successPercent: meter.createGauge("canary.success_percent", { unit: "%", description: "100 when the run passed every step, 0 when a step failed (Synthetics' SuccessPercent)" }),
    duration: meter.createHistogram("canary.duration", { unit: "ms", description: "How long the run took (Synthetics' Duration)" }),
    failed: meter.createCounter("canary.failed", { unit: "{run}", description: "Runs that failed (Synthetics' Failed)" }),
    stepSuccessPercent: meter.createGauge("canary.step.success_percent", { unit: "%", description: "100 or 0 per step and run (Synthetics' per-step SuccessPercent)" }),
    stepDuration: meter.createHistogram("canary.step.duration", { unit: "ms", description: "How long a step took (Synthetics' per-step Duration)" }),
  };
  // Run metrics carry the journey (Synthetics' CanaryName); step metrics the step name only.
  const runAttributes = { "canary.name": journey };

  const root: Span = tracer.startSpan(`canary ${journey}`, { attributes: { "canary.name": journey, [ATTR_URL_FULL]: baseUrl } });
  const rootContext: Context = trace.setSpan(context.active(), root);

  return {
    instanceId,
    traceId: root.spanContext().traceId,
    step(name) {
      const span = tracer.startSpan(`step ${name}`, { attributes: { "canary.step.name": name } }, rootContext);
      const carrier: Record<string, string> = {};
      if (!options.disabled) w3c.inject(trace.setSpan(rootContext, span), carrier, defaultTextMapSetter);
      return {
        traceparent: carrier.traceparent ?? null,
        end(outcome) {
          if (outcome.ok) {
            span.setStatus({ code: SpanStatusCode.OK });
          } else {
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
            span.addEvent("exception", { "exception.message": outcome.reason ?? "failed" });
          }
          span.setAttribute("canary.step.status", outcome.ok ? "passed" : "failed");
          const shopTraces = outcome.shopTraceIds?.length ? { "canary.step.shop_trace_ids": outcome.shopTraceIds } : {};
          span.setAttributes(shopTraces);
          span.end();
          const stepAttributes = { "canary.step.name": name };
          instruments.stepDuration.record(outcome.durationMs, stepAttributes);
          instruments.stepSuccessPercent.record(outcome.ok ? 100 : 0, stepAttributes);
          logger.emit({
            severityNumber: outcome.ok ? SeverityNumber.INFO : SeverityNumber.ERROR,
            severityText: outcome.ok ? "INFO" : "ERROR",
            body: outcome.ok
              ? `canary step ${name} passed in ${Math.round(outcome.durationMs)} ms`
              : `canary step ${name} failed after ${Math.round(outcome.durationMs)} ms: ${outcome.reason ?? "failed"}`,
            attributes: {
              "canary.name": journey,
              "canary.step.name": name,
              "canary.step.status": outcome.ok ? "passed" : "failed",
              "canary.step.duration_ms": Math.round(outcome.durationMs),
              ...shopTraces,
              ...(outcome.ok ? {} : { "error.message": outcome.reason ?? "failed" }),
            },
            context: trace.setSpan(rootContext, span),
          });
        },
      };
    },
    finish(ok, durationMs, failedStep) {
      instruments.successPercent.record(ok ? 100 : 0, runAttributes);
      instruments.duration.record(durationMs, runAttributes);
      // Also 0 on success, so that the series exists before the first failure.
      instruments.failed.add(ok ? 0 : 1, runAttributes);
      root.setAttribute("canary.status", ok ? "passed" : "failed");
      if (failedStep) root.setAttribute("canary.failed_step", failedStep);
      root.setStatus(ok ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: `step ${failedStep ?? "?"} failed` });
      root.end();
      logger.emit({
        severityNumber: ok ? SeverityNumber.INFO : SeverityNumber.ERROR,
        severityText: ok ? "INFO" : "ERROR",
        body: ok ? `canary ${journey} passed in ${Math.round(durationMs)} ms` : `canary ${journey} failed at step ${failedStep ?? "?"} after ${Math.round(durationMs)} ms`,
        attributes: {
          "canary.name": journey,
          "canary.status": ok ? "passed" : "failed",
          "canary.duration_ms": Math.round(durationMs),
          ...(failedStep ? { "canary.failed_step": failedStep } : {}),
        },
        context: rootContext,
      });
    },
    async shutdown() {
      // Each provider's shutdown flushes what it holds first (spans, the one metrics export, logs).
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}
