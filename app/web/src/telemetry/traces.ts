// Traces: the document's load, the shop's API calls, named clicks and page views, exported as
// OTLP/HTTP JSON to the shop's intake, which hands them to the shop's own backend (the collector,
// or X-Ray). The fetch spans carry the shop's trace header, so the server's spans for a request
// are children of the browser's: one trace from the click to the database.
import { type Attributes, type Context, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { AWSXRayIdGenerator } from "@opentelemetry/id-generator-aws-xray";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { DocumentLoadInstrumentation } from "@opentelemetry/instrumentation-document-load";
import { FetchInstrumentation } from "@opentelemetry/instrumentation-fetch";
import { AWSXRayPropagator } from "@opentelemetry/propagator-aws-xray";
import type { Resource } from "@opentelemetry/resources";
import type { Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  WebTracerProvider,
} from "@opentelemetry/sdk-trace-web";
import { ATTR_URL_FULL, ATTR_URL_PATH } from "@opentelemetry/semantic-conventions";

import type { RumConfig } from "./config";
import { InteractionContextManager, InteractionSpanProcessor, trackNamedClicks } from "./interactions";
import { pageAttributes, withoutQuery } from "./page";
import { sessionId } from "./session";

/** The intake takes at most 512 spans and 256 KiB a request; a span with its network events is ~1–2 KB. */
const BATCH = 64;

/**
 * Every span gets the session and the page; and loses its query strings before it is exported.
 *
 * `url.path` is the path of the URL a span is about when it has one (a fetch, a resource of the
 * document), the page's path otherwise. `url.full` keeps the scheme, host and path only: the
 * instrumentations record the URL as it was requested, and a search's query would go with it.
 */
class PageSpanProcessor implements SpanProcessor {
  onStart(span: Span): void {
    const page = pageAttributes();
    const set: Attributes = { "session.id": sessionId() };
    if (span.attributes["page.route"] === undefined) set["page.route"] = page["page.route"];
    if (span.attributes[ATTR_URL_PATH] === undefined) set[ATTR_URL_PATH] = page["url.path"];
    span.setAttributes(set);
  }

  // Before the span is frozen: the URL attributes are often set last (document-load sets
  // url.full as it ends its spans).
  onEnding(span: Span): void {
    const full = span.attributes[ATTR_URL_FULL];
    if (typeof full === "string") {
      const clean = withoutQuery(full);
      span.setAttribute(ATTR_URL_FULL, clean);
      try {
        span.setAttribute(ATTR_URL_PATH, new URL(clean, location.origin).pathname);
      } catch {
        // not a URL: keep the page's path
      }
    }
    // The deprecated name, should an instrumentation still set it.
    const legacy = span.attributes["http.url"];
    if (typeof legacy === "string") span.setAttribute("http.url", withoutQuery(legacy));
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface Traces {
  tracer: Tracer;
  /** Records that the shopper is on `route` (path `path`) since `time` (ms since the epoch). */
  pageView(route: string, path: string, time: number): void;
  flush(): Promise<void>;
}

/**
 * Starts tracing the page. `onClick` hears of each named click, with the click span's context
 * (ui.ts counts it and logs it in that trace).
 */
export function startTraces(
  config: RumConfig,
  resource: Resource,
  onClick: (name: string, span: Context, time: number) => void,
): Traces {
  const exporter = new OTLPTraceExporter({ url: config.endpoints.traces });
  const provider = new WebTracerProvider({
    resource,
    // X-Ray wants the trace id to start with the time (8 hex digits of epoch seconds).
    ...(config.idGenerator === "xray" ? { idGenerator: new AWSXRayIdGenerator() } : {}),
    // The browser decides for the traces it starts (a click, a page load); the shop follows the
    // sampled flag in the header.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [
      new PageSpanProcessor(),
      new InteractionSpanProcessor(),
      // Flushes by itself when the page is hidden (a tab switch, a navigation, a close).
      new BatchSpanProcessor(exporter, {
        maxExportBatchSize: BATCH,
        maxQueueSize: 1024,
        scheduledDelayMillis: config.exportIntervalMs,
      }),
    ],
  });
  provider.register({
    contextManager: new InteractionContextManager(),
    propagator: config.propagator === "xray" ? new AWSXRayPropagator() : new W3CTraceContextPropagator(),
  });

  const origin = escapeRegExp(location.origin);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new DocumentLoadInstrumentation(),
      new FetchInstrumentation({
        // Only the shop's API on this origin is traced (and so gets the trace header), and not
        // the intake itself: exporting a span must not make a span. Everything else (the
        // export's route payloads under /_next, another origin) is left alone.
        // The back office's long poll for notifications is not traced either: each call mostly
        // waits, and what it brings is traced as its notification (ui.ts).
        ignoreUrls: [new RegExp(`^(?!${origin}/api/(?!rum/))`), new RegExp(`^${origin}/api/admin/notifications`)],
        // No other origin ever gets the header.
        propagateTraceHeaderCorsUrls: [],
      }),
    ],
  });

  const tracer = provider.getTracer("shop-web", config.serviceVersion);
  trackNamedClicks(tracer, onClick);

  return {
    tracer,
    pageView(route, path, time) {
      tracer
        .startSpan("page.view", { attributes: { "page.route": route, [ATTR_URL_PATH]: path }, startTime: time })
        .end(time);
    },
    flush: () => provider.forceFlush(),
  };
}
