// Front to back (F-CORR-01, O-CORR-02): the browser's telemetry through the shop's real RUM
// intake, shipped by each backend to the lab's real components, and read back where a learner
// would look. A click on "Add to cart", the fetch it makes, the shop's server span and its SQL
// are one trace: in X-Ray (moto) for awssdk, in the collector's output (the capture receiver)
// for otel. A JS error arrives as the browser's log, with its stack; the Web Vitals as the
// shop's metrics. `scripts/lab/web.sh e2e` starts the components (docs/rum.md).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import type { KeyValue, OtlpSpan as Span } from "./intake";
import { randomBytes } from "node:crypto";

import { accessibilityProblems, apiRequests, backendEnv, browser, eventually, hide, s3Endpoint, Shop, screenshot, telemetryState, waitForRequest, watchErrors } from "./support";


function str(list: KeyValue[] | undefined, key: string): string | undefined {
  return list?.find((kv) => kv.key === key)?.value.stringValue;
}

let chromium: Browser;
before(async () => {
  chromium = await browser();
});
after(async () => {
  await chromium?.close();
});

/** What the shopper types in the search box without searching: no recording may hold it. */
const TYPED = "private words 42";
/** What the shopper types on the login page. */
const EMAIL = "ann@example.com";

/** What the shopper does, the same on both backends: add a product to the cart, then break a page. */
async function journey(shop: Shop, page: Page, name: string): Promise<{ header: Record<string, string> }> {
  const requests = apiRequests(page);
  await page.goto(`${shop.base}/product/?id=3`);
  await telemetryState(page, "on");
  // Typed, never sent: a session recording (where one is made) must show it masked.
  await page.getByRole("searchbox", { name: "Search products" }).fill(TYPED);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  const add = await waitForRequest(requests, "POST", /^\/api\/carts\/[^/]+\/items$/);
  const header = await add.allHeaders();
  await screenshot(page, `${name}-product`);
  // The tab hidden, as when the shopper switches tabs: the SDK sends what it holds (the click
  // ends 250 ms after its last fetch) and the Web Vitals are final. Without it, the next
  // navigation would unload the page before its batch left (headless Chromium drops the
  // unloading page's keepalive requests).
  // The UI's own events and metrics go too (the cart's change, the funnel's steps): the real
  // intake must keep every one of them (`flushed` checks its answer is `{}`).
  await flushed(
    page,
    [
      ["traces", "click add-to-cart"],
      ["logs", "browser.cart_change"],
      ["metrics", "browser.funnel.steps"],
    ],
    async () => {
      await page.waitForTimeout(1000);
      await hide(page);
    },
  );
  // A JS error, on purpose (the faults page).
  await page.goto(`${shop.base}/lab/faults/`);
  await telemetryState(page, "on");
  await page.getByRole("button", { name: "Throw a JS error" }).click();
  await page.getByText("An error was thrown").waitFor();
  // Hidden, the page sends its error and its final Web Vitals.
  await flushed(
    page,
    [
      ["logs", "exception.stacktrace"],
      ["metrics", "browser.web_vital."],
    ],
    () => hide(page),
  );
  return { header };
}

/**
 * Runs `act`, then waits until the page has POSTed, for each `[signal, text]`, an export of that
 * signal holding `text` to the intake, and the intake kept all of it.
 */
async function flushed(page: Page, exports: [string, string][], act: () => Promise<void>): Promise<void> {
  const sent = exports.map(([signal, text]) =>
    page.waitForResponse((r) => r.url().endsWith(`/api/rum/v1/${signal}`) && (r.request().postData() ?? "").includes(text), {
      timeout: 20_000,
    }),
  );
  await act();
  for (const [i, response] of (await Promise.all(sent)).entries()) {
    const body = await response.text();
    assert.equal(response.status(), 200, `the intake took the ${exports[i]?.[0]}: ${body}`);
    assert.equal(body, "{}", `the intake kept all of the ${exports[i]?.[0]} export`);
  }
}

/** The shop's own flush: what the intake relayed leaves the backend now. */
async function flush(shop: Shop): Promise<void> {
  const r = await fetch(`${shop.base}/api/telemetry/flush`, { method: "POST" });
  assert.equal(r.status, 200, await r.text());
}

