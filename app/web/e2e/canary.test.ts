// The synthetic canary (app/web/canary, docs/canary.md) against a shop of its own: a healthy run
// passes every step, a broken target fails at the step that broke and exits non-zero, and both
// runs' telemetry (service shop-canary) is read back from the lab's capture receiver, behind the
// lab's collector: one trace per run with a span per step, the per-step and per-run metrics, a log
// record per step and per run; and, since the shop sends its own traces there too, each step's
// calls to the shop found among the shop's traces. `scripts/lab/web.sh e2e` starts the collector
// and the capture receiver and exports OTEL_EXPORTER_OTLP_ENDPOINT and SHOP_LAB_CAPTURE_URL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { BACK_OFFICE_JOURNEY, JOURNEY, SIGN_IN_JOURNEY } from "../canary/journey";
import { packageIsCurrent } from "../canary/package";
import { type CanaryResult, runCanary } from "../canary/run";
import { SERVICE_NAME } from "../canary/telemetry";
import { ARTIFACTS, backendEnv, enrolledAdmin, eventually, Shop } from "./support";

const STEPS = ["home", "search", "product", "add-to-cart", "cart", "checkout"];

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the journeys with scripts/lab/web.sh e2e`);
  return v;
}

let shop: Shop;
let passed: CanaryResult | undefined;
let failed: CanaryResult | undefined;

/** The shop under the canary sends its own traces to the lab's collector, as the canary does. */
const SHOP_SERVICE = `shop-canary-e2e-${Math.random().toString(16).slice(2, 8)}`;

before(async () => {
  shop = await Shop.start(backendEnv("otel", SHOP_SERVICE));
});

after(async () => {
  await shop?.stop();
});

test("a healthy shop: every step passes, and the run is one trace with a span per step and a log record per step", async () => {
  passed = await runCanary({
    baseUrl: shop.base,
    artifactsDir: join(ARTIFACTS, "canary"),
    chromium: required("SHOP_LAB_CHROMIUM"),
    telemetry: { endpoint: required("OTEL_EXPORTER_OTLP_ENDPOINT"), environment: "e2e" },
  });
  assert.ok(passed.ok, `the canary passed: ${JSON.stringify(passed.steps)}`);
  assert.deepEqual(
    passed.steps.map((s) => [s.name, s.ok]),
    STEPS.map((s) => [s, true]),
  );
  assert.ok(passed.steps.every((s) => s.durationMs > 0 && s.reason === undefined));
  assert.equal(passed.failedStep, undefined);
  assert.equal(passed.screenshot, undefined, "no screenshot when nothing failed");

  const run = passed;
  const spans = await eventually("the run's spans in the capture receiver", async () => {
    const all = (await spansOf(run.instanceId)).filter((s) => s.traceId === run.traceId);
    return all.length >= STEPS.length + 1 && all;
  });
  const root = spans.find((s) => !s.parentSpanId);
  assert.equal(root?.name, `canary ${JOURNEY}`, "the root span names the journey");
  assert.equal(root.status?.code, 1, "the root span is OK");
  assert.equal(str(root.attributes, "canary.status"), "passed");
  const children = spans.filter((s) => s.parentSpanId === root.spanId);
  assert.deepEqual(
    children.sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano))).map((s) => [s.name, str(s.attributes, "canary.step.name"), s.status?.code]),
    STEPS.map((s) => [`step ${s}`, s, 1]),
    "one child span per step, in order, each OK",
  );

  const logs = await eventually("the run's log records", async () => {
    const all = await logsOf(run.instanceId);
    return all.length >= STEPS.length + 1 && all;
  });
  const stepLogs = logs.filter((l) => str(l.attributes, "canary.step.name"));
  assert.deepEqual(stepLogs.map((l) => [str(l.attributes, "canary.step.name"), str(l.attributes, "canary.step.status"), l.severityNumber]).sort(), STEPS.map((s) => [s, "passed", 9]).sort());
  const outcome = logs.find((l) => str(l.attributes, "canary.status"));
  assert.equal(str(outcome?.attributes, "canary.status"), "passed");
  assert.match(String(outcome?.body?.stringValue), /^canary shop-purchase passed in \d+ ms$/);
  assert.ok(logs.every((l) => l.traceId === run.traceId), "every record is in the run's trace");

  // From the canary to the shop (O-SYNTH-01): each step that called the API names the shop's
  // traces of those calls, on its span and its log record, and they are in the collector's store,
  // the cart's POST among them.
  const addStep = children.find((s) => str(s.attributes, "canary.step.name") === "add-to-cart");
  const ids = strs(addStep?.attributes, "canary.step.shop_trace_ids");
  assert.ok(ids.length >= 1 && ids.every((id) => /^[0-9a-f]{32}$/.test(id)), `the add-to-cart step names the shop's traces: ${JSON.stringify(ids)}`);
  assert.deepEqual(strs(stepLogs.find((l) => str(l.attributes, "canary.step.name") === "add-to-cart")?.attributes, "canary.step.shop_trace_ids"), ids);
  assert.deepEqual(passed.steps.find((s) => s.name === "add-to-cart")?.shopTraceIds, ids);
  const shopSpans = await eventually("the shop's spans of the step's calls", async () => {
    const all = await captured<{ resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }>("traces", SHOP_SERVICE);
    const found = all.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))).filter((s) => ids.includes(s.traceId));
    return found.some((s) => s.name === "POST /api/carts/{id}/items") && found;
  });
  assert.ok(shopSpans.length >= ids.length, "the shop's spans of every named trace");

  // One trace, from the canary's step down into the shop (F-SYNTH-03): the step's span is the
  // page's outer trace (`<meta name="traceparent">`, src/telemetry/outer.ts), so the cart's POST
  // is in the run's trace, as the shop stored it: under the UI's fetch, under the click, under
  // the step, under the run; and the shop's own spans of the request are under the POST.
  assert.ok(ids.includes(run.traceId), `the add-to-cart step's calls are in the run's trace: ${JSON.stringify(ids)} vs ${run.traceId}`);
  const one = await eventually("the run's trace across the canary, the UI and the shop", async () => {
    const all = await captured<{ resourceSpans: { resource?: Resource; scopeSpans: { spans: Span[] }[] }[] }>("traces", [SERVICE_NAME, "shop-web", SHOP_SERVICE]);
    const spans = all.flatMap((r) =>
      r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, service: str(rs.resource?.attributes, "service.name") })))).filter((s) => s.traceId === run.traceId),
    );
    const post = spans.find((s) => s.service === SHOP_SERVICE && s.name === "POST /api/carts/{id}/items");
    // Every hop stored: the UI's spans come through the shop's intake, a batch later.
    return post && lineage(spans, post).at(-1)?.[1] === `canary ${JOURNEY}` && { spans, post };
  });
  assert.deepEqual(
    lineage(one.spans, one.post),
    [
      [SHOP_SERVICE, "POST /api/carts/{id}/items"],
      ["shop-web", "POST"],
      ["shop-web", "click add-to-cart"],
      [SERVICE_NAME, "step add-to-cart"],
      [SERVICE_NAME, `canary ${JOURNEY}`],
    ],
    "the shop's span, the UI's fetch, its click, the canary's step and its run: one chain of parents",
  );
  assert.ok(
    one.spans.some((s) => s.service === SHOP_SERVICE && s.parentSpanId === one.post.spanId),
    "the shop's own spans of the request are the POST's children, in the same trace",
  );
});

