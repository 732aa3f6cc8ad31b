// The shop says whether and how this browser sends telemetry: GET /api/rum/config, once per page
// load (docs/web.md, "Browser telemetry"). The shop knows its own telemetry backend, so the
// browser's spans join the shop's traces with the right header and the right kind of trace id.
//
// Anything but a well-formed "enabled" answer (a 404 from a shop built without the intake, a
// network error, `enabled: false`, a field of the wrong type) means no telemetry at all, and
// quietly: a learner's console stays clean, and nothing else is loaded.

export interface RumConfig {
  backend: "otel" | "awssdk";
  serviceName: string;
  serviceVersion: string;
  environment: string;
  /** `tracecontext`: W3C `traceparent`; `xray`: `X-Amzn-Trace-Id`. */
  propagator: "tracecontext" | "xray";
  /** `xray`: trace ids that start with the epoch seconds, as X-Ray requires. */
  idGenerator: "random" | "xray";
  /** The share of traces kept, 0 to 1 (a parent's decision wins: the shop follows it). */
  sampleRatio: number;
  exportIntervalMs: number;
  /** Absolute URLs on this origin. */
  endpoints: { traces: string; logs: string; metrics: string };
  /** Session replay: null when the shop keeps no recordings. */
  replay: { endpoint: string; sampleRatio: number } | null;
}

export const CONFIG_PATH = "/api/rum/config";

const str = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 200;

/** An endpoint the config names, as an absolute URL, or null unless it is on this origin. */
function sameOrigin(v: unknown): string | null {
  if (!str(v)) return null;
  try {
    const url = new URL(v, location.origin);
    return url.origin === location.origin ? url.href : null;
  } catch {
    return null;
  }
}

/** The config from the shop's JSON, or null when telemetry is off or the answer is not one. */
export function parseConfig(json: unknown): RumConfig | null {
  if (typeof json !== "object" || json === null) return null;
  const c = json as Record<string, unknown>;
  if (c.enabled !== true) return null;
  if (c.backend !== "otel" && c.backend !== "awssdk") return null;
  if (!str(c.service_name) || !str(c.service_version) || !str(c.environment)) return null;
  if (c.propagator !== "tracecontext" && c.propagator !== "xray") return null;
  if (c.id_generator !== "random" && c.id_generator !== "xray") return null;
  const e = (typeof c.endpoints === "object" && c.endpoints !== null ? c.endpoints : {}) as Record<string, unknown>;
  const traces = sameOrigin(e.traces);
  const logs = sameOrigin(e.logs);
  const metrics = sameOrigin(e.metrics);
  if (!traces || !logs || !metrics) return null;
  const ratio = typeof c.sample_ratio === "number" && Number.isFinite(c.sample_ratio) ? c.sample_ratio : 1;
  const interval = typeof c.export_interval_ms === "number" && Number.isFinite(c.export_interval_ms) ? c.export_interval_ms : 5000;
  return {
    backend: c.backend,
    serviceName: c.service_name,
    serviceVersion: c.service_version,
    environment: c.environment,
    propagator: c.propagator,
    idGenerator: c.id_generator,
    sampleRatio: Math.min(1, Math.max(0, ratio)),
    // Not faster than once a second (the intake rate-limits each client), not slower than a minute.
    exportIntervalMs: Math.min(60_000, Math.max(1000, interval)),
    endpoints: { traces, logs, metrics },
    replay: parseReplay(c.replay),
  };
}

/** Replay's part of the config: on only with a same-origin endpoint and a ratio above 0. */
function parseReplay(v: unknown): RumConfig["replay"] {
  if (typeof v !== "object" || v === null) return null;
  const r = v as Record<string, unknown>;
  const endpoint = sameOrigin(r.endpoint);
  const ratio = typeof r.sample_ratio === "number" && Number.isFinite(r.sample_ratio) ? Math.min(1, r.sample_ratio) : 0;
  return r.enabled === true && endpoint && ratio > 0 ? { endpoint, sampleRatio: ratio } : null;
}

/** Asks the shop; null (without a word on the console) when telemetry is off or unavailable. */
export async function loadConfig(): Promise<RumConfig | null> {
  try {
    const response = await fetch(CONFIG_PATH, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return null;
    return parseConfig(await response.json());
  } catch {
    return null;
  }
}
