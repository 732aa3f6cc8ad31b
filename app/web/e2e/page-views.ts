// The experiment harness's browser (experiments/src/browser.rs): shoppers' page views in Chromium,
// against a shop the harness started, with what each one cost on the wire. Not a test: it
// asserts nothing and prints what it saw, as JSON, for the harness to score against what the
// telemetry backend stored.
//
//   node --import tsx e2e/page-views.ts <base URL> <sessions> <on|off>
//
// Each session is a first visit (a fresh browser context, so a cold cache): the home page, a
// product (a client-side route change), "Add to cart", the cart (another route change): three
// page views and four named clicks' worth of fetches. `off` answers the UI's `/api/rum/config`
// with 404, as a shop without the intake would: the page then runs without browser telemetry
// (docs/web.md), which is the baseline its cost and its LCP are compared with.
//
// LCP is read by a PerformanceObserver of the page's own, installed before any script, so it is
// measured the same way with and without the telemetry; it is the first (hard) navigation's,
// final at the first click (as web-vitals reports it).
import type { Browser, Page, Request } from "playwright-core";

import { browser, hide, telemetryState } from "./support";

/** One API call of the page (not the intake): its propagation header and the shop's answer. */
interface Fetch {
  method: string;
  path: string;
  traceparent?: string;
  xray?: string;
  status?: number;
  /** The shop's `x-trace-id` answer. */
  trace_id?: string;
}

/** One export the page POSTed to the intake. */
interface Export {
  signal: string;
  bytes: number;
  status?: number;
  spans: number;
  logs: number;
  points: number;
  trace_ids: string[];
  lcp_ms: number[];
}

interface Session {
  page_views: number;
  lcp_ms: number | null;
  fetches: Fetch[];
  exports: Export[];
}

type Any = Record<string, unknown>;
const list = (v: unknown): Any[] => (Array.isArray(v) ? (v as Any[]) : []);

/** What an OTLP/JSON export holds: spans, log records, metric points, trace ids, LCP values. */
function contents(signal: string, body: string): Omit<Export, "signal" | "bytes" | "status"> {
  const out = { spans: 0, logs: 0, points: 0, trace_ids: [] as string[], lcp_ms: [] as number[] };
  let json: Any;
  try {
    json = JSON.parse(body) as Any;
  } catch {
    return out;
  }
  if (signal === "traces") {
    for (const rs of list(json.resourceSpans))
      for (const ss of list(rs.scopeSpans))
        for (const s of list(ss.spans)) {
          out.spans += 1;
          if (typeof s.traceId === "string" && !out.trace_ids.includes(s.traceId)) out.trace_ids.push(s.traceId);
        }
  } else if (signal === "logs") {
    for (const rl of list(json.resourceLogs)) for (const sl of list(rl.scopeLogs)) out.logs += list(sl.logRecords).length;
  } else if (signal === "metrics") {
    for (const rm of list(json.resourceMetrics))
      for (const sm of list(rm.scopeMetrics))
        for (const m of list(sm.metrics)) {
          const points = list((m.histogram as Any | undefined)?.dataPoints ?? (m.sum as Any | undefined)?.dataPoints ?? (m.gauge as Any | undefined)?.dataPoints);
          out.points += points.length;
          if (m.name === "browser.web_vital.lcp")
            for (const p of points) {
              const count = Number(p.count ?? 0);
              if (count > 0) out.lcp_ms.push(Number(p.sum ?? 0) / count);
            }
        }
  }
  return out;
}

function watch(page: Page): { fetches: Fetch[]; exports: Export[]; pending: () => number } {
  const fetches: Fetch[] = [];
  const exports: Export[] = [];
  const open = new Set<Request>();
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/api/rum/v1/") && r.method() === "POST") {
      open.add(r);
      const body = r.postDataBuffer() ?? Buffer.alloc(0);
      const signal = path.slice("/api/rum/v1/".length);
      const e: Export = { signal, bytes: body.length, ...contents(signal, body.toString("utf8")) };
      exports.push(e);
      r.response()
        .then((res) => {
          e.status = res?.status();
        })
        .catch(() => undefined)
        .finally(() => open.delete(r));
    } else if (path.startsWith("/api/") && !path.startsWith("/api/rum/")) {
      const headers = r.headers();
      const f: Fetch = { method: r.method(), path, traceparent: headers["traceparent"], xray: headers["x-amzn-trace-id"] };
      fetches.push(f);
      r.response()
        .then((res) => {
          f.status = res?.status();
          f.trace_id = res?.headers()["x-trace-id"];
        })
        .catch(() => undefined);
    }
  });
  return { fetches, exports, pending: () => open.size };
}

async function session(chromium: Browser, base: string, telemetry: "on" | "off"): Promise<Session> {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __lcp?: number };
    new PerformanceObserver((entries) => {
      for (const e of entries.getEntries()) w.__lcp = e.startTime;
    }).observe({ type: "largest-contentful-paint", buffered: true });
  });
  if (telemetry === "off") await page.route("**/api/rum/config", (route) => route.fulfill({ status: 404, contentType: "application/json", body: '{"error":"off"}' }));
  const seen = watch(page);
  await page.goto(`${base}/`);
  await telemetryState(page, telemetry);
  const cards = page.getByTestId("product-card");
  await cards.first().waitFor();
  // Settled: the hero picture is painted before the first input ends LCP's observation.
  await page.waitForLoadState("load");
  const lcp = await page.evaluate(() => (window as unknown as { __lcp?: number }).__lcp ?? null);
  await cards.first().click();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  await page.getByRole("link", { name: "View cart" }).click();
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  if (telemetry === "on") {
    // As when the shopper switches tabs: the SDK sends what it holds (see support.ts `hide`).
    await page.waitForTimeout(500);
    await hide(page);
    const deadline = Date.now() + 15_000;
    let quiet = 0;
    while (Date.now() < deadline && quiet < 4) {
      await page.waitForTimeout(250);
      quiet = seen.pending() === 0 ? quiet + 1 : 0;
    }
  }
  await context.close();
  return { page_views: 3, lcp_ms: lcp, fetches: seen.fetches, exports: seen.exports };
}

async function main(): Promise<void> {
  const [base, count, telemetry] = process.argv.slice(2);
  if (!base || !count || (telemetry !== "on" && telemetry !== "off")) {
    console.error("usage: page-views.ts <base URL> <sessions> <on|off>");
    process.exit(2);
  }
  const sessions: Session[] = [];
  const chromium = await browser();
  try {
    for (let i = 0; i < Number(count); i++) sessions.push(await session(chromium, base, telemetry));
  } finally {
    await chromium.close();
  }
  process.stdout.write(`${JSON.stringify({ telemetry, sessions })}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