/** A span and its parents up to the root, as [service, name], as far as the spans given reach. */
function lineage<S extends Span & { service?: string }>(spans: S[], from: S): [string, string][] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: [string, string][] = [];
  for (let s: S | undefined = from; s && chain.length < 20; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push([s.service ?? "?", s.name]);
  return chain;
}

test("a broken target: the run fails at the step that broke, exits 1 with a screenshot, and says so in its trace and logs", async () => {
  // The shop answers 404 for any page under this path: the home step cannot load.
  const dir = join(ARTIFACTS, "canary-broken");
  const { code, stdout, stderr } = await node(["canary/main.ts", "--base-url", `${shop.base}/no-such-shop`, "--artifacts", dir, "--json"], {
    SHOP_CANARY_ENVIRONMENT: "e2e",
  });
  assert.equal(code, 1, `exit status 1 for a failed run (stderr: ${stderr})`);
  failed = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as CanaryResult;
  assert.equal(failed.ok, false);
  assert.equal(failed.failedStep, "home");
  assert.deepEqual(
    failed.steps.map((s) => [s.name, s.ok]),
    [["home", false]],
    "the steps after the failed one do not run",
  );
  assert.match(failed.steps[0]?.reason ?? "", /HTTP 404/);
  assert.ok(failed.screenshot && existsSync(failed.screenshot), "a screenshot of the failed step");

  const run = failed;
  const spans = await eventually("the failed run's spans", async () => {
    const all = (await spansOf(run.instanceId)).filter((s) => s.traceId === run.traceId);
    return all.length >= 2 && all;
  });
  const root = spans.find((s) => !s.parentSpanId);
  assert.equal(root?.status?.code, 2, "the root span is an error");
  assert.equal(str(root.attributes, "canary.failed_step"), "home");
  const step = spans.find((s) => s.parentSpanId === root.spanId);
  assert.equal(step?.name, "step home");
  assert.equal(step.status?.code, 2);
  assert.match(step.status?.message ?? "", /HTTP 404/, "the span says why");

  const logs = await eventually("the failed run's log records", async () => {
    const all = await logsOf(run.instanceId);
    return all.length >= 2 && all;
  });
  const error = logs.find((l) => str(l.attributes, "canary.step.name") === "home");
  assert.equal(error?.severityNumber, 17, "the failed step is an ERROR record");
  assert.match(str(error.attributes, "error.message") ?? "", /HTTP 404/);
  const outcome = logs.find((l) => str(l.attributes, "canary.status"));
  assert.equal(str(outcome?.attributes, "canary.failed_step"), "home");
  assert.equal(outcome?.severityNumber, 17);
});

