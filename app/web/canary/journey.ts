// The synthetic canary's journey: what a shopper does on the way to buying, as named steps. Only
// Playwright's Page API and fixed test data, so the same steps run under the lab's runner
// (run.ts, Debian's Chromium through playwright-core) and under CloudWatch Synthetics'
// Playwright runtime (synthetics.ts, packaged for terraform/envs/aws). docs/canary.md.
//
// This file imports nothing at run time (types only): the AWS package is this file and
// synthetics.ts transpiled, with no node_modules of its own.
import type { Locator, Page, Response } from "playwright-core";

/** One step of a journey: its name (a metric attribute, so a fixed word) and what it does. */
export interface Step {
  name: string;
  run(page: Page): Promise<void>;
}

export interface JourneyOptions {
  /** The shop's base URL, e.g. http://127.0.0.1:8080 (no trailing slash needed). */
  baseUrl: string;
  /** What the search step looks for (a product word of the shop's seed catalog). */
  query?: string;
  /**
   * Place the order at the end. Off by default: a canary runs every few minutes, and each order
   * would be a real order (stock reserved, a mail sent). The data is fixed test data.
   */
  placeOrder?: boolean;
}

/** The purchase journey's name: the root span's `canary <name>` and the run metrics' `canary.name`. */
export const JOURNEY = "shop-purchase";
/** The sign-in journey's name. */
export const SIGN_IN_JOURNEY = "shop-sign-in";

/** The back-office journey's name. */
export const BACK_OFFICE_JOURNEY = "shop-back-office";

/** The canary's own customer account (the sign-in journey): made for it, holding no real person's data. */
export interface CanaryAccount {
  email: string;
  password: string;
}

/** The checkout's fixed test data: a reserved example domain, no real person. */
export const TEST_CUSTOMER = {
  email: "canary@example.com",
  name: "Synthetic Canary",
  address: "1 Test Street",
  city: "Testville",
  postalCode: "00000",
} as const;

/** A navigation must answer; a 4xx or 5xx document fails the step with its status. */
function answered(response: Response | null, what: string): void {
  if (!response) throw new Error(`${what}: no response`);
  if (response.status() >= 400) throw new Error(`${what}: HTTP ${response.status()} for ${new URL(response.url()).pathname}`);
}

