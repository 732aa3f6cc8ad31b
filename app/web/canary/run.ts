// The lab's canary runner: the journey's steps in Chromium (playwright-core), each timed, the
// first failure stopping the run with its reason and a screenshot, and the run's telemetry
// (telemetry.ts) flushed before it returns. main.ts is the command line; the e2e test calls
// runCanary directly. docs/canary.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import { type Browser, chromium, type Page, type Request } from "playwright-core";

import {
  BACK_OFFICE_JOURNEY,
  backOfficeJourney,
  type CanaryAccount,
  type CanaryAdmin,
  JOURNEY,
  type JourneyOptions,
  SIGN_IN_JOURNEY,
  shopJourney,
  signInJourney,
  type Step,
} from "./journey";
import { startRunTelemetry, type StepOutcome, type TelemetryOptions } from "./telemetry";

export interface CanaryOptions extends JourneyOptions {
  /** Where the screenshot of a failed step and result.json go. */
  artifactsDir: string;
  /** Chromium's executable (scripts/lab/chromium.sh path). */
  chromium: string;
  telemetry: TelemetryOptions;
  /** Each step's time limit (Playwright's default timeout while the step runs). */
  stepTimeoutMs?: number;
  /** Which journey: `shop-purchase` (the default), `shop-sign-in` or `shop-back-office`. */
  journey?: string;
  /** The canary's customer account, for `shop-sign-in`. */
  account?: CanaryAccount;
  /** The canary's admin account, for `shop-back-office`. */
  admin?: CanaryAdmin;
  /** The steps to run instead of the shop's journey (tests). */
  steps?: Step[];
}

/** The journeys the runner knows, by name. */
export const JOURNEYS = [JOURNEY, SIGN_IN_JOURNEY, BACK_OFFICE_JOURNEY] as const;

/** The steps of the journey `options.journey` names; an unknown name, or a journey without its account, throws. */
export function stepsOf(options: CanaryOptions): Step[] {
  const journey = options.journey ?? JOURNEY;
  if (journey === JOURNEY) return shopJourney(options);
  if (journey === SIGN_IN_JOURNEY) {
    if (!options.account) throw new Error(`${SIGN_IN_JOURNEY} needs the canary's account (SHOP_CANARY_EMAIL, SHOP_CANARY_PASSWORD)`);
    return signInJourney({ baseUrl: options.baseUrl, account: options.account });
  }
  if (journey === BACK_OFFICE_JOURNEY) {
    if (!options.admin) throw new Error(`${BACK_OFFICE_JOURNEY} needs the canary's admin (SHOP_CANARY_ADMIN_EMAIL, SHOP_CANARY_ADMIN_PASSWORD, SHOP_CANARY_ADMIN_TOTP_SECRET)`);
    return backOfficeJourney({ baseUrl: options.baseUrl, admin: options.admin });
  }
  throw new Error(`unknown journey ${JSON.stringify(journey)}: ${JOURNEYS.join(", ")}`);
}

export interface CanaryResult {
  journey: string;
  ok: boolean;
  durationMs: number;
  steps: StepOutcome[];
  /** The first step that failed. */
  failedStep?: string;
  /** The screenshot of the failed step, when one could be taken. */
  screenshot?: string;
  /** The run's trace (hex) and the service.instance.id of its telemetry. */
  traceId: string;
  instanceId: string;
}

/** The most shop traces one step names. */
const MAX_SHOP_TRACES = 20;

/** The flags Chromium needs on this machine (as app/web/e2e/support.ts's `browser()`). */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run", "--disable-gpu"];

/** An error's first line, without Playwright's call log (which can name selectors at length). */
function reasonOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split("\n")[0] ?? text).slice(0, 300);
}