test("both runs' metrics: success percent, duration and failures per run, and per step with the step name as the only attribute", async () => {
  assert.ok(passed && failed, "the two runs above");
  const ids = [passed.instanceId, failed.instanceId];
  // The lab's collector batches metrics for up to 60 s (`batch/metrics` in collector/pipeline.yaml).
  let seen = "";
  const metrics = await eventually(
    "both runs' metrics in the capture receiver",
    async () => {
      const all = await metricsOf(ids);
      seen = [...new Set(all.map((m) => `${m.instance} ${m.name}`))].join(", ");
      return ids.every((id) => all.some((m) => m.instance === id && m.name === "canary.success_percent")) && all;
    },
    75_000,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}; seen: ${seen}`);
  });
  const of = (id: string, name: string) => metrics.filter((m) => m.instance === id && m.name === name).flatMap((m) => m.points);

  assert.deepEqual(of(passed.instanceId, "canary.success_percent").map((p) => [value(p), attrs(p)]), [[100, { "canary.name": JOURNEY }]]);
  assert.deepEqual(of(failed.instanceId, "canary.success_percent").map((p) => [value(p), attrs(p)]), [[0, { "canary.name": JOURNEY }]]);
  assert.deepEqual(of(passed.instanceId, "canary.failed").map(value), [0]);
  assert.deepEqual(of(failed.instanceId, "canary.failed").map(value), [1]);
  const duration = of(passed.instanceId, "canary.duration");
  assert.equal(duration.length, 1);
  assert.equal(Number(duration[0]?.count), 1);
  assert.ok(Math.abs(Number(duration[0]?.sum) - passed.durationMs) < 1, "the run's duration, in ms");

  const stepDurations = of(passed.instanceId, "canary.step.duration");
  assert.deepEqual(stepDurations.map((p) => attrs(p)["canary.step.name"]).sort(), [...STEPS].sort());
  assert.ok(
    stepDurations.every((p) => Object.keys(attrs(p)).join() === "canary.step.name" && Number(p.count) === 1),
    "the step name is the only attribute",
  );
  assert.deepEqual(
    of(passed.instanceId, "canary.step.success_percent").map((p) => [attrs(p)["canary.step.name"], value(p)]).sort(),
    STEPS.map((s) => [s, 100]).sort(),
  );
  assert.deepEqual(
    of(failed.instanceId, "canary.step.success_percent").map((p) => [attrs(p), value(p)]),
    [[{ "canary.step.name": "home" }, 0]],
  );
});

test("the returning customer (shop-sign-in): signs in with the canary's account, reads the order history, signs out; a wrong password fails at sign-in", async () => {
  // The canary's own account, made as a shopper makes one.
  const account = { email: `canary-${Math.random().toString(16).slice(2, 8)}@example.com`, password: "canary password 1234" };
  const made = await fetch(`${shop.base}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...account, name: "Synthetic Canary" }),
  });
  assert.equal(made.status, 201, await made.text());
  const { code, stdout, stderr } = await node(["canary/main.ts", "--journey", SIGN_IN_JOURNEY, "--base-url", shop.base, "--artifacts", join(ARTIFACTS, "canary-sign-in"), "--json"], {
    SHOP_CANARY_ENVIRONMENT: "e2e",
    SHOP_CANARY_EMAIL: account.email,
    SHOP_CANARY_PASSWORD: account.password,
  });
  assert.equal(code, 0, `exit status 0 (stderr: ${stderr}; stdout: ${stdout})`);
  const run = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as CanaryResult;
  assert.equal(run.journey, SIGN_IN_JOURNEY);
  assert.deepEqual(
    run.steps.map((s) => [s.name, s.ok]),
    ["login-page", "sign-in", "order-history", "sign-out"].map((s) => [s, true]),
  );
  // The sign-in step's calls are the shop's login, found among the shop's traces.
  const ids = run.steps.find((s) => s.name === "sign-in")?.shopTraceIds ?? [];
  const login = await eventually("the shop's login span of the sign-in step", async () => {
    const all = await captured<{ resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }>("traces", SHOP_SERVICE);
    return all.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))).find((s) => ids.includes(s.traceId) && s.name === "POST /api/auth/login");
  });
  assert.ok(login, "POST /api/auth/login in a trace the step names");
  const spans = await eventually("the sign-in run's spans", async () => {
    const all = (await spansOf(run.instanceId)).filter((s) => s.traceId === run.traceId);
    return all.length >= 5 && all;
  });
  assert.equal(spans.find((s) => !s.parentSpanId)?.name, `canary ${SIGN_IN_JOURNEY}`);

  // A wrong password: refused at the sign-in step, with the shop's words.
  const wrong = await node(["canary/main.ts", "--journey", SIGN_IN_JOURNEY, "--base-url", shop.base, "--artifacts", join(ARTIFACTS, "canary-sign-in-refused"), "--json"], {
    SHOP_CANARY_ENVIRONMENT: "e2e",
    SHOP_CANARY_EMAIL: account.email,
    SHOP_CANARY_PASSWORD: "not the password 1234",
  });
  assert.equal(wrong.code, 1);
  const refused = JSON.parse(wrong.stdout.trim().split("\n").at(-1) ?? "{}") as CanaryResult;
  assert.equal(refused.failedStep, "sign-in");
  assert.match(refused.steps.at(-1)?.reason ?? "", /refused/);
  // Without an account the journey cannot run: a usage error, before any browser starts.
  const none = await node(["canary/main.ts", "--journey", SIGN_IN_JOURNEY, "--base-url", shop.base], { SHOP_CANARY_EMAIL: "", SHOP_CANARY_PASSWORD: "" });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs the canary's account/);
});

