// What the browser journeys share: a fresh shop on a free port (its own SQLite database, the
// built UI), and Debian's Chromium driven by playwright-core. `scripts/lab/web.sh e2e` sets
// SHOP_BIN, SHOP_WEB_DIR and SHOP_LAB_CHROMIUM.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

import { chromium, type Browser, type Page, type Request } from "playwright-core";

import { totpAt } from "../canary/otp";

/** Where screenshots go (kept as test artefacts). */
export const ARTIFACTS = join(import.meta.dirname, "artifacts");

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the journeys with scripts/lab/web.sh e2e`);
  return v;
}

/** A port nothing listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A shop process of its own, stopped (and its database removed) by `stop`. */
export class Shop {
  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    private readonly log: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `args`: the shop's command-line options, beside the variables of `env`. */
  static async start(env: Record<string, string> = {}, args: string[] = []): Promise<Shop> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "shop-e2e-"));
    const log: string[] = [];
    // Only what the shop needs: none of the caller's SHOP_*, AWS_* or OTEL_* settings.
    const shopEnv: NodeJS.ProcessEnv = {
      NODE_ENV: "test",
      PATH: process.env.PATH ?? "",
      SHOP_LISTEN: `127.0.0.1:${port}`,
      SHOP_DATA_DIR: dataDir,
      SHOP_WEB_DIR: required("SHOP_WEB_DIR"),
      SHOP_TELEMETRY: "noop",
      SHOP_LOG: "warn",
      ...env,
    };
    const child = spawn(required("SHOP_BIN"), args, { env: shopEnv, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d: Buffer) => log.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
    const shop = new Shop(`http://127.0.0.1:${port}`, child, dataDir, log, shopEnv);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the shop exited (${child.exitCode}):\n${log.join("")}`);
      try {
        const r = await fetch(`${shop.base}/api/health`);
        if (r.ok) return shop;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the shop did not answer /api/health in 60 s:\n${log.join("")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The shop's database (its own SQLite file, unless DATABASE_URL was given), for a process that shares it. */
  get databaseUrl(): string {
    return this.env.DATABASE_URL ?? `sqlite://${join(this.dataDir, "shop.db")}?mode=rwc`;
  }

  /** The shop's JSON answer to a GET (what it stored, as the API shows it). */
  async json(path: string): Promise<unknown> {
    const r = await fetch(`${this.base}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  /**
   * Runs the shop binary's command line (`shop admin invite …`) with this shop's settings, so
   * against its database; its standard output, or an error with both outputs.
   */
  async cli(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(required("SHOP_BIN"), args, { env: { ...this.env, SHOP_TELEMETRY: "noop" } }, (error, stdout, stderr) =>
        error ? reject(new Error(`shop ${args.join(" ")}: ${error.message}\n${stdout}${stderr}`)) : resolve(stdout),
      );
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Headless Chromium with the flags this machine needs (root, no sandbox, no background traffic). */
export async function browser(): Promise<Browser> {
  return chromium.launch({
    executablePath: required("SHOP_LAB_CHROMIUM"),
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run", "--disable-gpu"],
  });
}

/** Every uncaught error and console error of a page, for asserting that there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // A failed load is reported below, with its URL.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => {
    // The browser telemetry's config: a shop built or run without the RUM intake answers 404,
    // and the page then runs without telemetry (docs/web.md, "Browser telemetry").
    if (r.status() === 404 && r.request().method() === "GET" && new URL(r.url()).pathname === "/api/rum/config") return;
    if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return errors;
}

/** A full-page screenshot in ARTIFACTS. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const source = readFileSync(join(import.meta.dirname, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");
  await page.addScriptTag({ content: source });
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<AxeResult> } }).axe;
    return axe.run(document);
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")})`);
}

/** The page's requests to the shop's API (not the intake), to read the headers it really sent. */
export function apiRequests(page: Page): Request[] {
  const requests: Request[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/api/") && !path.startsWith("/api/rum/")) requests.push(r);
  });
  return requests;
}

export async function waitForRequest(requests: Request[], method: string, path: RegExp): Promise<Request> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = requests.find((r) => r.method() === method && path.test(new URL(r.url()).pathname));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${method} ${path} request`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The page as when the shopper switches tabs: `visibilityState` "hidden", and the
 * `visibilitychange` event, on which the SDK flushes and web-vitals reports LCP, CLS and INP.
 *
 * Simulated, because headless Chromium keeps every tab visible, and Playwright does not see the
 * keepalive requests a document sends while it is unloaded: a real navigation away does flush
 * (Chromium's net log shows the POSTs), but a test cannot capture them.
 */
export async function hide(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    Object.defineProperty(document, "hidden", { value: true, configurable: true });
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
  });
}

export async function telemetryState(page: Page, state: "on" | "off"): Promise<void> {
  await page.locator(`html[data-telemetry="${state}"]`).waitFor({ state: "attached" });
}

/** LocalStack's S3, where the pictures and the session recordings go. */
export function s3Endpoint(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3;
  if (!endpoint) throw new Error("AWS_ENDPOINT_URL_S3 is not set: run the journeys with scripts/lab/web.sh e2e (it starts LocalStack)");
  return endpoint;
}

/** The lab's endpoints, as `scripts/lab/web.sh e2e` exports them (`lab.sh env`). */
function lab(name: string): string {
  return required(name);
}

/**
 * The variables of a shop that ships its telemetry with `backend` to the lab's real components
 * (`scripts/lab/web.sh e2e` starts them): `awssdk` to moto's X-Ray and LocalStack's CloudWatch,
 * `otel` to the collector, which exports to the capture receiver. Short export intervals, every
 * trace sampled, the service named `service` so that its telemetry is told apart.
 */
export function backendEnv(backend: "awssdk" | "otel", service: string): Record<string, string> {
  // SHOP_LOG: the shop's spans are INFO; at `warn` (the journeys' default) it would make none.
  const common = { SHOP_TELEMETRY: backend, SHOP_SERVICE_NAME: service, SHOP_ENVIRONMENT: "e2e", SHOP_LOG: "info" };
  if (backend === "awssdk") {
    return {
      ...common,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_ENDPOINT_URL_XRAY: lab("AWS_ENDPOINT_URL_XRAY"),
      AWS_ENDPOINT_URL_CLOUDWATCH: lab("AWS_ENDPOINT_URL_CLOUDWATCH"),
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: lab("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"),
      SHOP_XRAY_SAMPLING_RULES: join(import.meta.dirname, "..", "..", "..", "telemetry-awssdk", "sampling-rules", "sample-everything.json"),
      SHOP_XRAY_INTERVAL_MS: "200",
      SHOP_CW_LOGS_INTERVAL_MS: "200",
      SHOP_CW_METRICS_INTERVAL_MS: "1000",
      SHOP_CW_NAMESPACE: `ShopLabE2e/${service}`,
      SHOP_CW_LOG_GROUP: `/shop-lab-e2e/${service}`,
      SHOP_CW_EMF_LOG_GROUP: `/shop-lab-e2e/${service}/metrics`,
    };
  }
  return {
    ...common,
    OTEL_EXPORTER_OTLP_ENDPOINT: lab("OTEL_EXPORTER_OTLP_ENDPOINT"),
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_BLRP_SCHEDULE_DELAY: "100",
    OTEL_METRIC_EXPORT_INTERVAL: "500",
  };
}

/** Polls `find` every 200 ms until it returns something; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, find: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const found = await find();
      if (found) return found;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not there after ${timeoutMs / 1000} s${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An admin ready to sign in: its e-mail, its password and its authenticator's base32 secret. */
export interface EnrolledAdmin {
  email: string;
  password: string;
  secret: string;
}

/**
 * An admin made as docs/admin.md says, the test playing the admin and the phone: invited on the
 * command line with `roles`, the invitation accepted, the authenticator enrolled through the API.
 * The enrolment is confirmed with the previous time step's code (the shop allows one step of
 * skew), so that the code of the step now is still unused for the sign-in that follows.
 */
export async function enrolledAdmin(shop: Shop, email: string, roles: string[]): Promise<EnrolledAdmin> {
  const password = "an admin's passphrase: brass lantern, 42 owls";
  const out = await shop.cli(["admin", "invite", "--email", email, ...roles.flatMap((r) => ["--grant", r])]);
  const lines = out.split("\n");
  const token = lines[lines.findIndex((l) => l.startsWith("invitation for")) + 1]?.trim() ?? "";
  if (!/^[0-9a-f]{64}$/.test(token)) throw new Error(`the CLI printed no invitation token:\n${out}`);
  const post = async (path: string, body: unknown, expected: number, session?: { cookie: string; csrf: string }) => {
    const r = await fetch(`${shop.base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(session ? { cookie: session.cookie, "x-csrf-token": session.csrf } : {}) },
      body: JSON.stringify(body),
    });
    if (r.status !== expected) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    return r;
  };
  await post("/api/admin/invitations/accept", { token, name: "Test Admin", password }, 201);
  const login = await post("/api/admin/login", { email, password }, 200);
  const session = { cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: ((await login.json()) as { csrf_token: string }).csrf_token };
  const enrol = await post("/api/admin/mfa/enrol", {}, 200, session);
  const secret = new URL(((await enrol.json()) as { otpauth_uri: string }).otpauth_uri).searchParams.get("secret") ?? "";
  const left = 30_000 - (Date.now() % 30_000);
  if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  await post("/api/admin/mfa/confirm", { code: totpAt(secret, Date.now() - 30_000) }, 200, session);
  return { email, password, secret };
}

/**
 * A PNG of random pixels (8-bit RGB, no filter), so that it does not compress: a real upload's
 * size. Encoded here with node:zlib (deflate, CRC-32), the format's only two algorithms.
 */
export function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "ascii");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) randomBytes(width * 3).copy(rows, y * (width * 3 + 1) + 1); // filter 0: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
