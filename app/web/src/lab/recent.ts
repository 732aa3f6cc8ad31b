// The learner's last requests to the shop's API, for the Lab page: each with the trace id the
// shop answered with (`x-trace-id`) and whether it sampled the trace (`x-trace-sampled`), kept in
// this tab's sessionStorage. Only the route's path is kept, never its query string (a search
// term, a token) or a body.

/** One API call this tab made. */
export type RecentRequest = {
  method: string;
  path: string;
  status: number;
  /** As the shop wrote it: X-Ray's `1-…-…` (awssdk) or 32 hex digits (otel). */
  traceId: string;
  /** False: the backend did not sample it, so no store has it. Unknown: null. */
  sampled: boolean | null;
  /** Unix milliseconds. */
  at: number;
};

const KEY = "shop.lab.recent";
const KEEP = 25;
/** The lab's own calls and the browser telemetry's exports are not the learner's requests. */
const IGNORED = /^\/api\/(lab|rum|telemetry)\//;

function read(): RecentRequest[] {
  return parse(storedRaw());
}

/** The stored list as it is in sessionStorage (`null`: none, or no storage). */
export function storedRaw(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** The list in `raw`, newest first (anything unreadable is none). */
export function parse(raw: string | null): RecentRequest[] {
  try {
    const list: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(list) ? (list as RecentRequest[]) : [];
  } catch {
    return [];
  }
}

/** Remembers one answered call (storage failures are ignored: this is a lab aid). */
export function remember(request: Request, response: Response): void {
  try {
    const traceId = response.headers.get("x-trace-id");
    const url = new URL(request.url, window.location.href);
    if (!traceId || url.origin !== window.location.origin || IGNORED.test(url.pathname)) return;
    const sampledHeader = response.headers.get("x-trace-sampled");
    const entry: RecentRequest = {
      method: request.method,
      path: url.pathname,
      status: response.status,
      traceId,
      sampled: sampledHeader === null ? null : sampledHeader === "1",
      at: Date.now(),
    };
    sessionStorage.setItem(KEY, JSON.stringify([entry, ...read()].slice(0, KEEP)));
  } catch {
    // no storage (private mode, quota): the Lab page shows fewer requests
  }
}