test("the back office (shop-back-office): the canary's viewer signs in with its second factor, reads the dashboard and the orders, signs out, all in the run's trace; a wrong secret fails at admin-sign-in", async () => {
  // The canary's admin, made as docs/admin.md says, with the viewer role only.
  const { email, password, secret } = await enrolledAdmin(shop, `canary-admin-${Math.random().toString(16).slice(2, 8)}@example.com`, ["viewer"]);
  assert.match(secret, /^[A-Z2-7]+=*$/);

  const steps = ["admin-login-page", "admin-sign-in", "dashboard", "orders", "admin-sign-out"];
  const admin = { SHOP_CANARY_ENVIRONMENT: "e2e", SHOP_CANARY_ADMIN_EMAIL: email, SHOP_CANARY_ADMIN_PASSWORD: password };
  const { code, stdout, stderr } = await node(["canary/main.ts", "--journey", BACK_OFFICE_JOURNEY, "--base-url", shop.base, "--artifacts", join(ARTIFACTS, "canary-back-office"), "--json"], {
    ...admin,
    SHOP_CANARY_ADMIN_TOTP_SECRET: secret,
  });
  assert.equal(code, 0, `exit status 0 (stderr: ${stderr}; stdout: ${stdout})`);
  const run = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as CanaryResult;
  assert.equal(run.journey, BACK_OFFICE_JOURNEY);
  assert.deepEqual(
    run.steps.map((s) => [s.name, s.ok]),
    steps.map((s) => [s, true]),
  );
  // The orders step's call, as the shop stored it, in the run's trace under the step (F-SYNTH-03).
  const one = await eventually("the orders list's call in the run's trace", async () => {
    const all = await captured<{ resourceSpans: { resource?: Resource; scopeSpans: { spans: Span[] }[] }[] }>("traces", [SERVICE_NAME, "shop-web", SHOP_SERVICE]);
    const spans = all.flatMap((r) =>
      r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, service: str(rs.resource?.attributes, "service.name") })))).filter((s) => s.traceId === run.traceId),
    );
    const list = spans.find((s) => s.service === SHOP_SERVICE && s.name === "GET /api/admin/orders");
    return list && lineage(spans, list).at(-1)?.[1] === `canary ${BACK_OFFICE_JOURNEY}` && lineage(spans, list);
  });
  assert.ok(
    one.some(([service, name]) => service === SERVICE_NAME && name === "step orders"),
    `the call is under the orders step: ${JSON.stringify(one)}`,
  );

  // A wrong secret: the password passes, the second factor is refused, at admin-sign-in.
  const wrong = await node(["canary/main.ts", "--journey", BACK_OFFICE_JOURNEY, "--base-url", shop.base, "--artifacts", join(ARTIFACTS, "canary-back-office-refused"), "--json"], {
    ...admin,
    SHOP_CANARY_ADMIN_TOTP_SECRET: "JBSWY3DPEHPK3PXP",
  });
  assert.equal(wrong.code, 1, `exit status 1 (stderr: ${wrong.stderr})`);
  const refused = JSON.parse(wrong.stdout.trim().split("\n").at(-1) ?? "{}") as CanaryResult;
  assert.equal(refused.failedStep, "admin-sign-in");
  assert.match(refused.steps.at(-1)?.reason ?? "", /second factor was refused/);
  // A secret that is not base32, or none: a usage error before any browser starts.
  const bad = await node(["canary/main.ts", "--journey", BACK_OFFICE_JOURNEY, "--base-url", shop.base], { ...admin, SHOP_CANARY_ADMIN_TOTP_SECRET: "not base32!" });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a base32 TOTP secret/);
  const none = await node(["canary/main.ts", "--journey", BACK_OFFICE_JOURNEY, "--base-url", shop.base], { ...admin, SHOP_CANARY_ADMIN_TOTP_SECRET: "" });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs the canary's admin/);
});

