// The shop says whether and how this browser sends telemetry: GET /api/rum/config, once per page
// load (docs/web.md, "Browser telemetry"). The shop knows its own telemetry backend, so the
// browser's spans join the shop's traces with the right header and the right kind of trace id.
//
// Anything but a well-formed "enabled" answer (a 404 from a shop built without the intake, a
// network error, `enabled: false`, a field of the wrong type) means no telemetry at all, and
// quietly: a learner's console stays clean, and nothing else is loaded. CloudWatch RUM's client
// (`cloudwatch_rum`) is read apart: it sends to AWS, so it may run with the intake off.

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

/**
 * CloudWatch RUM's own web client (cloudwatch-rum.ts), when the shop names an app monitor. Apart
 * from `RumConfig`: it sends to AWS, not to the shop, so it does not depend on the intake being on.
 */
export interface CloudWatchRumConfig {
  appMonitorId: string;
  /** The shop's version, as the app monitor's application version. */
  version: string;
  region: string;
  /** The data plane's base URL (another origin: AWS, or whatever the shop was told). */
  endpoint: string;
  /** Both or neither; neither: the client's calls go unsigned. */
  identityPoolId: string | null;
  guestRoleArn: string | null;
  sessionSampleRate: number;
  telemetries: ("errors" | "performance" | "http")[];
  enableXray: boolean;
}

/** What the shop said: either part may be off (null) on its own. */
export interface Configs {
  rum: RumConfig | null;
  cloudWatchRum: CloudWatchRumConfig | null;
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

const TELEMETRIES = ["errors", "performance", "http"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * CloudWatch RUM's part of the shop's JSON (`cloudwatch_rum`), or null when absent or malformed.
 * The shop checked these values at start-up; this checks them again because whatever is wrong
 * here would only fail inside the client, out of sight.
 */
export function parseCloudWatchRum(json: unknown): CloudWatchRumConfig | null {
  if (typeof json !== "object" || json === null) return null;
  const top = json as Record<string, unknown>;
  const c = top.cloudwatch_rum;
  if (typeof c !== "object" || c === null) return null;
  const w = c as Record<string, unknown>;
  if (!str(w.app_monitor_id) || !UUID.test(w.app_monitor_id) || !str(w.region) || !str(w.endpoint)) return null;
  let endpoint: URL;
  try {
    endpoint = new URL(w.endpoint);
  } catch {
    return null;
  }
  if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") return null;
  const pool = str(w.identity_pool_id) ? w.identity_pool_id : null;
  const role = str(w.guest_role_arn) ? w.guest_role_arn : null;
  // Half a Cognito set-up cannot sign anything (the shop refuses to start with one).
  if ((pool === null) !== (role === null)) return null;
  const rate = typeof w.session_sample_rate === "number" && Number.isFinite(w.session_sample_rate) ? w.session_sample_rate : 1;
  const telemetries = Array.isArray(w.telemetries) ? TELEMETRIES.filter((t) => (w.telemetries as unknown[]).includes(t)) : [];
  return {
    appMonitorId: w.app_monitor_id,
    version: str(top.service_version) ? top.service_version : "0.0.0",
    region: w.region,
    endpoint: endpoint.href.replace(/\/$/, ""),
    identityPoolId: pool,
    guestRoleArn: role,
    sessionSampleRate: Math.min(1, Math.max(0, rate)),
    telemetries,
    enableXray: w.enable_xray === true,
  };
}

/** Asks the shop; both parts null (without a word on the console) when it is unavailable. */
export async function loadConfig(): Promise<Configs> {
  try {
    const response = await fetch(CONFIG_PATH, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return { rum: null, cloudWatchRum: null };
    const json: unknown = await response.json();
    return { rum: parseConfig(json), cloudWatchRum: parseCloudWatchRum(json) };
  } catch {
    return { rum: null, cloudWatchRum: null };
  }
}
