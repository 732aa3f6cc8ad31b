// Browser telemetry in Chromium (docs/web.md, "Browser telemetry"), against the real shop for
// the API and a stand-in for its RUM intake: Playwright answers GET /api/rum/config with the
// config the shop would send, and captures (and answers 200 to) the OTLP/HTTP JSON the page
// POSTs to /api/rum/v1/{traces,logs,metrics} (e2e/intake.ts). What was captured is decoded as OTLP and checked:
// the trace header the browser really sent, the click → fetch parentage, the Web Vitals, the
// errors, the session, no query strings, and silence when telemetry is off.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser, ConsoleMessage, Page } from "playwright-core";

import { attrs, CONFIG, Intake } from "./intake";
import { accessibilityProblems, apiRequests, browser, hide, Shop, screenshot, telemetryState, waitForRequest } from "./support";

let shop: Shop;
let chromium: Browser;

before(async () => {
  shop = await Shop.start();
  chromium = await browser();
});

after(async () => {
  await chromium?.close();
  await shop?.stop();
});

/** Console errors of the page, each with the URL it is about. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const XRAY = /^Root=1-([0-9a-f]{8})-([0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1$/;
/** Where the page's path (or a URL) goes; none may hold a query string. */
const URL_KEYS = ["url.full", "url.path", "http.url"];

/** Every URL-like attribute the page sent, anywhere (spans, span events, logs). */
function urlAttributes(intake: Intake): string[] {
  const found: string[] = [];
  const visit = (a: Record<string, unknown>) => {
    for (const k of URL_KEYS) if (typeof a[k] === "string") found.push(a[k]);
  };
  for (const s of intake.spans()) {
    visit(s.a);
    for (const e of s.events ?? []) visit(attrs(e.attributes));
  }
  for (const l of intake.logs()) visit(l.a);
  return found;
}

// ---- the journeys ---------------------------------------------------------------------------