test("the AWS package (terraform/envs/aws/canary/shop-canary.zip) is what canary/synthetics.ts and journey.ts make", () => {
  assert.ok(packageIsCurrent(), "run: cd app/web && node --import tsx canary/package.ts");
});

// ---- running the command line ------------------------------------------------------------

async function node(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: join(import.meta.dirname, ".."),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

// ---- reading back from the capture receiver ----------------------------------------------

interface AnyValue {
  arrayValue?: { values?: AnyValue[] };
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
}
type KeyValue = { key: string; value?: AnyValue };
type Resource = { attributes?: KeyValue[] };
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
}
interface LogRecord {
  traceId?: string;
  severityNumber?: number;
  body?: AnyValue;
  attributes?: KeyValue[];
}
interface Point {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: string | number;
  count?: string | number;
  sum?: number;
}
interface Metric {
  name: string;
  gauge?: { dataPoints: Point[] };
  sum?: { dataPoints: Point[] };
  histogram?: { dataPoints: Point[] };
}

function str(attributes: KeyValue[] | undefined, key: string): string | undefined {
  return attributes?.find((a) => a.key === key)?.value?.stringValue;
}

/** An array of strings attribute (empty when there is none). */
function strs(attributes: KeyValue[] | undefined, key: string): string[] {
  return (attributes?.find((a) => a.key === key)?.value?.arrayValue?.values ?? []).flatMap((v) => (v.stringValue ? [v.stringValue] : []));
}

