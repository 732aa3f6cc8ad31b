// A guest's purchase in Chromium, from the home page to the confirmation: what the shopper
// sees at each step, what the shop stored, and no JS error or serious accessibility problem on
// the way.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { accessibilityProblems, browser, Shop, screenshot, watchErrors } from "./support";

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

test("a guest finds a product, adds it to the cart and checks out", async () => {
  const page = await chromium.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  const problems: string[] = [];

  // Home: departments and new products, from the shop's API.
  await page.goto(`${shop.base}/`);
  await page.getByRole("heading", { name: "New in" }).waitFor();
  const cards = page.getByTestId("product-card");
  assert.ok((await cards.count()) >= 4, "the home page shows new products");
  assert.ok(await page.getByRole("link", { name: "Electronics" }).isVisible(), "the departments are listed");
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "home");

  // A product: its page, then into the cart.
  const name = (await cards.first().getByRole("heading").textContent())?.trim() ?? "";
  await cards.first().click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  const price = (await page.getByTestId("price").textContent())?.trim() ?? "";
  assert.match(price, /^\$\d/);
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "product");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  assert.equal(await page.getByTestId("cart-link").textContent(), "Cart1");

  // The cart, as the shop keeps it.
  await page.getByRole("link", { name: "View cart" }).click();
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  assert.equal(await page.getByTestId("cart-line").count(), 1);
  assert.equal((await page.getByTestId("subtotal").textContent())?.trim(), price);
  problems.push(...(await accessibilityProblems(page)));

  // Checkout as a guest.
  await page.getByRole("link", { name: "Check out" }).click();
  await page.getByRole("heading", { name: "Checkout" }).waitFor();
  await page.getByLabel("E-mail").fill("browser.guest@example.com");
  await page.getByLabel("Full name").fill("Aiko Tanaka");
  await page.getByLabel("Address", { exact: true }).fill("1-1 Chiyoda");
  await page.getByLabel("City").fill("Tokyo");
  await page.getByLabel("Postal code").fill("100-0001");
  problems.push(...(await accessibilityProblems(page)));
  await screenshot(page, "checkout");
  await page.getByRole("button", { name: "Place order" }).click();

  // The confirmation, and what the shop stored.
  await page.getByRole("heading", { name: /Thank you/ }).waitFor();
  const orderId = (await page.getByTestId("order-id").textContent())?.trim() ?? "";
  assert.equal((await page.getByTestId("order-status").textContent())?.trim(), "paid");
  assert.equal((await page.getByTestId("order-total").textContent())?.trim(), price);
  await screenshot(page, "confirmation");
  const order = (await shop.json(`/api/orders/${orderId}`)) as { status: string; email: string; items: { name: string; quantity: number }[] };
  assert.equal(order.status, "paid");
  assert.equal(order.email, "browser.guest@example.com");
  assert.deepEqual(
    order.items.map((i) => [i.name, i.quantity]),
    [[name, 1]],
  );
  // The cart is gone from the header: a new purchase starts a new cart.
  assert.equal(await page.getByTestId("cart-link").textContent(), "Cart");

  assert.deepEqual(errors, [], "no JS error on the way");
  assert.deepEqual(problems, [], "no serious or critical accessibility violation (axe-core)");
});

test("a declined card is said as the shop says it, and nothing is ordered", async () => {
  const page = await chromium.newPage();
  await page.goto(`${shop.base}/product/?id=2`);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  await page.goto(`${shop.base}/checkout/`);
  await page.getByLabel("E-mail").fill("declined@example.com");
  await page.getByLabel("Full name").fill("Declined Card");
  await page.getByLabel("Address", { exact: true }).fill("2 Queue Street");
  await page.getByLabel("City").fill("Osaka");
  await page.getByLabel("Postal code").fill("530-0001");
  await page.getByLabel(/declined/).check();
  await page.getByRole("button", { name: "Place order" }).click();
  const alert = page.getByTestId("checkout-error");
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? "", /declined/i);
  // Still on the checkout, with the cart: the shopper can pick another way to pay.
  assert.equal(new URL(page.url()).pathname, "/checkout/");
  assert.equal(await page.getByTestId("cart-link").textContent(), "Cart1");
});

test("an unknown page is the shop's 404 page, with status 404", async () => {
  const page = await chromium.newPage();
  const response = await page.goto(`${shop.base}/no/such/page/`);
  assert.equal(response?.status(), 404);
  await page.getByRole("heading", { name: "This page does not exist." }).waitFor();
});
