// Logs: the browser's errors as OTLP log records (docs/web.md). Each carries the session and the
// page, and the trace and span of the error span made with it (errors.ts), so that the collector
// or CloudWatch can go from the log line to the trace.
import type { Logger } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import type { Resource } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordProcessor, type SdkLogRecord } from "@opentelemetry/sdk-logs";

import type { RumConfig } from "./config";
import { pageAttributes } from "./page";
import { sessionId } from "./session";

/** Adds the session and the page to every record (unless the record names a page itself). */
class PageLogRecordProcessor implements LogRecordProcessor {
  onEmit(record: SdkLogRecord): void {
    const page = pageAttributes();
    record.setAttribute("session.id", sessionId());
    if (record.attributes["url.path"] === undefined) record.setAttribute("url.path", page["url.path"]);
    if (record.attributes["page.route"] === undefined) record.setAttribute("page.route", page["page.route"]);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Logs {
  logger: Logger;
  flush(): Promise<void>;
}

export function startLogs(config: RumConfig, resource: Resource): Logs {
  const provider = new LoggerProvider({
    resource,
    processors: [
      new PageLogRecordProcessor(),
      // Flushes by itself when the page is hidden, as the spans' processor does.
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: config.endpoints.logs }),
        maxExportBatchSize: 64,
        maxQueueSize: 512,
        scheduledDelayMillis: config.exportIntervalMs,
      }),
    ],
  });
  return { logger: provider.getLogger("shop-web", config.serviceVersion), flush: () => provider.forceFlush() };
}
