// What the browser journeys share: a fresh shop on a free port (its own SQLite database, the
// built UI), and Debian's Chromium driven by playwright-core. `scripts/lab/web.sh e2e` sets
// SHOP_BIN, SHOP_WEB_DIR and SHOP_LAB_CHROMIUM.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium, type Browser, type Page } from "playwright-core";

/** Where screenshots go (kept as test artefacts). */
export const ARTIFACTS = join(import.meta.dirname, "artifacts");

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the journeys with scripts/lab/web.sh e2e`);
  return v;
}

async function freePort(): Promise<number> {
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
  ) {}

  static async start(env: Record<string, string> = {}): Promise<Shop> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "shop-e2e-"));
    const log: string[] = [];
    const child = spawn(required("SHOP_BIN"), [], {
      // Only what the shop needs: none of the caller's SHOP_*, AWS_* or OTEL_* settings.
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH ?? "",
        SHOP_LISTEN: `127.0.0.1:${port}`,
        SHOP_DATA_DIR: dataDir,
        SHOP_WEB_DIR: required("SHOP_WEB_DIR"),
        SHOP_TELEMETRY: "noop",
        SHOP_LOG: "warn",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => log.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
    const shop = new Shop(`http://127.0.0.1:${port}`, child, dataDir, log);
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

  /** The shop's JSON answer to a GET (what it stored, as the API shows it). */
  async json(path: string): Promise<unknown> {
    const r = await fetch(`${this.base}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return r.json();
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
