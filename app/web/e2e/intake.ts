// A stand-in for the shop's RUM intake in the browser tests: Playwright answers
// GET /api/rum/config with the config the shop would send, and captures (and answers 200 to) the
// OTLP/HTTP JSON the page POSTs to /api/rum/v1/{traces,logs,metrics}, decoded for the tests'
// assertions. (The real intake is tested with the real backends: front-to-back.test.ts.)
import type { BrowserContext } from "playwright-core";

/** GET /api/rum/config's answer, as the shop sends it (the interface is fixed: docs/web.md). */
export const CONFIG = {
  enabled: true,
  backend: "otel",
  service_name: "shop-web",
  service_version: "0.1.0",
  environment: "local",
  propagator: "tracecontext",
  id_generator: "random",
  sample_ratio: 1.0,
  export_interval_ms: 5000,
  endpoints: { traces: "/api/rum/v1/traces", logs: "/api/rum/v1/logs", metrics: "/api/rum/v1/metrics" },
};

export type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
export type KeyValue = { key: string; value: AnyValue };

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  events?: { name: string; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
}
export interface OtlpLog {
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  attributes?: KeyValue[];
  traceId?: string;
  spanId?: string;
}
export interface OtlpDataPoint {
  attributes?: KeyValue[];
  count: string | number;
  sum?: number;
}
export interface OtlpSumPoint {
  attributes?: KeyValue[];
  asInt?: string | number;
  asDouble?: number;
}
export interface OtlpMetric {
  name: string;
  unit?: string;
  histogram?: { dataPoints: OtlpDataPoint[]; aggregationTemporality: number };
  sum?: { dataPoints: OtlpSumPoint[]; aggregationTemporality: number; isMonotonic?: boolean };
}
export interface Resource {
  attributes?: KeyValue[];
}

/** One POST the page made to the intake. */
export interface Export {
  signal: "traces" | "logs" | "metrics";
  contentType: string;
  bytes: number;
  body: {
    resourceSpans?: { resource: Resource; scopeSpans: { spans: OtlpSpan[] }[] }[];
    resourceLogs?: { resource: Resource; scopeLogs: { logRecords: OtlpLog[] }[] }[];
    resourceMetrics?: { resource: Resource; scopeMetrics: { metrics: OtlpMetric[] }[] }[];
  };
}

export function value(v: AnyValue | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

/** An OTLP attribute list as an object. */
export function attrs(list: KeyValue[] | undefined): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

/** Answers the config, captures the exports; the rest of /api goes to the real shop. */
export class Intake {
  readonly exports: Export[] = [];
  readonly malformed: string[] = [];

  private constructor() {}

  /** `config`: the JSON to answer, or a status (404: a shop built without the intake). */
  static async install(context: BrowserContext, config: object | number): Promise<Intake> {
    const intake = new Intake();
    await context.route("**/api/rum/config", (route) =>
      typeof config === "number"
        ? route.fulfill({ status: config, contentType: "application/json", body: '{"error":{"code":"not_found","message":"no"}}' })
        : route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(config) }),
    );
    await context.route("**/api/rum/v1/*", async (route) => {
      const request = route.request();
      const signal = new URL(request.url()).pathname.split("/").pop() as Export["signal"];
      const raw = request.postData() ?? "";
      try {
        intake.exports.push({
          signal,
          contentType: (await request.allHeaders())["content-type"] ?? "",
          bytes: Buffer.byteLength(raw),
          body: JSON.parse(raw) as Export["body"],
        });
      } catch {
        intake.malformed.push(`${request.method()} ${signal}: ${raw.slice(0, 200)}`);
      }
      await route.fulfill({ status: 200, contentType: "application/json", body: "{}" });
    });
    return intake;
  }

  spans(): (OtlpSpan & { resource: Record<string, unknown>; a: Record<string, unknown> })[] {
    return this.exports.flatMap((e) =>
      (e.body.resourceSpans ?? []).flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, resource: attrs(rs.resource.attributes), a: attrs(s.attributes) }))),
      ),
    );
  }

  logs(): (OtlpLog & { resource: Record<string, unknown>; a: Record<string, unknown> })[] {
    return this.exports.flatMap((e) =>
      (e.body.resourceLogs ?? []).flatMap((rl) =>
        rl.scopeLogs.flatMap((sl) => sl.logRecords.map((l) => ({ ...l, resource: attrs(rl.resource.attributes), a: attrs(l.attributes) }))),
      ),
    );
  }

  /** Every histogram data point, with its metric's name and unit. */
  points(): { metric: string; unit?: string; temporality: number; a: Record<string, unknown>; count: number; sum?: number }[] {
    return this.exports.flatMap((e) =>
      (e.body.resourceMetrics ?? []).flatMap((rm) =>
        rm.scopeMetrics.flatMap((sm) =>
          sm.metrics.flatMap((m) =>
            (m.histogram?.dataPoints ?? []).map((p) => ({
              metric: m.name,
              unit: m.unit,
              temporality: m.histogram?.aggregationTemporality ?? 0,
              a: attrs(p.attributes),
              count: Number(p.count),
              sum: p.sum,
            })),
          ),
        ),
      ),
    );
  }

  /** Every counter (delta sum) data point, with its metric's name. */
  sums(): { metric: string; temporality: number; monotonic: boolean; a: Record<string, unknown>; value: number }[] {
    return this.exports.flatMap((e) =>
      (e.body.resourceMetrics ?? []).flatMap((rm) =>
        rm.scopeMetrics.flatMap((sm) =>
          sm.metrics.flatMap((m) =>
            (m.sum?.dataPoints ?? []).map((p) => ({
              metric: m.name,
              temporality: m.sum?.aggregationTemporality ?? 0,
              monotonic: m.sum?.isMonotonic ?? false,
              a: attrs(p.attributes),
              value: Number(p.asInt ?? p.asDouble ?? 0),
            })),
          ),
        ),
      ),
    );
  }

  /** The total of a counter over what was captured, for the points whose attributes include `filter`. */
  total(metric: string, filter: Record<string, string> = {}): number {
    return this.sums()
      .filter((p) => p.metric === metric && Object.entries(filter).every(([k, v]) => p.a[k] === v))
      .reduce((n, p) => n + p.value, 0);
  }

  /** The custom events (log records with an `event.name`) named `name`. */
  events(name: string): ReturnType<Intake["logs"]> {
    return this.logs().filter((l) => l.a["event.name"] === name);
  }

  /** Waits until `find` returns something from what was captured (exports come every 5 s, or on page hide). */
  async waitFor<T>(what: string, find: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.spans().map((s) => `${s.name} ${s.a["url.path"] ?? ""}`);
        throw new Error(`no ${what} in ${timeoutMs / 1000} s; spans seen: ${JSON.stringify(seen)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
