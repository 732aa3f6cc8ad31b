// The back office in Chromium: the first administrator, invited on the command line as
// docs/admin.md says, accepts the invitation, logs in and enrols TOTP (the code computed here
// from the secret the page shows, RFC 6238, with otpauth), logs in again with a recovery code, edits a product
// and sees the change in the shop, and uploads a picture with a progress bar until the shop shows
// it. Pictures go to S3: LocalStack's (`scripts/lab/web.sh e2e` starts it and exports
// AWS_ENDPOINT_URL_S3), resized inline, as the shop does by default.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import { totpAt } from "../canary/otp";
import { attrs, CONFIG, Intake } from "./intake";
import { accessibilityProblems, backendEnv, browser, eventually, hide, png, s3Endpoint, Shop, screenshot, telemetryState, watchErrors } from "./support";

const EMAIL = "first.admin@example.com";
const PASSWORD = "brass lantern; quiet fjord, 42 owls";

let shop: Shop;
let chromium: Browser;
let files: string;
/** The recovery codes the enrolment showed (each works once). */
let recovery: string[] = [];
/** The TOTP secret and the last time step a code was given for (a step is accepted once). */
let secret = "";
let usedStep = 0;

before(async () => {
  shop = await Shop.start({
    // The otel build (into the lab's collector): its traces give the outbox's events a context,
    // which the live notification's test follows into the browser.
    ...backendEnv("otel", `shop-e2e-admin-${randomBytes(3).toString("hex")}`),
    SHOP_IMAGES_BUCKET: `shop-e2e-admin-${randomBytes(4).toString("hex")}`,
    SHOP_S3_ENDPOINT: s3Endpoint(),
    SHOP_S3_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
  chromium = await browser();
  files = mkdtempSync(join(tmpdir(), "shop-e2e-admin-"));
});

after(async () => {
  await chromium?.close();
  await shop?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

// --- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps), as an authenticator app computes it:
// canary/otp.ts (the otpauth package).

/**
 * The code for the current step, computed just before it is typed: it waits for the next step
 * when this one ends within 5 s, or when this step's code was already given (the shop takes each
 * step once).
 */
async function freshCode(secret: string): Promise<string> {
  for (;;) {
    const left = 30_000 - (Date.now() % 30_000);
    const step = Math.floor(Date.now() / 30_000);
    if (left >= 5_000 && step > usedStep) {
      usedStep = step;
      return totpAt(secret, step * 30_000);
    }
    await new Promise((r) => setTimeout(r, left + 200));
  }
}

/** A guest's order, placed through the API: its id and the trace the shop answered with. */
async function guestOrder(): Promise<{ id: string; traceId: string }> {
  const cart = (await (await fetch(`${shop.base}/api/carts`, { method: "POST" })).json()) as { id: string };
  const added = await fetch(`${shop.base}/api/carts/${cart.id}/items`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ product_id: 2, quantity: 1 }),
  });
  assert.equal(added.status, 201);
  const placed = await fetch(`${shop.base}/api/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": randomBytes(8).toString("hex") },
    body: JSON.stringify({
      cart_id: cart.id,
      email: "order.guest@example.com",
      shipping_address: { name: "Aiko Tanaka", line1: "1-1 Chiyoda", city: "Tokyo", postal_code: "100-0001", country: "JP" },
      payment: { token: "tok_visa" },
    }),
  });
  assert.equal(placed.status, 201, await placed.clone().text());
  return { id: ((await placed.json()) as { id: string }).id, traceId: placed.headers.get("x-trace-id") ?? "" };
}

async function signIn(page: Page): Promise<string[]> {
  // Invited on the command line, on the machine with the database, as the first administrator is.
  const out = await shop.cli(["admin", "invite", "--email", EMAIL, "--grant", "administrator"]);
  const lines = out.split("\n");
  const token = lines[lines.findIndex((l) => l.startsWith("invitation for")) + 1]?.trim() ?? "";
  assert.match(token, /^[0-9a-f]{64}$/, `the CLI printed a token:\n${out}`);

  await page.goto(`${shop.base}/admin/invitation/?token=${token}`);
  await page.getByRole("heading", { name: "Accept your invitation" }).waitFor();
  assert.equal(await page.getByLabel("Invitation token").inputValue(), token);
  await page.getByLabel("Your name").fill("Ada Lovelace");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("The password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create my account" }).click();
  await page.getByRole("heading", { name: "Your account is ready" }).waitFor();
  await page.getByRole("link", { name: "Log in" }).click();

  // The password, then the enrolment: the QR code and the secret, confirmed with a first code.
  await page.getByRole("heading", { name: "Log in to the back office" }).waitFor();
  assert.equal(await page.getByLabel("E-mail").inputValue(), EMAIL, "the invitation's e-mail is filled in");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Set up your authenticator" }).waitFor();
  assert.ok(await page.getByRole("img", { name: /QR code/ }).isVisible());
  secret = (await page.getByTestId("totp-secret").textContent())?.trim() ?? "";
  assert.match(secret, /^[A-Z2-7]+=*$/);
  const problems = await accessibilityProblems(page);
  await screenshot(page, "admin-enrol");
  await page.getByLabel("The code your app shows now").fill(await freshCode(secret));
  await page.getByRole("button", { name: "Turn on two-step login" }).click();

  // The ten recovery codes, once.
  await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
  const codes = (await page.getByTestId("recovery-codes").locator("li").allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  await page.getByRole("button", { name: /I have stored them/ }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  assert.deepEqual(problems, [], "the enrolment page has no serious accessibility problem");
  return codes;
}

test("an admin enrols TOTP, edits a product and uploads its picture", async () => {
  const page = await chromium.newPage({ viewport: { width: 1280, height: 900 } });
  // Browser telemetry on, into the intake's stand-in (e2e/intake.ts): the back office's tasks and
  // the upload are checked at the end.
  const intake = await Intake.install(page.context(), CONFIG);
  const errors = watchErrors(page);
  const problems: string[] = [];

  recovery = await signIn(page);
  // The dashboard: sales and low stock, for an administrator.
  await page.getByRole("heading", { name: "Sales, last 30 days" }).waitFor();
  await page.getByTestId("sales-revenue").waitFor();
  await page.getByRole("heading", { name: "Low stock" }).waitFor();
  await page.getByText("Loading stock levels…").waitFor({ state: "detached" });
  assert.equal(await page.getByRole("banner").count(), 0, "no shop header in the back office");
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "admin-dashboard");

  // A live notification (F-LAMBDA-01): a shopper orders while the admin looks at the dashboard.
  // The back office polls for it already (its first call took the cursor): the order appears as a
  // toast, without a reload, and the browser reports it in the checkout's trace.
  await page.waitForResponse((r) => r.url().includes("/api/admin/notifications") && r.status() === 200);
  const ordered = await guestOrder();
  const toast = page.getByTestId("admin-notification").filter({ hasText: "New order" });
  await toast.waitFor({ timeout: 30_000 });
  assert.equal(await toast.getByRole("link", { name: "Open the order" }).getAttribute("href"), `/admin/order/?id=${ordered.id}`);
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "admin-notification");
  // Sent with the page's next export (every 5 s), before the page is left.
  const shown = await intake.waitFor("the notification's event", () => intake.events("browser.notification").find((e) => e.a["notification.type"] === "order.placed"));
  assert.equal(shown.traceId, ordered.traceId, "the notification is in the checkout's trace");
  assert.ok(typeof shown.a["notification.delay_ms"] === "number" || typeof shown.a["notification.delay_ms"] === "string", "with its delay");
  await intake.waitFor("the notification's span", () => intake.spans().find((s) => s.name === "notification order.placed" && s.traceId === shown.traceId));
  await intake.waitFor("its delay, measured", () => intake.points().find((p) => p.metric === "browser.notification.delay"));

  // Signs out, and in again with a recovery code (the app's code of this step is spent).
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByTestId("login-notice").waitFor();
  await page.getByLabel("E-mail").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Your second factor" }).waitFor();
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recovery[0] ?? "");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();

  // The products: a list, then one product's editor.
  await page.getByRole("navigation", { name: "Back office" }).getByRole("link", { name: "Products" }).click();
  await page.getByRole("heading", { name: "Products" }).waitFor();
  await page.getByTestId("admin-products").waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "admin-products");
  const before = (await shop.json("/api/products/5")) as { name: string; price_cents: number; image_url: string };
  await page.goto(`${shop.base}/admin/product/?id=5`);
  await page.getByRole("heading", { level: 1, name: before.name }).waitFor();
  await telemetryState(page, "on");
  // A reload keeps the session: the CSRF token is in this tab's sessionStorage.
  await page.getByLabel("Name", { exact: true }).fill("Back-office lamp");
  await page.getByLabel("Price (USD)").fill("19.99");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByTestId("product-saved").waitFor();
  const edited = (await shop.json("/api/products/5")) as { name: string; price_cents: number };
  assert.deepEqual([edited.name, edited.price_cents], ["Back-office lamp", 1999]);
  problems.push(...(await accessibilityProblems(page)));

  // The picture: a 2 MB PNG, the upload throttled so that the progress bar moves.
  const file = join(files, "lamp.png");
  writeFileSync(file, png(820, 820));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
  await page.getByLabel("New picture").setInputFiles(file);
  // Every value the bar takes until the status settles. (No named function inside: tsx would
  // wrap it in a helper the page does not have.)
  const seen = page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const values: number[] = [];
        new MutationObserver((_, observer) => {
          const bar = document.querySelector('[data-testid="upload-progress"]');
          const step = document.querySelector('[data-testid="upload-status"]')?.getAttribute("data-step");
          if (bar) values.push(Number(bar.getAttribute("aria-valuenow")));
          if (step === "done" || step === "failed") {
            observer.disconnect();
            resolve(values);
          }
        }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow", "data-step"] });
      }),
  );
  await page.getByRole("button", { name: "Upload" }).click();
  const progress = await seen;
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.equal(await page.getByTestId("upload-status").getAttribute("data-step"), "done", await page.getByTestId("upload-status").textContent() ?? "");
  assert.ok(progress.some((v) => v > 0 && v < 100), `the progress bar showed the upload under way: ${progress.join(", ")}`);
  assert.equal(progress.at(-1), 100);
  await screenshot(page, "admin-product");

  // What the shop stored: a new picture URL, which the page shows and serves a 600 × 600 PNG.
  const after = (await eventually("the new picture", async () => {
    const p = (await shop.json("/api/products/5")) as { image_url: string; thumbnail_url: string };
    return p.image_url !== before.image_url && p;
  })) as { image_url: string; thumbnail_url: string };
  assert.match(after.image_url, /^\/images\/products\/5\/r[0-9a-f]{16}\/large\.png$/);
  const picture = page.getByTestId("product-picture");
  assert.equal(await picture.getAttribute("src"), after.image_url);
  await eventually("the picture loaded", () => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 600));
  const served = await fetch(`${shop.base}${after.image_url}`);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get("content-type"), "image/png");

  // What the browser reported of this page (F-TRACE-07/08, F-METRIC-08/09/10, F-LOG-04), sent
  // when the page is hidden.
  await hide(page);
  const task = await intake.waitFor("the product edit's task event", () =>
    intake.events("browser.admin_task").find((e) => e.a["admin.task"] === "product_edit"),
  );
  assert.equal(task.a["admin.task.outcome"], "completed");
  assert.equal(task.a["admin.task.refusals"], 0);
  assert.ok(Number(task.a["duration_ms"]) > 0, `the edit took ${task.a["duration_ms"]} ms`);
  const taskSpan = intake.spans().find((s) => s.name === "admin.task product_edit");
  assert.ok(taskSpan, "the task is a span");
  assert.equal(task.traceId, taskSpan.traceId, "the task's event is in its trace");
  const upload = await intake.waitFor("the upload's span", () => intake.spans().find((s) => s.name === "upload image"));
  assert.equal(upload.a["upload.bytes"], statSync(file).size);
  assert.equal(upload.a["outcome"], "ok");
  assert.ok(Number(upload.a["upload.transfer_ms"]) > 0);
  const quarters = (upload.events ?? []).filter((e) => e.name === "upload.progress").map((e) => attrs(e.attributes)["upload.percent"]);
  assert.equal(quarters.at(-1), 100, `the progress events: ${quarters.join(", ")}`);
  assert.ok(quarters.some((q) => q === 25 || q === 50 || q === 75), `the upload's progress on the way: ${quarters.join(", ")}`);
  // The click's span ends after its last child (the picture's refresh), and goes with the next export.
  const uploadClick = await intake.waitFor("the click on Upload", () => intake.spans().find((s) => s.name === "click admin-image-upload"));
  assert.equal(upload.parentSpanId, uploadClick.spanId, "the upload is the click's work");
  const save = intake.spans().find((s) => s.name === "click admin-product-save");
  assert.ok(
    save && intake.spans().some((s) => s.parentSpanId === save.spanId && s.a["http.request.method"] === "PATCH"),
    "the save click parents its PATCH",
  );
  assert.equal(intake.events("browser.upload")[0]?.traceId, upload.traceId, "the upload's event is in its trace");
  await intake.waitFor("the task and upload counters", () => intake.total("browser.uploads", { outcome: "ok" }) === 1);
  assert.equal(intake.total("browser.admin.tasks", { "admin.task": "product_edit", "admin.task.outcome": "completed" }), 1);
  for (const metric of ["browser.admin.task.duration", "browser.upload.duration", "browser.upload.throughput"]) {
    assert.ok(intake.points().some((p) => p.metric === metric), `a ${metric} point`);
  }
  assert.deepEqual(intake.malformed, []);

  // The shop's own product page shows the new name, price and picture.
  await page.goto(`${shop.base}/product/?id=5`);
  await page.getByRole("heading", { level: 1, name: "Back-office lamp" }).waitFor();
  assert.equal((await page.getByTestId("price").textContent())?.trim(), "$19.99");
  assert.equal(await page.getByRole("img", { name: "Back-office lamp" }).getAttribute("src"), after.image_url);

  assert.deepEqual(errors, [], "no JS error and no failed request on the way");
  assert.deepEqual(problems, [], "no serious or critical accessibility violation (axe-core)");
});

test("without a session, or in a tab without its CSRF token, the back office sends the admin to log in", async () => {
  // No cookie at all: the session "has ended".
  const stranger = await chromium.newPage();
  await stranger.goto(`${shop.base}/admin/products/`);
  await stranger.waitForURL(/\/admin\/login\/\?reason=expired$/);
  assert.match((await stranger.getByTestId("login-notice").textContent()) ?? "", /session has ended/);
  await stranger.close();

  // A session logged in elsewhere in this browser (its API, standing in for another tab): only
  // the password given, it needs its second factor first.
  assert.ok(recovery.length > 1, "the first journey enrolled and kept the recovery codes");
  const context = await chromium.newContext();
  const login = await context.request.post(`${shop.base}/api/admin/login`, { data: { email: EMAIL, password: PASSWORD } });
  assert.equal(login.status(), 200);
  const { csrf_token: csrf } = (await login.json()) as { csrf_token: string };
  const page = await context.newPage();
  await page.goto(`${shop.base}/admin/`);
  await page.waitForURL(/\/admin\/login\/\?reason=mfa$/);
  // With its second factor, the session is alive, but this tab does not hold its CSRF token.
  const verify = await context.request.post(`${shop.base}/api/admin/mfa/verify`, {
    headers: { "X-CSRF-Token": csrf },
    data: { recovery_code: recovery[1] },
  });
  assert.equal(verify.status(), 204);
  await page.goto(`${shop.base}/admin/products/`);
  await page.waitForURL(/\/admin\/login\/\?reason=csrf$/);
  assert.match((await page.getByTestId("login-notice").textContent()) ?? "", /no security token/);
  await context.close();
});

test("the other back-office screens: import, a new product and its deletion, categories, stock, orders, admins, sessions, audit, batch jobs", async () => {
  assert.ok(secret, "the first journey enrolled");
  // A guest's order to work on.
  const order = await guestOrder();

  const page = await chromium.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  const problems: string[] = [];
  // Logs in with a code from the app (a later step than any used before).
  await page.goto(`${shop.base}/admin/login/`);
  await page.getByLabel("E-mail").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Your second factor" }).waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await page.getByLabel("Authenticator code").fill(await freshCode(secret));
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  const nav = page.getByRole("navigation", { name: "Back office" });

  // CSV import: a bad row is shown and nothing can be applied; the fixed file imports.
  await nav.getByRole("link", { name: "Import CSV" }).click();
  await page.getByRole("heading", { name: "Import products from CSV" }).waitFor();
  const bad = join(files, "bad.csv");
  writeFileSync(bad, "sku,name,price_cents,category\nE2E-0001,Imported lamp,1500,no-such-category\n");
  await page.getByLabel("CSV file").setInputFiles(bad);
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByTestId("import-errors").waitFor();
  assert.ok(await page.getByRole("button", { name: /Import|Nothing to import/ }).isDisabled());
  const categories = (await shop.json("/api/categories")) as { items: { slug: string; parent_id: number | null }[] };
  const leaf = categories.items.find((c) => c.parent_id != null)?.slug ?? "";
  const good = join(files, "good.csv");
  writeFileSync(good, `sku,name,price_cents,category\nE2E-0001,Imported lamp,1500,${leaf}\n`);
  await page.getByLabel("CSV file").setInputFiles(good);
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByTestId("import-plan").waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await page.getByRole("button", { name: "Import 1 changes" }).click();
  await page.getByTestId("import-done").waitFor();
  const found = (await shop.json("/api/products/search?q=Imported%20lamp")) as { items: { sku: string }[] };
  assert.ok(found.items.some((p) => p.sku === "E2E-0001"), "the imported product is in the shop");

  // A product made with the form (it starts with no stock), then deleted: it was never ordered.
  await nav.getByRole("link", { name: "Products" }).click();
  await page.getByRole("link", { name: "New product" }).click();
  await page.getByRole("heading", { level: 1, name: "New product" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Form lamp");
  await page.getByLabel("SKU").fill("E2E-FORM-1");
  await page.getByLabel("Price (USD)").fill("12.50");
  await page.getByLabel("Category").selectOption({ index: 1 });
  await page.getByLabel("Description").fill("Made in a browser.");
  problems.push(...(await accessibilityProblems(page)));
  await page.getByRole("button", { name: "Create product" }).click();
  await page.getByRole("heading", { level: 1, name: "Form lamp" }).waitFor();
  const newId = Number(new URL(page.url()).searchParams.get("id"));
  const created = (await shop.json(`/api/products/${newId}`)) as { sku: string; price_cents: number; stock: { quantity: number } };
  assert.deepEqual([created.sku, created.price_cents, created.stock.quantity], ["E2E-FORM-1", 1250, 0]);
  await page.getByRole("button", { name: "Delete this product…" }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByTestId("admin-products").waitFor();
  assert.equal((await fetch(`${shop.base}/api/products/${newId}`)).status, 404, "the product is gone");

  // Categories: a new one under the first department.
  await nav.getByRole("link", { name: "Categories" }).click();
  await page.getByTestId("category-tree").waitFor();
  const form = page.getByRole("form", { name: "New category" });
  await form.getByLabel("Name").fill("Lab Lamps");
  await form.getByLabel("Department").selectOption({ index: 1 });
  await form.getByRole("button", { name: "Add category" }).click();
  await page.getByTestId("category-tree").getByText("Lab Lamps").waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "admin-categories");

  // Stock: receive 7 units of product 3.
  const stockBefore = ((await shop.json("/api/products/3")) as { stock: { quantity: number } }).stock.quantity;
  await nav.getByRole("link", { name: "Inventory" }).click();
  await page.getByTestId("stock-levels").waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await page.goto(`${shop.base}/admin/stock/?id=3`);
  await page.getByTestId("forecast").waitFor();
  await page.getByLabel("Units").fill("7");
  await page.getByRole("button", { name: "Adjust stock" }).click();
  await page.getByTestId("stock-quantity").filter({ hasText: `${stockBefore + 7} on hand` }).waitFor();
  assert.equal(((await shop.json("/api/products/3")) as { stock: { quantity: number } }).stock.quantity, stockBefore + 7);
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "admin-stock");

  // Orders: the guest's order, packed, then shipped with a tracking number.
  await nav.getByRole("link", { name: "Orders" }).click();
  await page.getByRole("link", { name: order.id }).click();
  await page.getByTestId("admin-order-status").filter({ hasText: "paid" }).waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await page.getByRole("button", { name: "Mark as packed" }).click();
  await page.getByTestId("admin-order-status").filter({ hasText: "packed" }).waitFor();
  await page.getByRole("button", { name: "Ship" }).click();
  await page.getByLabel("Tracking number").fill("TRACK-0042");
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByTestId("admin-order-status").filter({ hasText: "shipped" }).waitFor();
  const shipped = (await shop.json(`/api/orders/${order.id}`)) as { status: string; tracking_number: string };
  assert.deepEqual([shipped.status, shipped.tracking_number], ["shipped", "TRACK-0042"]);
  await screenshot(page, "admin-order");

  // Admins: invite a viewer; the answer is a link to the invitation page.
  await nav.getByRole("link", { name: "Admins" }).click();
  await page.getByTestId("admins").waitFor();
  await page.getByLabel("E-mail").fill("second.admin@example.com");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  assert.match((await page.getByTestId("invitation-link").textContent()) ?? "", /\/admin\/invitation\/\?token=[0-9a-f]{64}/);
  problems.push(...(await accessibilityProblems(page)));

  // My sessions: this one is listed.
  await nav.getByRole("link", { name: "My sessions" }).click();
  await page.getByTestId("sessions").getByText("this one").waitFor();
  problems.push(...(await accessibilityProblems(page)));

  // The audit log: entries of today, and an intact chain.
  await nav.getByRole("link", { name: "Audit log" }).click();
  await page.getByTestId("audit-entries").waitFor();
  assert.ok(await page.getByTestId("audit-entries").getByText("catalog.import").first().isVisible(), "the import is in the audit log");
  await page.getByRole("button", { name: "Verify the chain" }).click();
  assert.match((await page.getByTestId("audit-verdict").textContent()) ?? "", /^Intact/);
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "admin-audit");

  // Batch jobs: run the maintenance now; it is the newest run, and the stock report mail's link
  // (`/admin/batch/?run=<id>`) opens that run.
  await nav.getByRole("link", { name: "Batch jobs" }).click();
  await page.getByRole("button", { name: "Run maintenance" }).click();
  assert.match((await page.getByTestId("batch-finished").textContent()) ?? "", /maintenance run finished: success/);
  const newest = page.getByTestId("batch-runs").locator("tbody tr").first();
  await newest.getByText("success").waitFor();
  const runId = ((await newest.getAttribute("id")) ?? "").replace(/^run-/, "");
  assert.match(runId, /^[0-9a-f-]{36}$/);
  problems.push(...(await accessibilityProblems(page)));
  await page.goto(`${shop.base}/admin/batch/?run=${runId}`);
  const linked = page.locator(`#run-${runId}`);
  await linked.waitFor();
  assert.equal(await linked.getAttribute("aria-current"), "true");
  assert.equal(await linked.locator("details").getAttribute("open"), "", "the linked run is shown open");

  assert.deepEqual(errors, [], "no JS error and no failed request on the way");
  assert.deepEqual(problems, [], "no serious or critical accessibility violation (axe-core)");
});
