// The back office's side of the API (docs/admin.md, docs/web.md "The back office").
//
// The admin session is the HttpOnly `shop_admin_session` cookie (SameSite=Strict, Path=/api/admin),
// which the browser sends by itself. Every request that changes something also needs the session's
// CSRF token in `X-CSRF-Token`; the login's answer is the only place it is ever given (the shop
// keeps only its hash), so this tab keeps it in `sessionStorage`: per tab, gone with the tab. A tab
// without it (another tab, a restored browser) sends the admin back to log in.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "@/api/schema";
import { ApiError, unwrap } from "@/lib/api";

export type AdminSchemas = components["schemas"];
export type Me = AdminSchemas["Me"];
export type AdminProfile = AdminSchemas["AdminProfile"];
export type RoleName = AdminSchemas["RoleName"];

const CSRF_KEY = "shop.admin.csrf";

/** The e-mail of an account just made in this tab (the invitation page), to fill in the login. */
export const EMAIL_KEY = "shop.admin.email";

export function csrfToken(): string | null {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

export function keepCsrfToken(token: string): void {
  sessionStorage.setItem(CSRF_KEY, token);
}

export function forgetCsrfToken(): void {
  try {
    sessionStorage.removeItem(CSRF_KEY);
  } catch {
    // storage unavailable: nothing kept
  }
}

const withCsrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      const token = csrfToken();
      if (token) request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
};

/** The API client of the back office: the shop's, plus the CSRF header on every change. */
export const adminApi = createClient<paths>({ baseUrl: "", fetch: (request) => globalThis.fetch(request) });
adminApi.use(withCsrf);

/**
 * Like `unwrap`, but an answer without a body (204) is a success too: the data, or `undefined`.
 */
export async function settle<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, "unreachable", "The shop did not answer. Check your connection and try again.");
  }
  if (result.response.ok) return result.data as T;
  return unwrap(Promise.resolve(result));
}

/** Why the admin is sent (back) to the login page: fixed words, shown as a message there. */
export type LoginReason = "expired" | "csrf" | "mfa" | "signed-out";

export const LOGIN_REASONS: Record<LoginReason, string> = {
  expired: "Your back-office session has ended (30 minutes without activity, 12 hours at most, or it was revoked). Please log in again.",
  csrf: "This tab has no security token for your session (it was opened in another tab, or the page lost it). Please log in again in this tab.",
  mfa: "Your login is not finished: give your second factor.",
  "signed-out": "You are signed out.",
};

export function loginPath(reason?: LoginReason): string {
  return reason ? `/admin/login/?reason=${reason}` : "/admin/login/";
}

/** The roles that may read each section, as the access matrix has them (docs/admin.md); the shop decides. */
const SECTIONS = {
  catalog: ["viewer", "catalog_manager", "inventory_manager", "order_manager", "administrator"],
  inventory: ["viewer", "catalog_manager", "inventory_manager", "order_manager", "administrator"],
  orders: ["viewer", "order_manager", "administrator"],
  sales: ["viewer", "catalog_manager", "order_manager", "administrator"],
  admins: ["security_auditor", "administrator"],
  audit: ["security_auditor", "administrator"],
  batch: ["security_auditor", "administrator"],
} as const satisfies Record<string, readonly RoleName[]>;

export type Section = keyof typeof SECTIONS;

export function mayRead(roles: readonly string[], section: Section): boolean {
  return roles.some((r) => (SECTIONS[section] as readonly string[]).includes(r));
}

/** The secret of an `otpauth://` URI (what an authenticator app needs typed by hand). */
export function otpSecret(uri: string): string | null {
  try {
    return new URL(uri).searchParams.get("secret");
  } catch {
    return null;
  }
}

/** Cents from a price typed in dollars (`12`, `12.5`, `12.50`); null when it is not one. */
export function centsOf(dollars: string): number | null {
  const m = /^\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$/.exec(dollars);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "0").padEnd(2, "0"));
}

export function dollarsOf(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** A date and time as the admin's browser shows them. */
export function when(rfc3339: string | number): string {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? String(rfc3339) : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** Saves `blob` as a file named `name` (a download the browser shows). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
