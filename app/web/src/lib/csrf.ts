// The session's CSRF token (docs/accounts.md, "CSRF"). The shop hands it out at login, and again
// on `POST /api/auth/csrf` to a page that has the session cookie but not the token (a new tab,
// a reload after storage was cleared, the end of a social login). It is kept in localStorage, so
// every tab of this origin shares it: a tab that renews it updates the others' too.
//
// `sessionFetch` is the fetch the API client uses: on a request that changes something it adds
// the `X-CSRF-Token` header, and when the shop answers 403 `csrf_failed` (the token is missing,
// or another tab renewed it), it asks for a new token and sends the request once more.

const KEY = "shop.csrf";

export function csrfToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setCsrfToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // Storage off (a privacy mode): the token is asked for again when a request needs it.
  }
}

/** One renewal at a time: two requests refused together share the answer. */
let renewing: Promise<string | null> | null = null;

/** Asks the shop for a new token for the session in the cookie; null when there is no session. */
export function renewCsrfToken(): Promise<string | null> {
  renewing ??= (async () => {
    try {
      const r = await globalThis.fetch("/api/auth/csrf", { method: "POST", credentials: "same-origin" });
      if (!r.ok) {
        setCsrfToken(null);
        return null;
      }
      const body = (await r.json()) as { csrf_token?: unknown };
      const token = typeof body.csrf_token === "string" ? body.csrf_token : null;
      setCsrfToken(token);
      return token;
    } catch {
      return null;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function isOwnApi(request: Request): boolean {
  const url = new URL(request.url, location.href);
  return url.origin === location.origin && url.pathname.startsWith("/api/");
}

async function isCsrfRefusal(response: Response): Promise<boolean> {
  if (response.status !== 403) return false;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return body.error?.code === "csrf_failed";
  } catch {
    return false;
  }
}

/** `fetch` with the session's CSRF token on state-changing calls to the shop's own API. */
export async function sessionFetch(request: Request): Promise<Response> {
  if (SAFE.has(request.method) || !isOwnApi(request)) return globalThis.fetch(request);
  // Kept for a second attempt: a request's body can be read once.
  const retry = request.clone();
  const token = csrfToken();
  if (token) request.headers.set("X-CSRF-Token", token);
  const response = await globalThis.fetch(request);
  if (!(await isCsrfRefusal(response))) return response;
  const renewed = await renewCsrfToken();
  if (!renewed) return response;
  retry.headers.set("X-CSRF-Token", renewed);
  return globalThis.fetch(retry);
}