function attrs(p: Point): Record<string, string | undefined> {
  return Object.fromEntries((p.attributes ?? []).map((a) => [a.key, a.value?.stringValue]));
}

function value(p: Point): number {
  return Number(p.asDouble ?? p.asInt);
}

async function captured<T>(signal: "traces" | "logs" | "metrics", service: string | string[] = SERVICE_NAME): Promise<T[]> {
  const query = [service].flat().map((s) => `service=${encodeURIComponent(s)}`).join("&");
  const r = await fetch(`${required("SHOP_LAB_CAPTURE_URL")}/captured/${signal}?${query}`);
  assert.equal(r.status, 200);
  return (await r.json()) as T[];
}

/** The spans of one run: its resource's service.instance.id tells it from other canary runs. */
async function spansOf(instance: string): Promise<Span[]> {
  const all = await captured<{ resourceSpans: { resource?: Resource; scopeSpans: { spans: Span[] }[] }[] }>("traces");
  return all.flatMap((r) => r.resourceSpans.filter((rs) => str(rs.resource?.attributes, "service.instance.id") === instance).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

async function logsOf(instance: string): Promise<LogRecord[]> {
  const all = await captured<{ resourceLogs: { resource?: Resource; scopeLogs: { logRecords: LogRecord[] }[] }[] }>("logs");
  return all.flatMap((r) => r.resourceLogs.filter((rl) => str(rl.resource?.attributes, "service.instance.id") === instance).flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
}

async function metricsOf(instances: string[]): Promise<{ instance: string; name: string; points: Point[] }[]> {
  const all = await captured<{ resourceMetrics: { resource?: Resource; scopeMetrics: { metrics: Metric[] }[] }[] }>("metrics");
  return all.flatMap((r) =>
    r.resourceMetrics.flatMap((rm) => {
      const instance = str(rm.resource?.attributes, "service.instance.id") ?? "";
      if (!instances.includes(instance)) return [];
      return rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => ({ instance, name: m.name, points: (m.gauge ?? m.sum ?? m.histogram)?.dataPoints ?? [] })));
    }),
  );
}
