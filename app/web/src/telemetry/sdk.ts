// The OpenTelemetry SDK, started for one page once the shop said telemetry is on. This module and
// everything it imports are a chunk of their own (index.ts imports it with `import()`), so a page
// whose shop has telemetry off never downloads it, and no page waits for it to paint.
import { SeverityNumber } from "@opentelemetry/api-logs";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

import type { RumConfig } from "./config";
import { type ErrorSource, exceptionOf, recordError } from "./errors";
import { startLogs } from "./logs";
import { startMetrics } from "./metrics";
import type { Route } from "./page";
import { startTraces } from "./traces";
import { startUi, type UiEvent } from "./ui";
import { startVitals } from "./vitals";

export interface Sdk {
  pageView(route: Route, path: string, time: number): void;
  /** `thrown` is what was thrown (anything); `fallback` its message if it has none. */
  error(source: ErrorSource, route: Route, thrown: unknown, fallback: string, time: number): void;
  track(event: UiEvent): void;
  uploadHeaders(id: string): Record<string, string>;
  /**
   * A problem of the telemetry itself, not of the page (CloudWatch RUM's client failing to
   * start): a WARN log record, so that it is neither counted among the page's errors nor lost.
   */
  warn(message: string, time: number): void;
}

export function startSdk(config: RumConfig): Sdk {
  // What every span, record and data point says about its source. `telemetry.sdk.*` (language
  // webjs, name and version) come from the SDK's default resource.
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: config.serviceVersion,
      "deployment.environment.name": config.environment,
    }),
  );
  const logs = startLogs(config, resource);
  const metrics = startMetrics(config, resource);
  // The clicks' events need the UI's counters, which need the logger: traces get them as a callback.
  let onClick: Parameters<typeof startTraces>[2] = () => {};
  const traces = startTraces(config, resource, (name, span, time) => onClick(name, span, time));
  const ui = startUi(traces.tracer, logs.logger, metrics.meter);
  onClick = ui.click;
  startVitals(metrics.meter);

  // When the page is hidden (a tab switch, a navigation away, a close), the visit on screen ends
  // and what was measured goes at once: the final LCP, CLS and INP too. This listener is on the
  // window's bubble phase, after web-vitals' own (capture phase) for the same event, and after
  // the batch processors' own flush, so it flushes again what it has just added. `pagehide` too,
  // for the browsers that skip `visibilitychange` on unload.
  const onHide = () => {
    ui.hidden(Date.now());
    void metrics.flush().catch(() => {});
    void logs.flush().catch(() => {});
  };
  addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") onHide();
    else ui.visible(Date.now());
  });
  addEventListener("pagehide", onHide);

  return {
    pageView(route, path, time) {
      traces.pageView(route, path, time);
      ui.pageView(route, time);
    },
    error(source, route, thrown, fallback, time) {
      ui.error(source, route);
      recordError(traces.tracer, logs.logger, source, exceptionOf(thrown, fallback), time);
    },
    track: ui.track,
    uploadHeaders: ui.uploadHeaders,
    warn(message, time) {
      logs.logger.emit({ severityNumber: SeverityNumber.WARN, severityText: "WARN", body: message.slice(0, 1000), timestamp: time });
    },
  };
}