describe("awssdk: the browser's segment, the shop's under it, in X-Ray", () => {
  const service = `shop-e2e-${Math.random().toString(16).slice(2, 8)}`;
  let shop: Shop;
  before(async () => {
    // This shop records every session too (replay, F-RUM-03), into the lab's S3.
    shop = await Shop.start({
      ...backendEnv("awssdk", service),
      SHOP_LAB_READBACK_XRAY: "true",
      SHOP_RUM_REPLAY_BUCKET: `shop-e2e-replay-${randomBytes(4).toString("hex")}`,
      SHOP_RUM_REPLAY_SAMPLE_RATIO: "1",
      SHOP_S3_ENDPOINT: s3Endpoint(),
      SHOP_S3_REGION: "us-east-1",
    });
  });
  after(async () => {
    await shop?.stop();
  });

  test("a click, its fetch, the shop's segment and its SQL are one X-Ray trace; the error is a CloudWatch Logs line", async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const { header } = await journey(shop, page, "awssdk");
    const xray = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1$/.exec(header["x-amzn-trace-id"] ?? "");
    assert.ok(xray, `the cart POST carried X-Ray's header (got ${JSON.stringify(header)})`);
    assert.equal(header["traceparent"], undefined);
    const [, root = "", fetchId = ""] = xray;

    // Wait for the browser's exports to reach the intake, then flush the shop.
    await eventually("the browser's segment", async () => {
      await flush(shop);
      const docs = await traceDocuments(root);
      return docs.some((d) => d.name === "shop-web") && docs.some((d) => d.name === service);
    });
    const docs = await traceDocuments(root);
    const web = docs.find((d) => d.name === "shop-web");
    // The click made two calls (create the cart, add the item): the shop's segment of the second.
    const own = docs.find((d) => d.name === service && d.parent_id === fetchId);
    assert.ok(web, JSON.stringify(docs));
    assert.ok(own, `a ${service} segment whose parent is the fetch ${fetchId}: ${JSON.stringify(docs.map((d) => [d.name, d.parent_id]))}`);
    assert.equal((web.metadata as { span?: { name?: string } })?.span?.name, "click add-to-cart", "the browser's segment is the click");
    const fetchNode = nodes(web).find((n) => n.id === fetchId);
    assert.ok(fetchNode, `the fetch ${fetchId} is a subsegment of the click: ${JSON.stringify(web)}`);
    assert.equal(fetchNode.namespace, "remote");
    assert.equal(own.trace_id, root, "the shop's segment is in the browser's trace");
    assert.ok(
      nodes(own).some((n) => n.sql !== undefined),
      `the shop's segment has its SQL subsegments: ${JSON.stringify(own)}`,
    );

    const line = await eventually("the browser's error in CloudWatch Logs", async () => {
      const events = await logEvents(`/shop-lab-e2e/${service}`);
      return events.map((m) => JSON.parse(m) as Record<string, unknown>).find((l) => l.service === "shop-web" && l.level === "ERROR");
    });
    assert.match(String(line["exception.stacktrace"]), /LabFaultError|at /, "the stack came along");
    assert.match(String(line.trace_id), /^1-[0-9a-f]{8}-[0-9a-f]{24}$/, "joined to an X-Ray trace");
    // A custom event of the UI: a line named by its event, in the click's X-Ray trace.
    const event = await eventually("the cart's event in CloudWatch Logs", async () => {
      const events = await logEvents(`/shop-lab-e2e/${service}`);
      return events.map((m) => JSON.parse(m) as Record<string, unknown>).find((l) => l.service === "shop-web" && l["event.name"] === "browser.cart_change");
    });
    assert.equal(event["cart.action"], "add");
    assert.equal(event.trace_id, root, "the cart's event is in the click's trace");
    // A private page, recorded with its text masked: the login form, an e-mail typed in.
    await page.goto(`${shop.base}/account/login/`);
    await page.getByLabel("E-mail").fill(EMAIL);
    const chunk = page.waitForResponse((r) => r.url().endsWith("/api/rum/v1/replay") && (r.request().postData() ?? "").includes("/account/login/"));
    await hide(page);
    assert.equal((await chunk).status(), 200, "the login page's recording was kept");
    await labPage(page, shop, "xray", [service, "shop-web"]);
    await replayed(page, shop);
    assert.deepEqual(errors.filter((e) => !e.startsWith("pageerror: An error thrown on purpose")), []);
    await context.close();
  });
});

