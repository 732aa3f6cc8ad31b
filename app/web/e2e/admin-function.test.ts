// The back office's picture upload when the image-resize function does the work (F-LAMBDA-02),
// in Chromium, on the lab's real parts: the shop runs with `--image-resize function` (it
// provisions the originals queue and the bucket's notification in LocalStack); `cargo lambda
// watch` serves the Lambda APIs, the workspace's `image-resize` binary is attached to it as
// Lambda would run it, with the shop's database, and `lab-event-source` carries the bucket's
// notifications from the queue to it (docs/functions.md). The page uploads with its progress bar,
// is told 202, says it waits for the resizer while it polls the upload's status, and shows the
// new picture when the function is done; the function's verdict also arrives as a live
// notification, in the upload's own trace: click → upload → the shop → S3 → the function → the
// event → the toast.
//
// The function binaries are the ones cargo built beside $SHOP_BIN (`make test` builds them;
// alone: `cargo build --workspace --all-features --bins`); `scripts/lab/web.sh e2e` installs
// cargo-lambda and exports SHOP_LAB_CARGO_LAMBDA.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { totpAt } from "../canary/otp";
import { CONFIG, Intake } from "./intake";
import { backendEnv, browser, enrolledAdmin, eventually, type EnrolledAdmin, freePort, hide, png, s3Endpoint, screenshot, Shop, watchErrors } from "./support";

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the journeys with scripts/lab/web.sh e2e`);
  return v;
}

const suffix = randomBytes(3).toString("hex");
const BUCKET = `shop-e2e-fn-${suffix}`;
const PREFIX = `shop-e2e-fn-${suffix}`;
/** LocalStack's region and account, where the shop provisions the queue. */
const AWS = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };

let shop: Shop;
let chromium: Browser;
let files: string;
const children: ChildProcess[] = [];

/** A child process whose output is kept for the failure message, killed by `after`. */
function start(command: string, args: string[], env: Record<string, string>, log: string[]): ChildProcess {
  // Only what it needs: none of the caller's SHOP_*, AWS_* or OTEL_* settings (as Shop.start).
  const childEnv: NodeJS.ProcessEnv = { NODE_ENV: "test", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env };
  const child = spawn(command, args, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => log.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
  children.push(child);
  return child;
}

async function listening(port: number, what: string, log: string[]): Promise<void> {
  await eventually(
    `${what} on port ${port}`,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: "127.0.0.1", port }, () => {
          socket.end();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      }),
    60_000,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${log.join("")}`);
  });
}

const logs = { watch: [] as string[], function: [] as string[], source: [] as string[] };