export async function runCanary(options: CanaryOptions): Promise<CanaryResult> {
  const steps = options.steps ?? stepsOf(options);
  const journey = options.journey ?? JOURNEY;
  const telemetry = startRunTelemetry(journey, options.baseUrl, options.telemetry);
  const outcomes: StepOutcome[] = [];
  let failedStep: string | undefined;
  let screenshot: string | undefined;
  const started = performance.now();
  let browser: Browser | undefined;
  let ended: number | undefined;
  try {
    browser = await chromium.launch({ executablePath: options.chromium, headless: true, args: CHROMIUM_ARGS });
    // A fresh context per run: no cookies, no cart from the run before.
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(options.stepTimeoutMs ?? 15_000);
    // The shop's trace id of each API call the page makes (its `x-trace-id` answer), taken by the
    // step during which it arrived: the canary's step then names the shop's traces of its calls.
    const shopTraces: string[] = [];
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      const id = response.headers()["x-trace-id"];
      if (id && path.startsWith("/api/") && !path.startsWith("/api/rum/") && shopTraces.length < MAX_SHOP_TRACES) shopTraces.push(id);
    });
    const taken = () => [...new Set(shopTraces.splice(0))];
    // One trace from the canary's step down to the shop's database (F-SYNTH-03): the step's span
    // is the page's outer trace (`<meta name="traceparent">`, src/telemetry/outer.ts), set on the
    // page before the step and on each document the step loads, as soon as its DOM is there (the
    // UI's telemetry starts after the load event). The UI's clicks and fetches become the step's
    // children, and the shop's spans theirs.
    let traceparent: string | null = null;
    page.on("domcontentloaded", () => {
      if (traceparent) void setOuterTrace(page, traceparent);
    });
    for (const step of steps) {
      await telemetryDecided(page);
      const span = telemetry.step(step.name);
      traceparent = span.traceparent;
      if (traceparent) await setOuterTrace(page, traceparent);
      const t0 = performance.now();
      let outcome: StepOutcome;
      try {
        await step.run(page);
        outcome = { name: step.name, ok: true, durationMs: performance.now() - t0, shopTraceIds: taken() };
      } catch (e) {
        outcome = { name: step.name, ok: false, durationMs: performance.now() - t0, reason: reasonOf(e), shopTraceIds: taken() };
      }
      span.end(outcome);
      outcomes.push(outcome);
      if (!outcome.ok) {
        failedStep = step.name;
        screenshot = await saveScreenshot(page, options.artifactsDir, step.name);
        break;
      }
    }
    // The run's time is its steps'; leaving the page is not part of the journey.
    ended = performance.now();
    await leave(page);
  } catch (e) {
    // Chromium did not start: the run fails before its first step, under a step of its own.
    const outcome: StepOutcome = { name: "launch", ok: false, durationMs: performance.now() - started, reason: reasonOf(e) };
    telemetry.step("launch").end(outcome);
    outcomes.push(outcome);
    failedStep = "launch";
  } finally {
    await browser?.close().catch(() => undefined);
  }
  const durationMs = (ended ?? performance.now()) - started;
  const ok = failedStep === undefined;
  telemetry.finish(ok, durationMs, failedStep);
  await telemetry.shutdown();
  const result: CanaryResult = {
    journey,
    ok,
    durationMs,
    steps: outcomes,
    ...(failedStep ? { failedStep } : {}),
    ...(screenshot ? { screenshot } : {}),
    traceId: telemetry.traceId,
    instanceId: telemetry.instanceId,
  };
  mkdirSync(options.artifactsDir, { recursive: true });
  writeFileSync(join(options.artifactsDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** The longest wait, between two steps, for the page's telemetry to start. */
const TELEMETRY_START_MS = 5_000;

/**
 * Waits, outside any step's time, until the page's telemetry has started or said it is off
 * (`<html data-telemetry>`, src/telemetry/index.ts): it starts after the load event and an idle
 * moment, and the calls a page makes before that are not the UI's spans. Waiting makes every
 * step after a page load part of the run's trace, as a shopper who reads the page before the next
 * click would be. A page without the UI (about:blank, another site) is not waited for long.
 */
async function telemetryDecided(page: Page): Promise<void> {
  if (page.url() === "about:blank") return;
  await page
    .locator("html[data-telemetry]")
    .waitFor({ state: "attached", timeout: TELEMETRY_START_MS })
    .catch(() => undefined);
}

/**
 * How long the last step's spans take to end: a fetch's span ends 300 ms after its answer (the
 * fetch instrumentation waits for its resource timing), a click's when its work has settled, at
 * most 1.5 s after the click when nothing followed it (src/telemetry/interactions.ts).
 */
const SETTLE_MS = 2_000;
/** How long the run waits, at its end, for the page's telemetry to reach the shop. */
const LEAVE_MS = 5_000;

/**
 * Ends the visit as a shopper who reads the last page, then switches tabs: once the last step's
 * spans have ended (SETTLE_MS), the page is hidden, on which the UI's telemetry sends what it holds
 * (its batches go every few seconds otherwise, and a closed browser would drop the last steps'
 * spans); then waits, at most LEAVE_MS, for those requests to be answered. The page only sends
 * spans that have ended, hence the wait first. Hidden by hand (`visibilityState` and the event),
 * as app/web/e2e/support.ts's `hide`: headless Chromium keeps every tab visible.
 */
async function leave(page: Page): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const sent: Promise<unknown>[] = [];
  const onRequest = (request: Request) => {
    if (new URL(request.url()).pathname.startsWith("/api/rum/")) sent.push(request.response().catch(() => null));
  };
  page.on("request", onRequest);
  try {
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      Object.defineProperty(document, "hidden", { value: true, configurable: true });
      document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
    });
    // The exports start at once; their requests are seen within this time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled(sent), new Promise((resolve) => (timer = setTimeout(resolve, LEAVE_MS)))]);
    // A pending timer would keep the command line's process alive after the run.
    clearTimeout(timer);
  } catch {
    // A page that cannot be hidden (it crashed, or never loaded) has nothing to send.
  } finally {
    page.off("request", onRequest);
  }
}

/**
 * Sets the document's `<meta name="traceparent">` (adding it when absent). A document that goes
 * away meanwhile (a navigation) is not an error: the next one gets the tag on its DOMContentLoaded.
 */
async function setOuterTrace(page: Page, traceparent: string): Promise<void> {
  await page
    .evaluate((value) => {
      let meta = document.querySelector<HTMLMetaElement>('meta[name="traceparent"]');
      if (!meta) {
        meta = document.createElement("meta");
        meta.name = "traceparent";
        document.head.append(meta);
      }
      meta.content = value;
    }, traceparent)
    .catch(() => undefined);
}

async function saveScreenshot(page: Page, dir: string, step: string): Promise<string | undefined> {
  try {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `failed-${step}.png`);
    await page.screenshot({ path, fullPage: true, timeout: 5_000 });
    return path;
  } catch {
    return undefined;
  }
}
