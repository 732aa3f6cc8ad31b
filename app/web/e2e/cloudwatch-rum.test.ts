// CloudWatch RUM's own web client, aws-rum-web, beside the shop's telemetry (F-RUM-01, docs/rum.md,
// "CloudWatch RUM's own client, side by side").
//
// No emulator has CloudWatch RUM (neither LocalStack nor moto), and a stand-in written here would
// only answer what this test believes the service wants. So the test reads what the real client
// SENDS: its endpoint is a port nothing listens on, each PutRumEvents call fails to connect, and
// Playwright still sees the request and its body (`page.on("request")`). Nothing answers it and
// nothing stores it: whether AWS would accept it is not shown here.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gunzipSync } from "node:zlib";

import type { Browser, Page, Request } from "playwright-core";

import { backendEnv, browser, eventually, freePort, hide, Shop, telemetryState } from "./support";

let chromium: Browser;

before(async () => {
  chromium = await browser();
});

after(async () => {
  await chromium?.close();
});

/** One RUM event as the client serialises it: `details` and `metadata` are JSON strings. */
interface RumEvent {
  id: string;
  timestamp: number;
  type: string;
  details: string;
  metadata: string;
}

interface PutRumEvents {
  BatchId: string;
  AppMonitorDetails: { id: string; version: string };
  UserDetails: { sessionId: string; userId: string };
  RumEvents: RumEvent[];
}

interface Sent {
  path: string;
  body: PutRumEvents;
  /** The body as sent, decompressed: what a token would have to be absent from. */
  raw: string;
}

/** The client's PutRumEvents calls to `endpoint`, as the page made them. */
function putRumEvents(page: Page, endpoint: string): Sent[] {
  const sent: Sent[] = [];
  page.on("request", (r: Request) => {
    if (r.method() !== "POST" || !r.url().startsWith(`${endpoint}/`)) return;
    const buffer = r.postDataBuffer();
    if (!buffer) return;
    // The client gzips a larger batch (Content-Encoding: gzip) when the browser can.
    const gzip = buffer[0] === 0x1f && buffer[1] === 0x8b;
    const raw = (gzip ? gunzipSync(buffer) : buffer).toString("utf8");
    sent.push({ path: new URL(r.url()).pathname, body: JSON.parse(raw) as PutRumEvents, raw });
  });
  return sent;
}

const events = (sent: Sent[]) => sent.flatMap((s) => s.body.RumEvents);
const pageViews = (sent: Sent[]) =>
  events(sent)
    .filter((e) => e.type === "com.amazon.rum.page_view_event")
    .map((e) => (JSON.parse(e.details) as { pageId: string }).pageId);

/** The export's chunk that holds aws-rum-web: the only one with the client's event type names. */
function rumChunk(): string {
  const dir = join(process.env.SHOP_WEB_DIR ?? "", "_next", "static", "chunks");
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((name) => (statSync(join(d, name)).isDirectory() ? walk(join(d, name)) : [join(d, name)]));
  const chunks = walk(dir).filter((p) => p.endsWith(".js") && readFileSync(p, "utf8").includes("com.amazon.rum"));
  assert.equal(chunks.length, 1, `one chunk holds aws-rum-web: ${chunks.join(", ")}`);
  return `/_next/static/chunks/${chunks[0]!.slice(dir.length + 1)}`;
}

