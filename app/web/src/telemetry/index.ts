// Browser telemetry, the part every page loads (1.6 KB gzipped): it asks the shop whether to
// send telemetry (config.ts), and meanwhile remembers the page views and errors, so that the
// SDK (sdk.ts, a lazily loaded chunk) can record them when it starts. When the shop says no, the
// listeners go away and nothing else is loaded. CloudWatch RUM's own client (cloudwatch-rum.ts,
// another lazily loaded chunk) is started beside it only when the shop names an app monitor.
//
// docs/web.md ("Browser telemetry") says what is recorded, and how.
import type { CloudWatchRum } from "./cloudwatch-rum";
import { type CloudWatchRumConfig, loadConfig, type RumConfig } from "./config";
import type { ErrorSource } from "./errors";
import { enterRoute, routeOf } from "./page";
import type { Sdk } from "./sdk";
import { sessionId } from "./session";
import type { UiEvent } from "./ui";

export type { UiEvent } from "./ui";

/** Something that happened, to be recorded once the SDK is ready (each carries its own time). */
type Pending = (s: Sdk) => void;

/** What happened before the SDK was ready; dropped if telemetry is off. Bounded, in case it never is. */
const pending: Pending[] = [];
const MAX_PENDING = 100;

let sdk: Sdk | null = null;
/** CloudWatch RUM's client once started (cloudwatch-rum.ts): told of each client-side navigation. */
let cloudWatchRum: CloudWatchRum | null = null;
let started = false;
let off = false;

function handle(p: Pending, s: Sdk): void {
  // Telemetry must never break the page, nor report its own failure as the page's error (and
  // loop): whatever goes wrong here stays here.
  try {
    p(s);
  } catch {
    // dropped
  }
}

function push(p: Pending): void {
  if (off) return;
  if (sdk) return handle(p, sdk);
  if (pending.length < MAX_PENDING) pending.push(p);
}

// `error` on the window: uncaught exceptions (an event handler's, a timer's), and not the
// failed loads of images or scripts (those do not bubble to the window).
const onError = (event: ErrorEvent) => error("window.error", event.error, event.message || "error");
const onRejection = (event: PromiseRejectionEvent) => error("unhandledrejection", event.reason, "unhandled rejection");

function error(source: ErrorSource, thrown: unknown, fallback: string): void {
  const route = routeOf(location.pathname);
  const time = Date.now();
  push((s) => s.error(source, route, thrown, fallback, time));
}

/** Resolves after the window's `load` event, when the main thread is next idle (at most 2 s later). */
function afterLoadAndIdle(): Promise<void> {
  const idle = () =>
    new Promise<void>((resolve) => {
      if ("requestIdleCallback" in window) requestIdleCallback(() => resolve(), { timeout: 2000 });
      else setTimeout(resolve, 200);
    });
  if (document.readyState === "complete") return idle();
  return new Promise<void>((resolve) => addEventListener("load", () => void idle().then(resolve), { once: true }));
}

/** `<html data-telemetry="on|off">`: for a learner in the devtools, and for the browser tests. */
function mark(state: "on" | "off"): void {
  document.documentElement.dataset.telemetry = state;
}

/**
 * Starts browser telemetry for this page load (once; later calls do nothing): listens for
 * errors at once, asks the shop for the config, and loads and starts the SDK if it says so.
 */
export function startTelemetry(): void {
  if (started) return;
  started = true;
  addEventListener("error", onError);
  addEventListener("unhandledrejection", onRejection);
  void (async () => {
    // The SDK is a chunk of its own, and parsing it on a busy device competes with the page's
    // own first render: the experiments' browser chapter measured the home page's LCP at about
    // 1.8 s with the chunk loaded on mount, against 0.4 s without telemetry (REPORT.md). So it
    // loads once the page has loaded and the main thread is idle; errors until then are kept
    // (`pending`), and web-vitals and the document-load timings read buffered entries.
    await afterLoadAndIdle();
    const { rum: config, cloudWatchRum: cloudWatchRumConfig } = await loadConfig();
    if (config && (await startSdkFor(config))) {
      mark("on");
      startReplayIfDrawn(config);
    } else {
      off = true;
      mark("off");
      pending.length = 0;
      removeEventListener("error", onError);
      removeEventListener("unhandledrejection", onRejection);
    }
    // After the SDK, so that its failure can be logged through it; and on its own when the shop's
    // intake is off, since this client sends to AWS, not to the shop.
    if (cloudWatchRumConfig) startCloudWatchRumBeside(cloudWatchRumConfig);
  })();
}