describe("otel: the browser's spans, the shop's under them, through the collector", () => {
  const service = `shop-e2e-${Math.random().toString(16).slice(2, 8)}`;
  let shop: Shop;
  before(async () => {
    shop = await Shop.start({
      ...backendEnv("otel", service),
      SHOP_LAB_READBACK_CAPTURE: process.env.SHOP_LAB_CAPTURE_URL ?? "",
    });
  });
  after(async () => {
    await shop?.stop();
  });

  test("a click, its fetch, the shop's server span and its SQL are one trace in the capture receiver; the error and the Web Vitals too", async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const { header } = await journey(shop, page, "otel");
    const w3c = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(header["traceparent"] ?? "");
    assert.ok(w3c, `the cart POST carried a traceparent (got ${JSON.stringify(header)})`);
    const [, traceId = "", fetchId = ""] = w3c;

    const spans = await eventually("the browser's and the shop's spans of the trace", async () => {
      await flush(shop);
      const all = await captured<SpanRequest>("traces", ["shop-web", service]);
      const mine = all.flatMap((r) =>
        r.resourceSpans.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, service: str(rs.resource?.attributes, "service.name") }))),
        ),
      ).filter((s) => s.traceId === traceId);
      // The browser exports in batches: its click and its fetch may come in different ones (the
      // click ends after its fetches, so it can be a batch later), so wait for the fetch span
      // itself and for its parent, not for any span of the page.
      const fetched = mine.find((s) => s.spanId === fetchId);
      return fetched !== undefined && mine.some((s) => s.spanId === fetched.parentSpanId) && mine.some((s) => s.service === service) && mine;
    });
    const fetchSpan = spans.find((s) => s.spanId === fetchId);
    assert.ok(fetchSpan, "the fetch span whose id the traceparent carried");
    assert.equal(fetchSpan.service, "shop-web");
    assert.equal(fetchSpan.kind, 3);
    const click = spans.find((s) => s.spanId === fetchSpan.parentSpanId);
    assert.equal(click?.name, "click add-to-cart", "the fetch's parent is the click");
    assert.equal(click?.service, "shop-web");
    // The click made two calls (create the cart, add the item): the shop's span of the second.
    const server = spans.find((s) => s.service === service && s.kind === 2 && s.parentSpanId === fetchId);
    assert.ok(server, `the shop's server span under the fetch ${fetchId}: ${spans.map((s) => `${s.service} ${s.name} ${s.parentSpanId}`).join(", ")}`);
    assert.equal(server.name, "POST /api/carts/{id}/items");
    assert.ok(
      spans.some((s) => s.service === service && s.parentSpanId === server.spanId && /^(SELECT|INSERT|UPDATE)/.test(s.name)),
      `the server span has its SQL children: ${spans.map((s) => `${s.service} ${s.name}`).join(", ")}`,
    );

    const error = await eventually("the browser's error log", async () => {
      const all = await captured<LogRequest>("logs", ["shop-web"]);
      return all
        .flatMap((r) => r.resourceLogs.filter((rl) => str(rl.resource?.attributes, "service.name") === "shop-web").flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)))
        .find((l) => l.severityNumber === 17 && /LabFaultError|on purpose/.test(str(l.attributes, "exception.message") ?? ""));
    });
    assert.ok(str(error.attributes, "exception.stacktrace"), "with its stack");
    assert.ok(error.traceId, "joined to a trace");

    let seen = "";
    const vitals = await eventually("the Web Vitals as the shop's metrics", async () => {
      await flush(shop);
      const all = await captured<MetricRequest>("metrics", [service]);
      const names = all.flatMap((r) =>
        r.resourceMetrics.filter((rm) => str(rm.resource?.attributes, "service.name") === service).flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name))),
      );
      const vital = names.filter((n) => n.startsWith("browser.web_vital."));
      seen = [...new Set(names)].join(", ");
      // The UI's own metrics arrive beside the vitals, as the shop's.
      const ui = ["browser.funnel.steps", "browser.cart.actions", "browser.page.views", "browser.errors"].every((n) => names.includes(n));
      return vital.length > 0 && ui && vital;
      // The lab's collector batches metrics for up to 60 s (`batch/metrics` in collector/pipeline.yaml).
    }, 75_000).catch((e: unknown) => {
      throw new Error(`${String(e)}; the shop's metrics seen: ${seen}`);
    });
    assert.ok(vitals.includes("browser.web_vital.ttfb") || vitals.includes("browser.web_vital.fcp"), vitals.join(", "));
    await labPage(page, shop, "collector", [service, "shop-web"]);
    assert.deepEqual(errors.filter((e) => !e.startsWith("pageerror: An error thrown on purpose")), []);
    await context.close();
  });
});

/**
 * The Lab page in the shopper's tab: the cart's POST among the tab's last requests, and its trace
 * read back from `store` by the shop, drawn with the browser's spans and the shop's, a service
 * map naming `services`, and the shop's service map of the last minutes naming them too.
 */
