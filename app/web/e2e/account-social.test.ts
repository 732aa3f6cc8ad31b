// Social login in Chromium, through the lab's real OpenID Connect provider (panva's oidc-provider,
// scripts/lab/oidc): the login page's button, the provider's login page, and the way back. The
// callback ends on the UI's account page, not on JSON; the page then asks the shop for the
// session's CSRF token (it never travels in a URL) and can change things at once.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { accessibilityProblems, browser, Shop, screenshot, watchErrors } from "./support";

const REPO = join(import.meta.dirname, "..", "..", "..");
const SECRET = "shop-lab-e2e-secret";

let shop: Shop;
let provider: ChildProcess;
let chromium: Browser;

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

before(async () => {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // The shop finds the provider on first use, so the shop starts first (the provider must know the
  // shop's callback URL).
  shop = await Shop.start({ SHOP_OIDC_ISSUER: issuer, SHOP_OIDC_CLIENT_ID: "shop-lab", SHOP_OIDC_CLIENT_SECRET: SECRET });
  execFileSync(join(REPO, "scripts/lab/oidc.sh"), ["install"], { stdio: "ignore" });
  provider = spawn("node", [join(REPO, "scripts/lab/oidc/provider.mjs")], {
    env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", OIDC_PORT: String(port), OIDC_CLIENT_SECRET: SECRET, OIDC_REDIRECT_URIS: `${shop.base}/api/auth/oidc/callback` },
    stdio: "ignore",
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("the identity provider did not start in 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  chromium = await browser();
});

after(async () => {
  await chromium?.close();
  provider?.kill("SIGTERM");
  await shop?.stop();
});

test("social login ends on the account page, which gets its CSRF token and can change things", async () => {
  const page = await chromium.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);

  // A guest cart first: it becomes the customer's.
  await page.goto(`${shop.base}/product/?id=3`);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();

  await page.goto(`${shop.base}/account/login/?next=%2Fcart%2F`);
  const button = page.getByRole("link", { name: "Sign in with the lab's identity provider" });
  await button.waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await button.click();

  // The provider's development login page: any name logs in, as NAME@social.example.
  await page.locator('input[name="login"]').fill("mika");
  await page.locator('input[name="password"]').fill("anything");
  await page.locator('input[name="login"]').press("Enter");

  // Back at the shop: not JSON, but the page the person started from, logged in.
  await page.waitForURL(`${shop.base}/cart/`);
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  assert.equal((await page.getByTestId("account-link").textContent())?.trim(), "Mika Social");
  assert.equal(await page.getByTestId("cart-line").count(), 1, "the guest cart was kept");
  assert.equal((await page.evaluate(() => localStorage.getItem("shop.csrf")))?.length, 64);
  await screenshot(page, "account-social");

  // A change with the renewed token.
  await page.goto(`${shop.base}/account/`);
  const profile = page.getByRole("form", { name: "Profile" });
  await profile.getByLabel("Display name").fill("Mika in a browser");
  await profile.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  assert.equal(await page.getByTestId("profile-email").textContent(), "mika@social.example");
  const session = (await (await page.request.get(`${shop.base}/api/auth/session`)).json()) as { user: { name: string } | null };
  assert.equal(session.user?.name, "Mika in a browser");

  assert.deepEqual(errors, [], "no JS error, no failed request");
});

test("a refused social login is said on the login page", async () => {
  const page = await chromium.newPage();
  // What the provider sends back when the person declines.
  await page.goto(`${shop.base}/api/auth/oidc/callback?error=access_denied&state=x`);
  await page.waitForURL(`${shop.base}/account/login/?error=oidc_refused`);
  await page.getByTestId("social-error").filter({ hasText: "did not finish" }).waitFor();
});