/** Loads and starts the SDK; false if its chunk did not load (offline, a new deployment). */
async function startSdkFor(config: RumConfig): Promise<boolean> {
  try {
    const { startSdk } = await import("./sdk");
    sdk = startSdk(config);
    for (const p of pending.splice(0)) handle(p, sdk);
    return true;
  } catch {
    return false;
  }
}

/**
 * CloudWatch RUM's own client beside the SDK (cloudwatch-rum.ts, a chunk of its own). Whatever
 * goes wrong stays out of the page: it is logged through the SDK when the SDK runs, and shown as
 * `<html data-cloudwatch-rum="failed">` (`on` once started: for the devtools and the tests).
 */
function startCloudWatchRumBeside(config: CloudWatchRumConfig): void {
  const root = document.documentElement;
  import("./cloudwatch-rum")
    .then(({ startCloudWatchRum }) => startCloudWatchRum(config))
    .then((client) => {
      // The client records the page it starts on by itself.
      cloudWatchRum = client;
      root.dataset.cloudwatchRum = "on";
    })
    .catch((thrown: unknown) => {
      root.dataset.cloudwatchRum = "failed";
      const reason = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      if (sdk) handle((s) => s.warn(`CloudWatch RUM's web client did not start: ${reason}`, Date.now()), sdk);
    });
}

/** Records this tab session if the shop keeps recordings and the session was drawn (once per session). */
function startReplayIfDrawn(config: RumConfig): void {
  const replay = config.replay;
  if (!replay) return;
  let drawn: boolean;
  try {
    const kept = sessionStorage.getItem(REPLAY_DRAW_KEY);
    drawn = kept === null ? Math.random() < replay.sampleRatio : kept === "1";
    sessionStorage.setItem(REPLAY_DRAW_KEY, drawn ? "1" : "0");
  } catch {
    drawn = Math.random() < replay.sampleRatio;
  }
  if (!drawn) return;
  document.documentElement.dataset.replay = "on";
  import("./replay")
    .then(({ startReplay }) => startReplay({ endpoint: replay.endpoint, intervalMs: config.exportIntervalMs }, sessionId()))
    .catch(() => undefined);
}

const REPLAY_DRAW_KEY = "shop.telemetry.replay.drawn";

/** The shopper is on `pathname` now (a page load or a client-side navigation). */
export function pageView(pathname: string): void {
  const route = routeOf(pathname);
  enterRoute(route);
  const time = Date.now();
  push((s) => s.pageView(route, pathname, time));
  try {
    cloudWatchRum?.pageView(pathname);
  } catch {
    // CloudWatch RUM's client must not break a navigation either.
  }
}

/** An error a React error boundary caught (it never reaches the window's `error` event). */
export function reportError(thrown: unknown): void {
  error("react.error_boundary", thrown, "render error");
}

/** One of the UI's events (ui.ts lists them): a cart change, a funnel step, a render, a checkout, a network fault. */
export function track(event: UiEvent): void {
  // Stamped now: the SDK may record it later.
  const stamped = "start" in event || ("time" in event && event.time !== undefined) ? event : { ...event, time: Date.now() };
  push((s) => s.track(stamped));
}

/**
 * The trace header for the request of the upload `id` (after `track({ kind: "upload_start", id })`):
 * the fetch instrumentation propagates fetches only, and an upload goes with XMLHttpRequest for its
 * progress events, so the upload sets this header itself; the shop's span of it (and the
 * image-resize function's after it) are then the `upload image` span's children. Empty while the
 * SDK is not running (telemetry off, or not started yet), as a fetch would carry none then either.
 */
export function uploadTraceHeaders(id: string): Record<string, string> {
  if (!sdk) return {};
  try {
    return sdk.uploadHeaders(id);
  } catch {
    return {};
  }
}