test("W3C trace context: fetch spans match the traceparent sent, a named click parents its fetches, Web Vitals, one session, no query strings", async () => {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
  const intake = await Intake.install(context, CONFIG);
  const page = await context.newPage();
  const requests = apiRequests(page);
  const errors = consoleErrors(page);

  await page.goto(`${shop.base}/`);
  await page.getByRole("heading", { name: "New in" }).waitFor();
  await telemetryState(page, "on");

  // A search (a named click: the search button), whose words must go nowhere but the shop.
  await page.getByLabel("Search products").fill("secret words");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("heading", { name: /Results for/ }).waitFor();
  const search = await waitForRequest(requests, "GET", /^\/api\/products\/search$/);
  const header = (await search.allHeaders())["traceparent"] ?? "";
  const [, traceId, parentId] = TRACEPARENT.exec(header) ?? [];
  assert.ok(traceId && parentId, `the search's request carried a W3C traceparent (got ${JSON.stringify(header)})`);
  assert.equal((await search.allHeaders())["x-amzn-trace-id"], undefined, "no X-Ray header with tracecontext");

  const fetchSpan = await intake.waitFor("fetch span for the search", () =>
    intake.spans().find((s) => s.a["url.path"] === "/api/products/search"),
  );
  assert.equal(fetchSpan.traceId, traceId, "the fetch span's trace id is the traceparent's");
  assert.equal(fetchSpan.spanId, parentId, "the traceparent's parent id is the fetch span (the shop's span is its child)");
  assert.equal(fetchSpan.name, "GET");
  assert.equal(fetchSpan.kind, 3, "a CLIENT span");
  assert.equal(fetchSpan.a["http.request.method"], "GET");
  assert.equal(fetchSpan.a["http.response.status_code"], 200);
  assert.equal(fetchSpan.a["page.route"], "/search/");
  const searchClick = intake.spans().find((s) => s.name === "click search");
  assert.ok(searchClick, "the search button's click is a span");
  assert.equal(fetchSpan.parentSpanId, searchClick.spanId, "the search's fetch is a child of the click on Search");
  assert.equal(fetchSpan.traceId, searchClick.traceId);

  // Add to cart: the named click is the parent of the cart's POSTs (create the cart, add the item).
  await page.getByRole("link", { name: "Observability Shop" }).click();
  await page.getByRole("heading", { name: "New in" }).waitFor();
  await page.getByTestId("product-card").first().click();
  await page.getByRole("button", { name: "Add to cart" }).waitFor();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  const addItem = await waitForRequest(requests, "POST", /^\/api\/carts\/[^/]+\/items$/);
  const [, addTrace, addParent] = TRACEPARENT.exec((await addItem.allHeaders())["traceparent"] ?? "") ?? [];
  const click = await intake.waitFor("the add-to-cart click's span", () => intake.spans().find((s) => s.name === "click add-to-cart"));
  assert.equal(click.a["ui.element.name"], "add-to-cart");
  assert.equal(click.a["page.route"], "/product/");
  const post = await intake.waitFor("the cart POST's fetch span", () =>
    intake.spans().find((s) => s.a["http.request.method"] === "POST" && /^\/api\/carts\/[^/]+\/items$/.test(String(s.a["url.path"]))),
  );
  assert.equal(post.traceId, click.traceId, "the click and the POST are one trace");
  assert.equal(post.parentSpanId, click.spanId, "the click is the POST's parent");
  assert.equal(post.traceId, addTrace, "the trace the shop was told is the click's");
  assert.equal(post.spanId, addParent);
  const createCart = intake.spans().find((s) => s.a["http.request.method"] === "POST" && s.a["url.path"] === "/api/carts");
  assert.equal(createCart?.parentSpanId, click.spanId, "creating the cart is the same click's work");

  // Page views: the landing page and each route the app moved to.
  const views = await intake.waitFor("page views", () => {
    const v = intake.spans().filter((s) => s.name === "page.view");
    return v.length >= 4 && v;
  });
  assert.deepEqual(
    views.map((v) => v.a["page.route"]),
    ["/", "/search/", "/", "/product/"],
  );
  await screenshot(page, "telemetry-product");

  // The page hidden: the Web Vitals are final, and flushed at once.
  await hide(page);
  const vitals = await intake.waitFor("LCP, FCP and TTFB data points", () => {
    const names = new Set(intake.points().map((p) => p.metric));
    // The vitals only: the page's other histograms (time on page, render times) are the next test's.
    return (
      ["browser.web_vital.lcp", "browser.web_vital.fcp", "browser.web_vital.ttfb"].every((n) => names.has(n)) &&
      intake.points().filter((p) => p.metric.startsWith("browser.web_vital."))
    );
  });
  for (const p of vitals) {
    assert.match(p.metric, /^browser\.web_vital\.(lcp|inp|cls|fcp|ttfb)$/);
    assert.deepEqual(Object.keys(p.a).sort(), ["page.route", "web_vital.rating"], `${p.metric}: only the allowed attributes`);
    assert.match(String(p.a["web_vital.rating"]), /^(good|needs-improvement|poor)$/);
    assert.equal(p.unit, p.metric.endsWith(".cls") ? "1" : "ms");
    assert.equal(p.temporality, 1, "delta temporality");
    assert.ok(p.count >= 1);
  }
  for (const name of ["lcp", "fcp", "ttfb"]) {
    assert.equal(vitals.find((p) => p.metric === `browser.web_vital.${name}`)?.a["page.route"], "/", `${name}: the landing route's`);
  }

  // A new document (a full load): the session survives it.
  await page.goto(`${shop.base}/cart/`);
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  await telemetryState(page, "on");
  const load = await intake.waitFor("the cart's document load", () =>
    intake.spans().find((s) => s.name === "documentLoad" && s.a["page.route"] === "/cart/"),
  );
  const sessions = new Set(intake.spans().map((s) => s.a["session.id"]));
  assert.equal(sessions.size, 1, `one session.id on every span, across two documents (got ${[...sessions].join(", ")})`);
  assert.match(String(load.a["session.id"]), /^[0-9a-f]{32}$/);

  // What every export says about its source, and how it was sent.
  const resource = intake.spans()[0]?.resource ?? {};
  assert.equal(resource["service.name"], "shop-web");
  assert.equal(resource["service.version"], "0.1.0");
  assert.equal(resource["deployment.environment.name"], "local");
  assert.equal(resource["telemetry.sdk.language"], "webjs");
  assert.equal(resource["telemetry.sdk.name"], "opentelemetry");
  for (const e of intake.exports) {
    assert.equal(e.contentType, "application/json", `${e.signal}: OTLP/HTTP JSON`);
    assert.ok(e.bytes <= 256 * 1024, `${e.signal}: ${e.bytes} bytes, within the intake's 256 KiB`);
  }
  assert.deepEqual(intake.malformed, []);

  // No query string in any URL attribute, and the search's words nowhere at all.
  const urls = urlAttributes(intake);
  assert.ok(urls.length > 10);
  assert.deepEqual(urls.filter((u) => /[?#]/.test(u)), [], "no URL attribute keeps a query string");
  const everything = JSON.stringify(intake.exports);
  assert.ok(!everything.includes("secret"), "what a shopper searched for is never sent");
  // The intake's own requests are not traced.
  assert.deepEqual(urls.filter((u) => u.includes("/api/rum/v1")), []);

  assert.deepEqual(errors, [], "no console error");
  await context.close();
});

test("the UI's events and metrics: the funnel, the cart, named clicks, the checkout's flow and steps, render times, time on page, network faults", async () => {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
  const intake = await Intake.install(context, CONFIG);
  const page = await context.newPage();
  const errors = consoleErrors(page);

  await page.goto(`${shop.base}/`);
  await page.getByRole("heading", { name: "New in" }).waitFor();
  await telemetryState(page, "on");
  await page.getByTestId("product-card").first().click();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  await page.getByRole("link", { name: "View cart" }).click();
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  await page.getByRole("link", { name: "Check out" }).click();
  await page.getByRole("heading", { name: "Checkout" }).waitFor();
  // The form's sections in order: contact, address, payment (a pause in each, so each has a length).
  await page.getByLabel("E-mail").fill("ui.events@example.com");
  await page.waitForTimeout(150);
  await page.getByLabel("Full name").fill("Ren Sato");
  await page.getByLabel("Address", { exact: true }).fill("3-3 Umeda");
  await page.getByLabel("City").fill("Osaka");
  await page.getByLabel("Postal code").fill("530-0001");
  await page.waitForTimeout(150);
  await page.getByLabel("Cash on delivery").check();
  await page.getByRole("button", { name: "Place order" }).click();
  await page.getByRole("heading", { name: /Thank you/ }).waitFor();
  // Leaving: the last page's visit ends, and the counters, the events and the spans go at once.
  await hide(page);

  // The funnel, step by step, and the cart's change: counters, delta and monotonic.
  await intake.waitFor("the order_placed step", () => intake.total("browser.funnel.steps", { "funnel.step": "order_placed" }) === 1);
  for (const step of ["product_view", "cart_add", "cart_view", "checkout_start", "order_placed"]) {
    assert.equal(intake.total("browser.funnel.steps", { "funnel.step": step }), 1, `funnel step ${step}`);
  }
  assert.equal(intake.total("browser.cart.actions", { "cart.action": "add", outcome: "ok" }), 1);
  for (const name of ["add-to-cart", "checkout", "place-order"]) {
    assert.equal(intake.total("browser.interactions", { "ui.element.name": name }), 1, `clicks on ${name}`);
  }
  for (const route of ["/", "/product/", "/cart/", "/checkout/", "/order/"]) {
    assert.equal(intake.total("browser.page.views", { "page.route": route }), 1, `views of ${route}`);
  }
  for (const p of intake.sums()) {
    assert.equal(p.temporality, 1, `${p.metric}: delta`);
    assert.ok(p.monotonic, `${p.metric}: monotonic`);
  }

  // Time on each page: a visit per route, the last one ended by hiding the page.
  const dwell = await intake.waitFor("time on the order page", () => {
    const d = intake.points().filter((p) => p.metric === "browser.page.dwell_time");
    return d.some((p) => p.a["page.route"] === "/order/") && d;
  });
  assert.deepEqual([...new Set(dwell.map((p) => p.a["page.route"]))].sort(), ["/", "/cart/", "/checkout/", "/order/", "/product/"]);
  const checkoutDwell = dwell.filter((p) => p.a["page.route"] === "/checkout/").reduce((n, p) => n + (p.sum ?? 0), 0);
  assert.ok(checkoutDwell >= 300, `the checkout page was on screen ${checkoutDwell} ms`);

  // The events: a log record each, named, with the page and the session; a click's in its trace.
  const views = intake.events("browser.page_view");
  assert.deepEqual(views.map((v) => v.a["page.route"]), ["/", "/product/", "/cart/", "/checkout/", "/order/"]);
  assert.equal(views[1]?.a["page.referrer_route"], "/", "the product page was reached from home");
  const addEvent = intake.events("browser.click").find((e) => e.a["ui.element.name"] === "add-to-cart");
  const addClick = intake.spans().find((s) => s.name === "click add-to-cart");
  assert.ok(addEvent && addClick);
  assert.equal(addEvent.traceId, addClick.traceId, "the click's event is in the click's trace");
  const cartEvent = intake.events("browser.cart_change")[0];
  assert.deepEqual([cartEvent?.a["cart.action"], cartEvent?.a["outcome"], cartEvent?.a["cart.quantity"]], ["add", "ok", 1]);
  for (const l of intake.logs()) {
    assert.match(String(l.a["session.id"]), /^[0-9a-f]{32}$/, `${l.a["event.name"] ?? "a record"}: the session`);
    assert.equal(l.severityNumber, l.a["event.name"] ? 9 : 17, "events are INFO");
  }

  // The checkout's flow: a trace of its own, its sections its children, in the order filled in.
  const flow = await intake.waitFor("the checkout span", () => intake.spans().find((s) => s.name === "checkout"));
  assert.equal(flow.a["checkout.outcome"], "placed");
  assert.equal(flow.a["checkout.refusals"], 0);
  assert.equal(flow.parentSpanId ?? "", "", "a root span");
  const steps = intake.spans().filter((s) => s.parentSpanId === flow.spanId);
  assert.deepEqual(steps.map((s) => s.name), ["checkout.step contact", "checkout.step address", "checkout.step payment"]);
  const stepEvents = intake.events("browser.checkout_step");
  assert.deepEqual(stepEvents.map((e) => e.a["checkout.step"]), ["contact", "address", "payment"]);
  assert.ok(Number(stepEvents[0]?.a["duration_ms"]) >= 100, `the contact section took ${stepEvents[0]?.a["duration_ms"]} ms`);
  assert.ok(stepEvents.every((e) => e.traceId === flow.traceId), "the steps' events are in the flow's trace");

  // Render times: a span and a measurement per component shown.
  for (const component of ["product-grid", "product-detail", "cart-table", "checkout-form"]) {
    const span = intake.spans().find((s) => s.name === `render ${component}`);
    assert.ok(span, `a render span for ${component}`);
    assert.equal(span.a["ui.component"], component);
    assert.ok(
      intake.points().some((p) => p.metric === "browser.render.duration" && p.a["ui.component"] === component),
      `a render measurement for ${component}`,
    );
  }
  // Next.js's own timings: the landing page's hydration, and each route change to its render
  // (the checkout link's under its click).
  const next = intake.points().filter((p) => p.metric.startsWith("browser.next."));
  assert.deepEqual(next.filter((p) => p.metric === "browser.next.hydration").map((p) => p.a["page.route"]), ["/"]);
  assert.deepEqual(
    next.filter((p) => p.metric === "browser.next.route_change_to_render").map((p) => p.a["page.route"]).sort(),
    ["/cart/", "/checkout/", "/order/", "/product/"],
  );
  const toCheckout = intake.spans().find((s) => s.name === "next.route_change" && s.a["page.route"] === "/checkout/");
  const checkoutClick = intake.spans().find((s) => s.name === "click checkout");
  assert.ok(toCheckout && checkoutClick);
  assert.equal(toCheckout.a["next.navigation_type"], "push");
  assert.equal(toCheckout.parentSpanId, checkoutClick.spanId, "the route change is the click's work");

  // Front end against back end: the same API calls as the page saw them and as the shop timed them.
  // (The cart page makes no call of its own: the cart is the app's, loaded before.)
  for (const route of ["/", "/product/", "/checkout/"]) {
    const of = (metric: string) => intake.points().filter((p) => p.metric === metric && p.a["page.route"] === route);
    const seen = of("browser.api.duration");
    const inShop = of("browser.api.server_duration");
    const count = (ps: typeof seen) => ps.reduce((n, p) => n + p.count, 0);
    const sum = (ps: typeof seen) => ps.reduce((n, p) => n + (p.sum ?? 0), 0);
    assert.ok(count(seen) > 0, `API calls timed on ${route}`);
    assert.equal(count(inShop), count(seen), `${route}: the shop's time for every call the page timed`);
    assert.ok(sum(seen) >= sum(inShop), `${route}: the page's ${sum(seen)} ms include the shop's ${sum(inShop)} ms`);
  }

  assert.deepEqual(errors, [], "no console error");
  await screenshot(page, "ui-events-confirmation");

  // Network faults, on the faults page: a request given up, and a server that is down.
  await page.goto(`${shop.base}/lab/faults/`);
  await page.getByRole("heading", { level: 2, name: "Network" }).waitFor();
  await telemetryState(page, "on");
  await page.getByRole("button", { name: "A request that times out" }).click();
  await page.getByText("given up before the shop answered").waitFor();
  await page.getByRole("button", { name: "A server that is down" }).click();
  await page.getByText("found nobody to answer it").waitFor();
  await hide(page);
  const faults = await intake.waitFor("both network faults", () => {
    const f = intake.events("browser.network_fault");
    return f.length >= 2 && f;
  });
  assert.deepEqual(
    faults.map((f) => [f.a["network.fault"], f.a["url.path"], f.a["http.request.method"]]),
    [
      ["timeout", "/api/products", "GET"],
      ["unreachable", "/api/health", "GET"],
    ],
  );
  assert.deepEqual(intake.malformed, []);
  await context.close();
});

test("X-Ray: the fetch's X-Amzn-Trace-Id is its span, and trace ids start with the time", async () => {
  const context = await chromium.newContext();
  const intake = await Intake.install(context, { ...CONFIG, backend: "awssdk", propagator: "xray", id_generator: "xray" });
  const page = await context.newPage();
  const requests = apiRequests(page);
  const errors = consoleErrors(page);

  await page.goto(`${shop.base}/`);
  await page.getByRole("heading", { name: "New in" }).waitFor();
  await telemetryState(page, "on");
  const startedAt = Math.floor(Date.now() / 1000);
  // A client-side navigation, after the SDK started: a product's page.
  await page.getByTestId("product-card").first().click();
  const product = await waitForRequest(requests, "GET", /^\/api\/products\/\d+$/);
  const headers = await product.allHeaders();
  const [, time, random, parent] = XRAY.exec(headers["x-amzn-trace-id"] ?? "") ?? [];
  assert.ok(time && random && parent, `the request carried an X-Ray header (got ${JSON.stringify(headers["x-amzn-trace-id"])})`);
  assert.equal(headers["traceparent"], undefined, "no traceparent with xray");
  assert.ok(Math.abs(parseInt(time, 16) - startedAt) < 600, "the trace id starts with the epoch seconds");

  const span = await intake.waitFor("the product's fetch span", () =>
    intake.spans().find((s) => s.a["url.path"] === new URL(product.url()).pathname && s.name === "GET"),
  );
  assert.equal(span.traceId, `${time}${random}`, "the span's trace id is the header's Root");
  assert.equal(span.spanId, parent, "the header's Parent is the fetch span");
  for (const s of intake.spans()) {
    const age = Math.floor(Date.now() / 1000) - parseInt(s.traceId.slice(0, 8), 16);
    assert.ok(age >= 0 && age < 600, `${s.name}: an X-Ray trace id (${s.traceId})`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("the faults page: a thrown error, a rejected promise and a broken render are logs and error spans; a slow render is a poor INP", async () => {
  const context = await chromium.newContext();
  const intake = await Intake.install(context, CONFIG);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await page.goto(`${shop.base}/lab/faults/`);
  await page.getByRole("heading", { level: 1, name: "Faults" }).waitFor();
  await telemetryState(page, "on");
  await page.getByRole("heading", { level: 2, name: "Errors" }).waitFor();
  await page.getByRole("heading", { level: 2, name: "Slowness" }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), [], "no serious or critical accessibility violation (axe-core)");
  await screenshot(page, "faults");

  await page.getByRole("button", { name: "Throw a JS error" }).click();
  const thrown = await intake.waitFor("the thrown error's log record", () =>
    intake.logs().find((l) => l.a["error.source"] === "window.error"),
  );
  assert.equal(thrown.severityNumber, 17, "severity ERROR");
  assert.equal(thrown.severityText, "ERROR");
  assert.equal(thrown.a["exception.type"], "LabFaultError");
  assert.match(String(thrown.a["exception.message"]), /thrown on purpose/);
  assert.match(String(thrown.a["exception.stacktrace"]), /LabFaultError[\s\S]*at /, "the stack trace");
  assert.equal(thrown.a["page.route"], "/lab/faults/");
  assert.equal(thrown.a["url.path"], "/lab/faults/");
  assert.match(String(thrown.a["session.id"]), /^[0-9a-f]{32}$/);
  const errorSpan = await intake.waitFor("the error span", () => intake.spans().find((s) => s.spanId === thrown.spanId));
  assert.equal(errorSpan.traceId, thrown.traceId, "the log record is in the error span's trace");
  assert.equal(errorSpan.name, "window.error");
  assert.equal(errorSpan.status?.code, 2, "status ERROR");
  const event = errorSpan.events?.find((e) => e.name === "exception");
  assert.ok(event, "an exception event");
  assert.equal(attrs(event.attributes)["exception.type"], "LabFaultError");
  const click = intake.spans().find((s) => s.name === "click throw-error");
  assert.equal(errorSpan.parentSpanId, click?.spanId, "the error is in the trace of the click that caused it");

  await page.getByRole("button", { name: "Reject a promise" }).click();
  const rejected = await intake.waitFor("the rejection's log record", () =>
    intake.logs().find((l) => l.a["error.source"] === "unhandledrejection"),
  );
  assert.equal(rejected.a["exception.type"], "LabFaultError");
  assert.match(String(rejected.a["exception.message"]), /rejected on purpose/);
  assert.ok(intake.spans().some((s) => s.name === "unhandledrejection" && s.status?.code === 2));

  // The slow render: the click waits 1.5 s for its paint (INP, reported when the page is hidden).
  await page.getByRole("button", { name: "Slow page" }).click();
  await page.getByTestId("slow-panel").waitFor();

  // A render that throws: the error boundary shows, and reports it.
  await page.getByRole("button", { name: "Break this page" }).click();
  await page.getByRole("heading", { name: "Something went wrong on this page." }).waitFor();
  const boundary = await intake.waitFor("the error boundary's log record", () =>
    intake.logs().find((l) => l.a["error.source"] === "react.error_boundary"),
  );
  assert.equal(boundary.a["exception.type"], "LabFaultError");
  assert.match(String(boundary.a["exception.stacktrace"]), /at /);
  await screenshot(page, "faults-broken");

  // The page hidden: its INP is final.
  await hide(page);
  const inp = await intake.waitFor("the INP data point", () => intake.points().find((p) => p.metric === "browser.web_vital.inp"));
  assert.deepEqual(inp.a, { "page.route": "/lab/faults/", "web_vital.rating": "poor" });
  assert.ok((inp.sum ?? 0) >= 1000, `INP ${inp.sum} ms`);

  // One record per error: the render error is the boundary's alone (it never reaches window.onerror).
  assert.deepEqual(
    intake.logs().flatMap((l) => (l.a["error.source"] === undefined ? [] : [l.a["error.source"]])),
    ["window.error", "unhandledrejection", "react.error_boundary"],
    "one record per error",
  );
  // And one count per error, by where it was caught.
  assert.equal(intake.total("browser.errors", { "page.route": "/lab/faults/" }), 3);
  for (const source of ["window.error", "unhandledrejection", "react.error_boundary"]) {
    assert.equal(intake.total("browser.errors", { "error.source": source }), 1, source);
  }
  assert.ok(pageErrors.some((m) => m.includes("thrown on purpose")), "the browser saw the uncaught error too");
  assert.deepEqual(intake.malformed, []);
  await context.close();
});

for (const [what, config] of [
  ["the config says enabled: false", { enabled: false, backend: "noop" }],
  ["the config is a 404 (a shop without the intake)", 404],
] as const) {
  test(`no telemetry when ${what}: nothing is sent, nothing on the console`, async () => {
    const context = await chromium.newContext();
    const intake = await Intake.install(context, config);
    const page = await context.newPage();
    const errors = consoleErrors(page);
    const sent: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/rum/v1")) sent.push(r.url());
    });
    const headers: Record<string, string>[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/") && !r.url().includes("/api/rum/")) headers.push(r.headers());
    });

    await page.goto(`${shop.base}/product/?id=3`);
    await telemetryState(page, "off");
    await page.getByRole("button", { name: "Add to cart" }).click();
    await page.getByText("Added.").waitFor();
    await page.goto(`${shop.base}/lab/faults/`);
    await telemetryState(page, "off");
    await page.getByRole("button", { name: "Slow page" }).click();
    await page.getByTestId("slow-panel").waitFor();
    await page.goto(`${shop.base}/`);
    await page.getByRole("heading", { name: "New in" }).waitFor();
    await new Promise((r) => setTimeout(r, 1000));

    assert.deepEqual(sent, [], "no request to the intake");
    assert.deepEqual(intake.exports, []);
    assert.ok(headers.length > 3);
    assert.deepEqual(headers.filter((h) => h["traceparent"] || h["x-amzn-trace-id"]), [], "no trace header");
    // The browser's own line for a failed load (the config's 404) is not the page's doing; the
    // page writes nothing.
    const own = errors.filter((e) => !(typeof config === "number" && e.startsWith("Failed to load resource") && e.includes("/api/rum/config")));
    assert.deepEqual(own, [], "no console error");
    await context.close();
  });
}
