// The OpenTelemetry SDK, started for one page once the shop said telemetry is on. This module and
// everything it imports are a chunk of their own (index.ts imports it with `import()`), so a page
// whose shop has telemetry off never downloads it, and no page waits for it to paint.
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

import type { RumConfig } from "./config";
import { type ErrorSource, exceptionOf, recordError } from "./errors";
import { startLogs } from "./logs";
import { startTraces } from "./traces";
import { startVitals } from "./vitals";

export interface Sdk {
  pageView(route: string, path: string, time: number): void;
  /** `thrown` is what was thrown (anything); `fallback` its message if it has none. */
  error(source: ErrorSource, thrown: unknown, fallback: string, time: number): void;
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
  const traces = startTraces(config, resource);
  const logs = startLogs(config, resource);
  startVitals(config, resource);
  return {
    pageView: traces.pageView,
    error: (source, thrown, fallback, time) =>
      recordError(traces.tracer, logs.logger, source, exceptionOf(thrown, fallback), time),
  };
}