test("the real aws-rum-web client sends the app monitor's page views and timings, and no token", async () => {
  const appMonitor = randomUUID();
  // A port nothing listens on: the calls are refused, and the test reads them on the way out.
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  // The otel backend, so that the shop's own SDK runs too and the two clients are side by side.
  const shop = await Shop.start(backendEnv("otel", "shop-e2e-cloudwatch-rum"), [
    "--cloudwatch-rum-app-monitor-id",
    appMonitor,
    "--cloudwatch-rum-region",
    "us-east-1",
    "--cloudwatch-rum-endpoint",
    endpoint,
  ]);
  const page = await chromium.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    const sent = putRumEvents(page, endpoint);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // A page load: both clients start, the shop's SDK first.
    await page.goto(`${shop.base}/`);
    await page.getByRole("heading", { name: "New in" }).waitFor();
    await telemetryState(page, "on");
    await page.locator('html[data-cloudwatch-rum="on"]').waitFor({ state: "attached", timeout: 30_000 });
    // The client sends every 5 s: the landing page's view and its navigation timing.
    await eventually("the home page's view, sent", async () => pageViews(sent).includes("/"), 20_000);

    // A client-side navigation (Next.js's router): a page view of its own.
    await page.getByTestId("product-card").first().click();
    await page.getByTestId("price").waitFor();
    await eventually("the product page's view, sent", async () => pageViews(sent).includes("/product/"), 20_000);

    // The invitation page, its token in the query as in the mail: the client records nothing
    // there. Then away from it by a full load, which would carry its address as the referrer.
    const token = randomBytes(32).toString("hex");
    await page.goto(`${shop.base}/admin/invitation/?token=${token}`);
    await page.getByRole("heading", { name: "Accept your invitation" }).waitFor();
    await page.locator('html[data-cloudwatch-rum="on"]').waitFor({ state: "attached", timeout: 30_000 });
    await page.waitForTimeout(6_000); // a dispatch interval on the page: nothing may be sent
    // A plain link (not Next.js's router): the browser loads the next document itself.
    await page.evaluate(() => {
      const link = document.createElement("a");
      link.href = "/categories/";
      document.body.append(link);
      link.click();
    });
    await page.waitForURL(`${shop.base}/categories/`);
    await page.locator('html[data-cloudwatch-rum="on"]').waitFor({ state: "attached", timeout: 30_000 });
    await eventually("the page after the invitation, sent", async () => pageViews(sent).includes("/categories/"), 20_000);

    // Every call: the app monitor in the path and the body, a batch id, the shop's tab session
    // (the same 32 hex digits, as a UUID) and no user id (no cookies).
    assert.ok(sent.length >= 3, `${sent.length} PutRumEvents calls`);
    for (const s of sent) {
      assert.equal(s.path, `/appmonitors/${appMonitor}`);
      assert.equal(s.body.AppMonitorDetails.id, appMonitor);
      assert.match(s.body.BatchId, /^[0-9a-f-]{36}$/);
      assert.match(s.body.UserDetails.sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(s.body.UserDetails.userId, "00000000-0000-0000-0000-000000000000");
      assert.ok(s.body.RumEvents.length > 0);
    }
    // The first two pages were one document, one session: the shop's own.
    const shopSession = await page.evaluate(() => sessionStorage.getItem("shop.telemetry.session"));
    assert.ok(shopSession);
    const asUuid = shopSession.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
    assert.ok(
      sent.every((s) => s.body.UserDetails.sessionId === asUuid),
      "the client's session is the shop's tab session",
    );

    const types = new Set(events(sent).map((e) => e.type));
    assert.ok(types.has("com.amazon.rum.page_view_event"), [...types].join(", "));
    assert.ok(types.has("com.amazon.rum.performance_navigation_event"), [...types].join(", "));
    assert.deepEqual([...new Set(pageViews(sent))].sort(), ["/", "/categories/", "/product/"]);

    // The token is nowhere: not in a page id, a referrer, a URL, nor anywhere else in a body.
    for (const s of sent) assert.ok(!s.raw.includes(token), `a PutRumEvents body holds the invitation's token: ${s.raw}`);
    for (const e of events(sent)) {
      assert.ok(!e.details.includes("/admin/invitation"), `an event of the invitation page was recorded: ${e.details}`);
      assert.ok(!e.metadata.includes("/admin/invitation"), `an event of the invitation page was recorded: ${e.metadata}`);
    }

    // The client's failed calls stay out of the page.
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
    await shop.stop();
  }
});

