// The lab's canary runner: the journey's steps in Chromium (playwright-core), each timed, the
// first failure stopping the run with its reason and a screenshot, and the run's telemetry
// (telemetry.ts) flushed before it returns. main.ts is the command line; the e2e test calls
// runCanary directly. docs/canary.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import { type Browser, chromium, type Page } from "playwright-core";

import { type CanaryAccount, JOURNEY, SIGN_IN_JOURNEY, shopJourney, signInJourney, type JourneyOptions, type Step } from "./journey";
import { startRunTelemetry, type StepOutcome, type TelemetryOptions } from "./telemetry";

export interface CanaryOptions extends JourneyOptions {
  /** Where the screenshot of a failed step and result.json go. */
  artifactsDir: string;
  /** Chromium's executable (scripts/lab/chromium.sh path). */
  chromium: string;
  telemetry: TelemetryOptions;
  /** Each step's time limit (Playwright's default timeout while the step runs). */
  stepTimeoutMs?: number;
  /** Which journey: `shop-purchase` (the default) or `shop-sign-in`. */
  journey?: string;
  /** The canary's customer account, for `shop-sign-in`. */
  account?: CanaryAccount;
  /** The steps to run instead of the shop's journey (tests). */
  steps?: Step[];
}

/** The journeys the runner knows, by name. */
export const JOURNEYS = [JOURNEY, SIGN_IN_JOURNEY] as const;

/** The steps of the journey `options.journey` names; an unknown name, or sign-in without an account, throws. */
export function stepsOf(options: CanaryOptions): Step[] {
  const journey = options.journey ?? JOURNEY;
  if (journey === JOURNEY) return shopJourney(options);
  if (journey === SIGN_IN_JOURNEY) {
    if (!options.account) throw new Error(`${SIGN_IN_JOURNEY} needs the canary's account (SHOP_CANARY_EMAIL, SHOP_CANARY_PASSWORD)`);
    return signInJourney({ baseUrl: options.baseUrl, account: options.account });
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
    for (const step of steps) {
      const span = telemetry.step(step.name);
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
  } catch (e) {
    // Chromium did not start: the run fails before its first step, under a step of its own.
    const outcome: StepOutcome = { name: "launch", ok: false, durationMs: performance.now() - started, reason: reasonOf(e) };
    telemetry.step("launch").end(outcome);
    outcomes.push(outcome);
    failedStep = "launch";
  } finally {
    await browser?.close().catch(() => undefined);
  }
  const durationMs = performance.now() - started;
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
