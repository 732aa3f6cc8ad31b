// A registered customer's purchase in Chromium: register (the password policy said on its field),
// save an address, buy with a coupon at a checkout the account fills in, find the order in the
// history, and cancel it after a reload and after the page lost its CSRF token (the token is
// renewed, never fatal: docs/accounts.md, "CSRF"). What the shop stored is read back from the API;
// no JS error, no failed request but the one the journey provokes, no serious accessibility
// problem on the way.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import { accessibilityProblems, apiRequests, browser, Shop, screenshot, watchErrors } from "./support";

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

const EMAIL = "browser.customer@example.com";
const PASSWORD = "correct horse battery staple";

interface StoredOrder {
  id: string;
  status: string;
  email: string;
  coupon_code: string | null;
  discount_cents: number;
  subtotal_cents: number;
  shipping_address: { name: string; line1: string; city: string; postal_code: string; country: string };
  status_history: { status: string }[];
  items: { name: string; quantity: number }[];
}

/** An API answer with the browser's own cookies (the session), as the page would get it. */
async function asCustomer<T>(page: Page, path: string): Promise<T> {
  const r = await page.request.get(`${shop.base}${path}`);
  assert.equal(r.status(), 200, `GET ${path}`);
  return (await r.json()) as T;
}

test("a customer registers, buys with a coupon, finds the order and cancels it after a reload", async () => {
  const page = await chromium.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  const requests = apiRequests(page);
  const problems: string[] = [];

  // Register, from the header's "Log in". A password the policy refuses is said on its field.
  await page.goto(`${shop.base}/`);
  await page.getByTestId("account-link").filter({ hasText: "Log in" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create an account" }).waitFor();
  await page.getByLabel("Your name").fill("Browser Customer");
  await page.getByLabel("E-mail").fill(EMAIL);
  await page.getByLabel("Password").fill("too short");
  await page.getByRole("button", { name: "Create account" }).click();
  const policy = page.getByTestId("password-error");
  await policy.waitFor();
  assert.match((await policy.textContent()) ?? "", /12/);
  assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "account-register");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();

  // Registering logs in: the account page, the name in the header.
  await page.getByRole("heading", { name: "Your account" }).waitFor();
  assert.equal((await page.getByTestId("account-link").textContent())?.trim(), "Browser Customer");
  assert.equal(await page.getByTestId("profile-email").textContent(), EMAIL);

  // An address for the address book: the first is the default.
  const book = page.getByRole("form", { name: "Add an address" });
  await book.getByLabel("Full name").fill("Browser Customer");
  await book.getByLabel("Address", { exact: true }).fill("3-3 Kanda");
  await book.getByLabel("City").fill("Tokyo");
  await book.getByLabel("Postal code").fill("101-0041");
  await book.getByRole("button", { name: "Save address" }).click();
  await page.getByTestId("addresses").getByText("Default").waitFor();
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "account");

  // A product into the cart.
  await page.goto(`${shop.base}/`);
  const card = page.getByTestId("product-card").first();
  await card.waitFor();
  const name = (await card.getByRole("heading").textContent())?.trim() ?? "";
  await card.click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();

  // Checkout: the account's e-mail and default address are filled in; the coupon is typed.
  await page.goto(`${shop.base}/checkout/`);
  await page.getByRole("heading", { name: "Checkout" }).waitFor();
  assert.equal(await page.getByLabel("E-mail").inputValue(), EMAIL);
  assert.equal(await page.getByLabel("Full name").inputValue(), "Browser Customer");
  assert.equal(await page.getByLabel("Address", { exact: true }).inputValue(), "3-3 Kanda");
  assert.equal(await page.getByLabel("City").inputValue(), "Tokyo");
  assert.equal(await page.getByLabel("Postal code").inputValue(), "101-0041");
  await page.getByLabel("Coupon (optional)").fill("welcome10");
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "account-checkout");
  await page.getByRole("button", { name: "Place order" }).click();

  // The confirmation, with the discount.
  await page.getByRole("heading", { name: /Thank you/ }).waitFor();
  const orderId = (await page.getByTestId("order-id").textContent())?.trim() ?? "";
  await page.getByText("Discount (WELCOME10)").waitFor();

  // The order history, then the order.
  await page.getByTestId("account-link").click();
  await page.getByTestId("orders-link").click();
  await page.getByRole("heading", { name: "Your orders" }).waitFor();
  const history = page.getByTestId("order-history").getByRole("listitem");
  // The heading renders before the history's fetch answers: wait for the list, then count.
  await history.first().waitFor();
  assert.equal(await history.count(), 1);
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "account-orders");
  await history.first().getByRole("link").click();
  await page.getByTestId("order-id").filter({ hasText: orderId }).waitFor();
  assert.equal(await page.getByTestId("order-status").getAttribute("data-status"), "paid");

  // A reload: the session and its CSRF token survive it.
  await page.reload();
  await page.getByRole("button", { name: "Cancel order" }).waitFor();
  problems.push(...(await accessibilityProblems(page)));

  // The page loses its token (another tab renewed it, storage was cleared…): the shop refuses the
  // first attempt with 403 csrf_failed, the page asks for a new token and the cancel goes through.
  await page.evaluate(() => localStorage.setItem("shop.csrf", "0".repeat(64)));
  await page.getByRole("button", { name: "Cancel order" }).click();
  await page.locator('[data-testid="order-status"][data-status="cancelled"]').waitFor();
  await screenshot(page, "account-order-cancelled");
  const calls = requests.map((r) => `${r.method()} ${new URL(r.url()).pathname}`);
  const cancel = `POST /api/account/orders/${orderId}/cancel`;
  assert.deepEqual(
    calls.filter((c) => c === cancel || c === "POST /api/auth/csrf"),
    [cancel, "POST /api/auth/csrf", cancel],
    "refused once, the token renewed, sent again",
  );
  assert.notEqual(await page.evaluate(() => localStorage.getItem("shop.csrf")), "0".repeat(64));

  // What the shop stored.
  const stored = await asCustomer<StoredOrder>(page, `/api/account/orders/${orderId}`);
  assert.equal(stored.status, "cancelled");
  assert.equal(stored.email, EMAIL);
  assert.equal(stored.coupon_code, "WELCOME10");
  assert.equal(stored.discount_cents, Math.floor(stored.subtotal_cents / 10));
  assert.deepEqual(
    [stored.shipping_address.name, stored.shipping_address.line1, stored.shipping_address.city, stored.shipping_address.country],
    ["Browser Customer", "3-3 Kanda", "Tokyo", "JP"],
  );
  assert.deepEqual(
    stored.status_history.map((s) => s.status),
    ["placed", "paid", "cancelled"],
  );
  assert.deepEqual(
    stored.items.map((i) => [i.name, i.quantity]),
    [[name, 1]],
  );
  const summaries = await asCustomer<{ id: string; status: string }[]>(page, "/api/account/orders");
  assert.deepEqual(summaries.map((o) => [o.id, o.status]), [[orderId, "cancelled"]]);

  // A new tab of the same browser has no token in memory but shares the stored one: it works.
  // And with no token at all (storage cleared), the page asks for one when it loads.
  await page.evaluate(() => localStorage.removeItem("shop.csrf"));
  await page.goto(`${shop.base}/account/`);
  await page.getByRole("heading", { name: "Your account" }).waitFor();
  await page.waitForFunction(() => localStorage.getItem("shop.csrf")?.length === 64);
  const profile = page.getByRole("form", { name: "Profile" });
  await profile.getByLabel("Display name").fill("Browser Customer Renamed");
  await profile.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  assert.equal((await page.getByTestId("account-link").textContent())?.trim(), "Browser Customer Renamed");

  // Log out: the header says "Log in" again, and the session is gone.
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.getByTestId("account-link").filter({ hasText: "Log in" }).waitFor();
  assert.deepEqual(await asCustomer(page, "/api/auth/session"), { user: null });

  // The failed requests are the two provoked above: the short password, the stale token.
  assert.deepEqual(errors, ["400 POST /api/auth/register", `403 ${cancel}`], "no JS error, no other failed request");
  assert.deepEqual(problems, [], "no serious or critical accessibility violation (axe-core)");
});

test("a wrong password is said as the shop says it, and the person stays a guest", async () => {
  const page = await chromium.newPage();
  await page.goto(`${shop.base}/account/login/`);
  await page.getByLabel("E-mail").fill("nobody@example.com");
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Log in" }).click();
  const alert = page.getByTestId("form-error");
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? "", /e-mail or password/i);
  assert.equal(new URL(page.url()).pathname, "/account/login/");
  // No social login on this shop: no button for it.
  assert.equal(await page.getByRole("link", { name: /identity provider/ }).count(), 0);
  // A page of the account, as a guest: a way to log in, no error.
  await page.goto(`${shop.base}/account/orders/`);
  await page.getByRole("heading", { name: "Log in to see your account" }).waitFor();
});
