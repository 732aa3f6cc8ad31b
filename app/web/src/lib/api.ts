// The shop's HTTP API, typed from its own OpenAPI document (src/api/openapi.json, a snapshot of
// GET /api/openapi.json that a server test keeps current; `npm run api` turns it into
// schema.d.ts). Same origin: the shop serves this UI and the API, so cookies and the CSRF header
// need no CORS.
import createClient from "openapi-fetch";

import type { components, paths } from "@/api/schema";
import { remember } from "@/lab/recent";
import { sessionFetch } from "@/lib/csrf";
import { track } from "@/telemetry";
import { routeOf } from "@/telemetry/page";

export type Schemas = components["schemas"];
export type Product = Schemas["Product"];
export type Category = Schemas["Category"];
export type Cart = Schemas["Cart"];
export type Order = Schemas["Order"];
export type ErrorBody = Schemas["ErrorBody"];
export type Profile = Schemas["Profile"];
export type SavedAddress = Schemas["SavedAddress"];
export type OrderSummary = Schemas["OrderSummary"];

// `fetch` is looked up on each call, not once here: the browser telemetry (src/telemetry)
// instruments `globalThis.fetch` after the page has loaded, and a reference taken now would
// bypass it (no span, no trace header). `sessionFetch` (csrf.ts) adds the session's CSRF token
// to the calls that change something, and renews it once when the shop refuses it. Each answer's
// trace id is remembered for the Lab page. A call that fails in the network, is given up, or gets a
// 5xx is a `browser.network_fault` event (`networkFault`). Each answer's time, as this page saw it
// (until the response's headers), is set against the shop's own (`Server-Timing`): the difference
// is the network's and the browser's (`browser.api.*`, docs/rum.md).
export const api = createClient<paths>({
  baseUrl: "",
  fetch: async (request) => {
    const route = routeOf(location.pathname);
    const start = performance.now();
    let response: Response;
    try {
      response = await sessionFetch(request);
    } catch (e) {
      networkFault(request, e);
      throw e;
    }
    const server = serverDuration(response.headers.get("server-timing"));
    if (server !== null) track({ kind: "api", route, total: performance.now() - start, server });
    if (response.status >= 500) networkFault(request, null, response.status);
    remember(request, response);
    return response;
  },
});

/** The shop's own time for a call, from its `Server-Timing: app;dur=<ms>` header (null without one). */
export function serverDuration(header: string | null): number | null {
  const dur = /(?:^|,)\s*app;(?:[^,]*;)?\s*dur=([0-9.]+)/.exec(header ?? "")?.[1];
  const ms = dur === undefined ? NaN : Number(dur);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Reports an API call that failed: `thrown` what the fetch threw (a timeout or an abort is
 * `timeout`, anything else `unreachable`), or the error `status` the shop answered. The path only,
 * never the query.
 */
export function networkFault(request: Request, thrown: unknown, status = 0): void {
  const name = thrown instanceof DOMException ? thrown.name : "";
  const fault = status ? "http_error" : name === "TimeoutError" || name === "AbortError" ? "timeout" : "unreachable";
  track({ kind: "network", fault, path: new URL(request.url, location.origin).pathname, method: request.method, status });
}

/** An answer the shop refused, with its JSON error (`{error: {code, message, field?}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * The data of an openapi-fetch result, or an [`ApiError`] naming what the shop said (a network
 * failure is status 0, code `unreachable`).
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, "unreachable", "The shop did not answer. Check your connection and try again.");
  }
  const { data, error, response } = result;
  if (error !== undefined || data === undefined) {
    const body = (error ?? {}) as Partial<ErrorBody>;
    throw new ApiError(
      response.status,
      body.error?.code ?? "unexpected",
      body.error?.message ?? `The shop answered ${response.status}.`,
      body.error?.field,
    );
  }
  return data;
}

/** Like [`unwrap`], for an answer without a body (204, 202): resolves when the shop said yes. */
export async function done(call: Promise<{ error?: unknown; response: Response }>): Promise<void> {
  let result: { error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, "unreachable", "The shop did not answer. Check your connection and try again.");
  }
  if (result.response.ok) return;
  const body = (result.error ?? {}) as Partial<ErrorBody>;
  throw new ApiError(
    result.response.status,
    body.error?.code ?? "unexpected",
    body.error?.message ?? `The shop answered ${result.response.status}.`,
    body.error?.field,
  );
}