function url(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

/** The steps: home → search → a product → add to cart → cart → checkout (→ order). */
export function shopJourney(options: JourneyOptions): Step[] {
  const query = options.query ?? "Headphones";
  const steps: Step[] = [
    {
      name: "home",
      async run(page) {
        answered(await page.goto(url(options.baseUrl, "/")), "the home page");
        await page.getByRole("heading", { name: "New in" }).waitFor();
        await page.getByTestId("product-card").first().waitFor();
      },
    },
    {
      name: "search",
      async run(page) {
        await page.getByRole("searchbox", { name: "Search products" }).fill(query);
        await page.getByRole("button", { name: "Search", exact: true }).click();
        await page.getByRole("heading", { name: `Results for “${query}”` }).waitFor();
        await page.getByTestId("product-card").first().waitFor();
      },
    },
    {
      name: "product",
      async run(page) {
        const card = page.getByTestId("product-card").first();
        const name = ((await card.getByRole("heading").textContent()) ?? "").trim();
        await card.click();
        await page.getByRole("heading", { level: 1, name }).waitFor();
        await page.getByTestId("price").waitFor();
      },
    },
    {
      name: "add-to-cart",
      async run(page) {
        await page.getByRole("button", { name: "Add to cart" }).click();
        await page.getByText("Added.").waitFor();
      },
    },
    {
      name: "cart",
      async run(page) {
        await page.getByRole("link", { name: "View cart" }).click();
        await page.getByRole("heading", { name: "Your cart" }).waitFor();
        await page.getByTestId("cart-line").first().waitFor();
      },
    },
    {
      name: "checkout",
      async run(page) {
        await page.getByRole("link", { name: "Check out" }).click();
        await page.getByRole("heading", { name: "Checkout" }).waitFor();
        await page.getByRole("button", { name: "Place order" }).waitFor();
      },
    },
  ];
  if (options.placeOrder) {
    steps.push({
      name: "place-order",
      async run(page) {
        await page.getByLabel("E-mail").fill(TEST_CUSTOMER.email);
        await page.getByLabel("Full name").fill(TEST_CUSTOMER.name);
        await page.getByLabel("Address", { exact: true }).fill(TEST_CUSTOMER.address);
        await page.getByLabel("City").fill(TEST_CUSTOMER.city);
        await page.getByLabel("Postal code").fill(TEST_CUSTOMER.postalCode);
        await page.getByRole("button", { name: "Place order" }).click();
        await page.getByRole("heading", { name: /Thank you/ }).waitFor();
      },
    });
  }
  return steps;
}

/**
 * The returning customer: the login page → signing in with the canary's account → the account
 * page → its order history → signing out. It changes nothing but the account's sessions (each run
 * makes one and ends it), so it can run as often as the purchase journey.
 */
export function signInJourney(options: { baseUrl: string; account: CanaryAccount }): Step[] {
  return [
    {
      name: "login-page",
      async run(page) {
        answered(await page.goto(url(options.baseUrl, "/account/login/?next=/account/")), "the login page");
        await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor();
      },
    },
    {
      name: "sign-in",
      async run(page) {
        await page.getByLabel("E-mail").fill(options.account.email);
        await page.getByLabel("Password").fill(options.account.password);
        await page.getByRole("button", { name: "Log in", exact: true }).click();
        // A refusal shows the form's error; success, the account page.
        const account = page.getByRole("heading", { level: 1, name: "Your account" });
        // The form's own error (Next.js's route announcer is an alert too, and always there).
        const refused = page.getByTestId("form-error");
        await account.or(refused).first().waitFor();
        if (await refused.isVisible()) throw new Error(`signing in was refused: ${((await refused.textContent()) ?? "").trim().slice(0, 120)}`);
      },
    },
    {
      name: "order-history",
      async run(page) {
        await page.getByTestId("orders-link").click();
        await page.getByRole("heading", { level: 1, name: "Your orders" }).waitFor();
        // The list, or its empty state: the history was read, not still loading.
        await page.getByTestId("order-history").or(page.getByText("No orders yet.")).first().waitFor();
      },
    },
    {
      name: "sign-out",
      async run(page) {
        await page.getByRole("link", { name: "Your account", exact: true }).click();
        await page.getByRole("button", { name: "Log out", exact: true }).click();
        await page.getByTestId("account-link").filter({ hasText: "Log in" }).waitFor();
      },
    },
  ];
}

/**
 * The canary's back-office account: an admin made for it, holding the `viewer` role only (it reads
 * the sales, the stock and the orders, never customers' personal data, and changes nothing).
 * `code` answers the authenticator's code of the moment: the runner computes it from the TOTP
 * secret (otp.ts), so that this file keeps to Playwright's API.
 */
export interface CanaryAdmin {
  email: string;
  password: string;
  code(): Promise<string>;
}

/**
 * The back office: its login page → the password and the second factor → the dashboard's sales
 * and low stock → the orders list → signing out. Like the sign-in journey it changes nothing but
 * its own sessions (and the audit log records each login, as it does any admin's).
 */
export function backOfficeJourney(options: { baseUrl: string; admin: CanaryAdmin }): Step[] {
  return [
    {
      name: "admin-login-page",
      async run(page) {
        answered(await page.goto(url(options.baseUrl, "/admin/login/")), "the back office's login page");
        await page.getByRole("heading", { level: 1, name: "Log in to the back office" }).waitFor();
      },
    },
    {
      name: "admin-sign-in",
      async run(page) {
        await page.getByLabel("E-mail").fill(options.admin.email);
        await page.getByLabel("Password").fill(options.admin.password);
        await page.getByRole("button", { name: "Continue" }).click();
        const second = page.getByRole("heading", { level: 1, name: "Your second factor" });
        await refusedOr(page, second, "login-error", "the password was refused");
        await page.getByLabel("Authenticator code").fill(await options.admin.code());
        await page.getByRole("button", { name: "Log in", exact: true }).click();
        await refusedOr(page, page.getByRole("heading", { level: 1, name: "Dashboard" }), "verify-error", "the second factor was refused");
      },
    },
    {
      name: "dashboard",
      async run(page) {
        // Both panels read: the sales figures, and the low-stock table or its empty state.
        await page.getByTestId("sales-revenue").waitFor();
        await page.getByTestId("low-stock").or(page.getByText("Every product is above its threshold.")).first().waitFor();
      },
    },
    {
      name: "orders",
      async run(page) {
        await page.getByRole("navigation", { name: "Back office" }).getByRole("link", { name: "Orders", exact: true }).click();
        await page.getByRole("heading", { level: 1, name: "Orders" }).waitFor();
        await page.getByTestId("admin-orders").or(page.getByText("No orders yet.")).first().waitFor();
      },
    },
    {
      name: "admin-sign-out",
      async run(page) {
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByTestId("login-notice").waitFor();
      },
    },
  ];
}

/** Waits for `then` or for the form's error (test id `errorId`), and throws `what` with the error's words. */
async function refusedOr(page: Page, then: Locator, errorId: string, what: string): Promise<void> {
  const refused = page.getByTestId(errorId);
  await then.or(refused).first().waitFor();
  if (await refused.isVisible()) throw new Error(`${what}: ${((await refused.textContent()) ?? "").trim().slice(0, 120)}`);
}