async function labPage(page: Page, shop: Shop, store: "xray" | "collector", services: string[]): Promise<void> {
  await page.goto(`${shop.base}/lab/`);
  const row = page.getByTestId("lab-requests").getByRole("listitem").filter({ hasText: /POST\s*\/api\/carts\/[^/]+\/items/ });
  await row.first().waitFor();
  await row.first().getByRole("button", { name: "Show trace" }).click();
  const section = page.getByTestId(`store-${store}`);
  await section.getByTestId("store-status").getByText("found", { exact: true }).waitFor({ timeout: 30_000 });
  const rows = section.getByTestId("waterfall-row");
  assert.ok((await rows.count()) >= 4, `the click, its fetch, the shop's span and its SQL: ${await rows.allTextContents()}`);
  const text = (await rows.allTextContents()).join("\n");
  for (const s of services) assert.ok(text.includes(s), `${s} in the waterfall:\n${text}`);
  await rows.first().click();
  await section.getByTestId("span-details").waitFor();
  assert.match((await section.getByTestId("readback-command").textContent()) ?? "", store === "xray" ? /^aws xray batch-get-traces --trace-ids 1-/ : /^curl -s '.*\/captured\/traces\?trace_id=[0-9a-f]{32}'$/);
  const map = await page.getByTestId("map-node").allTextContents();
  for (const s of services) assert.ok(map.some((n) => s.startsWith(n.replace(/…$/, ""))), `${s} on the service map: ${map.join(", ")}`);
  // The service map of the last minutes (O-DASH-02): counted by the shop from every trace the
  // store kept in the window (moto builds no service graph), this shop and its UI on it.
  const windowMap = page.getByTestId("window-map");
  const storeButton = windowMap.getByRole("group", { name: "Store" }).getByRole("button", { name: store, exact: true });
  const windowNodes = await eventually(
    `${services.join(", ")} on the window map of ${store}`,
    async () => {
      if ((await storeButton.count()) > 0) await storeButton.click();
      const texts = await windowMap.getByTestId(`window-map-store-${store}`).getByTestId("window-map-node").allTextContents();
      const all = services.every((s) => texts.some((n) => s.startsWith(n.replace(/…$/, ""))));
      if (!all) {
        await windowMap.getByTestId("window-map-reread").click();
        await page.waitForTimeout(2000);
      }
      return all && texts;
    },
    60_000,
  );
  assert.ok(windowNodes.length >= services.length, windowNodes.join(", "));
  assert.match((await windowMap.getByTestId(`window-map-store-${store}`).getByTestId("window-map-status").textContent()) ?? "", /^\d+ traces? read/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, `lab-${store}`);

  // The tab's session as the store kept it (F-TRACE-02): the product's page view, the cart's
  // change, the faults page and its error, in order, each with its trace.
  const tab = (await page.getByTestId("lab-tab-session").textContent()) ?? "";
  assert.match(tab, /^[0-9a-f]{32}$/);
  await page.getByTestId("lab-read-session").click();
  const stored = page.getByTestId(`session-store-${store}`);
  await stored.getByTestId("session-status").getByText("found", { exact: true }).waitFor({ timeout: 30_000 });
  const labels = await eventually(`the session's events in ${store}`, async () => {
    const texts = await stored.getByTestId("session-row").allTextContents();
    const wanted = ["page_view", "cart_change", "ERROR"].every((w) => texts.some((t) => t.includes(w)));
    if (!wanted) {
      await page.getByTestId("lab-session-reread").click();
      await page.waitForTimeout(1500);
    }
    return wanted && texts;
  });
  const at = (what: string) => labels.findIndex((t) => t.includes(what));
  assert.ok(at("cart_change") < at("ERROR"), `the cart's change before the error:\n${labels.join("\n")}`);
  assert.ok(labels.some((t) => t.includes("page_view") && t.includes("/product/")), labels.join("\n"));
  assert.match((await stored.getByTestId("readback-command").textContent()) ?? "", new RegExp(tab));
  // From the cart's change to its trace: the browser's spans and the shop's.
  await stored.getByTestId("session-row").filter({ hasText: "cart_change" }).first().getByTestId("session-trace").click();
  await page.waitForURL(new RegExp(`session=${tab}&trace=[0-9a-f]{32}`));
  const traced = page.getByTestId(`store-${store}`);
  await traced.getByTestId("store-status").getByText("found", { exact: true }).waitFor({ timeout: 30_000 });
  const spans = (await traced.getByTestId("waterfall-row").allTextContents()).join("\n");
  for (const s of services) assert.ok(spans.includes(s), `${s} in the cart change's trace:\n${spans}`);
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, `lab-session-${store}`);
}