test("without an app monitor the config says so and no page loads the client", async () => {
  const chunk = rumChunk();
  const shop = await Shop.start();
  const page = await chromium.newPage();
  try {
    const config = (await shop.json("/api/rum/config")) as { cloudwatch_rum: unknown };
    assert.equal(config.cloudwatch_rum, null);

    const scripts: string[] = [];
    page.on("request", (r) => scripts.push(new URL(r.url()).pathname));
    await page.goto(`${shop.base}/`);
    await page.getByRole("heading", { name: "New in" }).waitFor();
    // The intake is off too (noop): the page has asked for the config and decided.
    await telemetryState(page, "off");
    assert.ok(scripts.includes("/api/rum/config"));
    assert.ok(!scripts.includes(chunk), `${chunk} was loaded without an app monitor`);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.cloudwatchRum), undefined);
  } finally {
    await page.close();
    await shop.stop();
  }

  // With one, the config carries it (unsigned: no identity pool) and the page loads the chunk.
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const appMonitor = randomUUID();
  const configured = await Shop.start({
    SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID: appMonitor,
    SHOP_CLOUDWATCH_RUM_REGION: "eu-west-1",
    SHOP_CLOUDWATCH_RUM_ENDPOINT: endpoint,
  });
  const second = await chromium.newPage();
  try {
    assert.deepEqual((await configured.json("/api/rum/config")) as { cloudwatch_rum: unknown }, {
      ...((await configured.json("/api/rum/config")) as object),
      cloudwatch_rum: {
        app_monitor_id: appMonitor,
        region: "eu-west-1",
        endpoint,
        identity_pool_id: null,
        guest_role_arn: null,
        session_sample_rate: 1,
        telemetries: ["errors", "performance", "http"],
        // noop's traces go nowhere, X-Ray least of all.
        enable_xray: false,
      },
    });
    const loaded = second.waitForRequest((r) => new URL(r.url()).pathname === chunk, { timeout: 30_000 });
    await second.goto(`${configured.base}/`);
    await loaded;
    // With the shop's intake off (noop), CloudWatch RUM's client still runs: it sends to AWS.
    await second.locator('html[data-cloudwatch-rum="on"]').waitFor({ state: "attached", timeout: 30_000 });
    await telemetryState(second, "off");
  } finally {
    await second.close();
    await configured.stop();
  }
});

test("a client that does not load stays out of the page and is logged through the shop's telemetry", async () => {
  const chunk = rumChunk();
  const shop = await Shop.start(backendEnv("otel", "shop-e2e-cloudwatch-rum-failed"), [
    "--cloudwatch-rum-app-monitor-id",
    randomUUID(),
    "--cloudwatch-rum-region",
    "us-east-1",
    "--cloudwatch-rum-endpoint",
    `http://127.0.0.1:${await freePort()}`,
  ]);
  const page = await chromium.newPage();
  try {
    // The chunk is refused, as after a deployment that removed it (this answers the UI's own file,
    // not CloudWatch RUM).
    await page.route((url) => url.pathname === chunk, (route) => route.abort());
    const logs: { body: string; status: Promise<number | undefined> }[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname === "/api/rum/v1/logs") {
        logs.push({ body: r.postData() ?? "", status: r.response().then((x) => x?.status()) });
      }
    });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    await page.goto(`${shop.base}/`);
    await telemetryState(page, "on");
    await page.locator('html[data-cloudwatch-rum="failed"]').waitFor({ state: "attached", timeout: 30_000 });
    await hide(page); // the SDK sends its logs now
    const warning = await eventually(
      "the WARN record of the client's failure, sent to the intake",
      async () => logs.find((l) => l.body.includes("CloudWatch RUM's web client did not start")),
      15_000,
    );
    assert.match(warning.body, /"severityText":"WARN"/);
    assert.equal(await warning.status, 200, "the intake took it");
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
    await shop.stop();
  }
});