before(async () => {
  const bin = dirname(required("SHOP_BIN"));
  for (const name of ["image-resize", "lab-event-source"]) {
    assert.ok(existsSync(join(bin, name)), `${join(bin, name)} is missing: cargo build --workspace --all-features --bins`);
  }
  shop = await Shop.start({
    ...backendEnv("otel", `shop-e2e-fn-${suffix}`),
    ...AWS,
    SHOP_IMAGES_BUCKET: BUCKET,
    SHOP_S3_ENDPOINT: s3Endpoint(),
    SHOP_S3_REGION: "us-east-1",
    SHOP_IMAGE_RESIZE: "function",
    SHOP_EVENTS_PROVISION: "true",
    SHOP_EVENTS_PREFIX: PREFIX,
    AWS_ENDPOINT_URL_SQS: required("AWS_ENDPOINT_URL_SQS"),
    AWS_ENDPOINT_URL_S3: s3Endpoint(),
  });

  // The Lambda APIs, then the function attached to them (as Lambda starts it), then the poller.
  const port = await freePort();
  start(
    required("SHOP_LAB_CARGO_LAMBDA"),
    ["lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1", "--invoke-port", String(port), "--manifest-path", join(import.meta.dirname, "..", "..", "functions", "Cargo.toml")],
    {},
    logs.watch,
  );
  await listening(port, "cargo lambda watch", logs.watch);
  start(
    join(bin, "image-resize"),
    [],
    {
      ...AWS,
      ...backendEnv("otel", `image-resize-e2e-${suffix}`),
      AWS_LAMBDA_RUNTIME_API: `http://127.0.0.1:${port}/.rt/image-resize`,
      AWS_LAMBDA_FUNCTION_NAME: "image-resize",
      AWS_LAMBDA_FUNCTION_VERSION: "1",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
      SHOP_IMAGES_BUCKET: BUCKET,
      SHOP_S3_ENDPOINT: s3Endpoint(),
      // The shop's own database (Shop.start's data directory: sqlite, shop.db).
      DATABASE_URL: shop.databaseUrl,
    },
    logs.function,
  );
  start(
    join(bin, "lab-event-source"),
    [],
    {
      ...AWS,
      AWS_ENDPOINT_URL_SQS: required("AWS_ENDPOINT_URL_SQS"),
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}`,
      // The queue the shop provisioned, as scripts/lab/event-source.sh names it.
      SHOP_EVENT_SOURCE_QUEUE_URL: `${required("AWS_ENDPOINT_URL_SQS")}/000000000000/${PREFIX}-image-originals`,
      SHOP_EVENT_SOURCE_WAIT_SECS: "1",
    },
    logs.source,
  );
  chromium = await browser();
  files = mkdtempSync(join(tmpdir(), "shop-e2e-fn-"));
});

after(async () => {
  await chromium?.close();
  for (const child of children) child.kill("SIGTERM");
  await shop?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

test("the image-resize function does the work: the page waits for it, shows the new picture, and hears of it in the upload's trace", async () => {
  const admin: EnrolledAdmin = await enrolledAdmin(shop, `pictures-${suffix}@example.com`, ["catalog_manager"]);
  const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
  // The page's telemetry into a stand-in intake, with the otel shop's header (tracecontext).
  const intake = await Intake.install(context, CONFIG);
  const page = await context.newPage();
  const errors = watchErrors(page);

  await page.goto(`${shop.base}/admin/login/`);
  await page.getByLabel("E-mail").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Your second factor" }).waitFor();
  await page.getByLabel("Authenticator code").fill(totpAt(admin.secret, Date.now()));
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();

  const before = (await shop.json("/api/products/5")) as { name: string; image_url: string };
  // The live feed is listening before the upload (its first answer is the latest event's id).
  const listening = page.waitForResponse((r) => r.url().includes("/api/admin/notifications") && r.status() === 200);
  await page.goto(`${shop.base}/admin/product/?id=5`);
  await page.getByRole("heading", { level: 1, name: before.name }).waitFor();
  await listening;

  const file = join(files, "wide.png");
  writeFileSync(file, png(640, 360));
  await page.getByLabel("New picture").setInputFiles(file);
  // Every step the status takes until it settles. (No named function inside: tsx would wrap it in
  // a helper the page does not have.)
  const seen = page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const steps: string[] = [];
        new MutationObserver((_, observer) => {
          const step = document.querySelector('[data-testid="upload-status"]')?.getAttribute("data-step");
          if (step && steps.at(-1) !== step) steps.push(step);
          if (step === "done" || step === "failed") {
            observer.disconnect();
            resolve(steps);
          }
        }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-step"] });
      }),
  );
  const accepted = page.waitForResponse((r) => r.url().endsWith("/api/admin/products/5/image") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Upload" }).click();
  const answer = await accepted;
  assert.equal(answer.status(), 202, "the shop hands the picture to the function: 202");
  // The XHR carried the upload span's traceparent (the otel shop's header): the shop's trace of it.
  const shopTrace = (await answer.allHeaders())["x-trace-id"] ?? "";
  assert.match(shopTrace, /^[0-9a-f]{32}$/);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const steps = await Promise.race([
    seen,
    new Promise<string[]>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no verdict in 90 s; function: ${logs.function.join("")}; source: ${logs.source.join("")}`)), 90_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.deepEqual(
    steps.filter((s) => s !== "uploading" && s !== "resizing"),
    ["pending", "done"],
    `the page waited for the resizer, then was done: ${steps.join(" → ")}`,
  );
  assert.match((await page.getByTestId("upload-status").textContent()) ?? "", /./);
  await screenshot(page, "admin-function-done");

  // What the function stored, through the shop: a new picture, 600 px wide, on the page.
  const after = await eventually("the new picture", async () => {
    const p = (await shop.json("/api/products/5")) as { image_url: string };
    return p.image_url !== before.image_url && p;
  });
  assert.match(after.image_url, /^\/images\/products\/5\/r[0-9a-f]{16}\/large\.png$/);
  const picture = page.getByTestId("product-picture");
  await eventually("the picture shown", async () => (await picture.getAttribute("src")) === after.image_url);
  await eventually("the picture loaded", () => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 600));

  // The function's verdict as a live notification, in the upload's own trace.
  const toast = page.getByTestId("admin-notification").filter({ hasText: "The picture of product #5 is ready" });
  await toast.waitFor({ timeout: 30_000 });
  await hide(page);
  const upload = await intake.waitFor("the upload's span", () => intake.spans().find((s) => s.name === "upload image"));
  assert.equal(upload.a["outcome"], "ok");
  assert.equal(upload.a["http.response.status_code"], 202, "the upload span says the function path (202)");
  const shown = await intake.waitFor("the notification's span", () => intake.spans().find((s) => s.name === "notification catalog.image.processed"));
  assert.equal(shopTrace, upload.traceId, "the shop's span of the upload is in the upload span's trace");
  assert.equal(shown.traceId, upload.traceId, "the function's verdict is in the upload's trace: the click, the upload, the shop, the function, the toast");
  // And the function's own spans, as the lab's collector stored them, in that trace.
  const resized = await eventually("the function's spans in the upload's trace", async () => {
    const r = await fetch(`${required("SHOP_LAB_CAPTURE_URL")}/captured/traces?service=image-resize-e2e-${suffix}`);
    const all = (await r.json()) as { resourceSpans: { scopeSpans: { spans: { traceId: string; name: string }[] }[] }[] }[];
    const names = all.flatMap((x) => x.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))).filter((sp) => sp.traceId === upload.traceId).map((sp) => sp.name);
    return names.length > 0 && names;
  });
  assert.ok(resized.some((n) => n.startsWith("catalog.image.resize")), `the function resized it in the upload's trace: ${resized.join(", ")}`);
  assert.deepEqual(errors, [], "no error on the page");
  await context.close();
});