/**
 * The session's recording on the Lab page (F-RUM-03): the product page as it was, played back in
 * the replayer's frame, and what the shopper typed only as `*`, in the player and in the stored
 * recording.
 */
async function replayed(page: Page, shop: Shop): Promise<void> {
  const tab = (await page.getByTestId("lab-tab-session").textContent()) ?? "";
  const panel = page.getByTestId("session-replay");
  await panel.getByTestId("replay-load").click();
  await panel.getByTestId("replay-summary").waitFor({ timeout: 15_000 });
  const frame = panel.frameLocator("iframe");
  // skipInactive plays the quiet stretches fast; the product page's button is there from its first snapshot.
  await frame.getByText("Add to cart", { exact: false }).first().waitFor({ timeout: 20_000 });
  const stored = await (await fetch(`${shop.base}/api/lab/sessions/${tab}/replay`)).text();
  assert.ok(!stored.includes(TYPED), "the typed words are not in the stored recording");
  assert.ok(stored.includes("*".repeat(TYPED.length)), "the input is recorded masked, one * a character");
  // The login page was recorded, its text masked: no label, no e-mail.
  assert.ok(stored.includes("/account/login/"), "the login page is in the recording");
  assert.ok(!stored.includes(EMAIL), "the typed e-mail is not in the recording");
  assert.ok(!/"textContent":"(E-mail|Password)"/.test(stored), "the login page's labels are recorded masked");
  assert.ok(stored.includes('"textContent":"********"'), "…as stars (Password)");
  assert.match((await panel.getByTestId("readback-command").textContent()) ?? "", /^aws s3 ls s3:\/\/shop-e2e-replay-[0-9a-f]{8}\/replays\/[0-9a-f]{32}\//);
  await screenshot(page, "lab-replay");
}

// ---- reading back -------------------------------------------------------------------------

interface Doc {
  name: string;
  trace_id?: string;
  id: string;
  parent_id?: string;
  namespace?: string;
  sql?: unknown;
  metadata?: unknown;
  subsegments?: Doc[];
}

function nodes(doc: Doc): Doc[] {
  return [doc, ...(doc.subsegments ?? []).flatMap(nodes)];
}

/**
 * An `Authorization` header of the SigV4 shape: the emulators check no signature, but read the
 * account and region from it (moto answers 500 without one).
 */
function sigv4(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** X-Ray's BatchGetTraces on moto: the trace's segment documents. */
async function traceDocuments(root: string): Promise<Doc[]> {
  const r = await fetch(`${process.env.AWS_ENDPOINT_URL_XRAY}/Traces`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: sigv4("xray") },
    body: JSON.stringify({ TraceIds: [root] }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { Traces?: { Segments?: { Document: string }[] }[] };
  return (body.Traces ?? []).flatMap((t) => (t.Segments ?? []).map((s) => JSON.parse(s.Document) as Doc));
}

/** CloudWatch Logs' FilterLogEvents on LocalStack: the group's messages. */
async function logEvents(group: string): Promise<string[]> {
  const r = await fetch(`${process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS}/`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.FilterLogEvents", authorization: sigv4("logs") },
    body: JSON.stringify({ logGroupName: group }),
  });
  if (r.status !== 200) return [];
  const body = (await r.json()) as { events?: { message: string }[] };
  return (body.events ?? []).map((e) => e.message);
}

type Resource = { attributes?: KeyValue[] };
interface SpanRequest {
  resourceSpans: { resource?: Resource; scopeSpans: { spans: Span[] }[] }[];
}
interface LogRequest {
  resourceLogs: { resource?: Resource; scopeLogs: { logRecords: { severityNumber?: number; traceId?: string; attributes?: KeyValue[] }[] }[] }[];
}
interface MetricRequest {
  resourceMetrics: { resource?: Resource; scopeMetrics: { metrics: { name: string }[] }[] }[];
}

/** What the collector exported to the capture receiver for `services` (export requests, as OTLP/JSON). */
async function captured<T>(signal: "traces" | "logs" | "metrics", services: string[]): Promise<T[]> {
  const query = services.map((s) => `service=${encodeURIComponent(s)}`).join("&");
  const r = await fetch(`${process.env.SHOP_LAB_CAPTURE_URL}/captured/${signal}?${query}`);
  assert.equal(r.status, 200);
  return (await r.json()) as T[];
}
