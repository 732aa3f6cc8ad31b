// The browser session: a random id that every span and log record of this tab carries as
// `session.id`, so that one shopper's page loads, clicks, errors and API calls can be found
// together. It lives in sessionStorage: it survives reloads and in-tab navigation, and a new tab
// (or a closed and reopened one) is a new session. It says nothing about who the shopper is.
//
// Metrics do not carry it: a metric's attributes must have a small, bounded set of values
// (docs/web.md), and every session is a new value.

const KEY = "shop.telemetry.session";

/** 16 random bytes in hex (the length of a trace id), from the browser's CSPRNG. */
function randomId(): string {
  // crypto.getRandomValues works on plain http:// too; crypto.randomUUID needs a secure context,
  // and the lab may be opened as http://<host>:8080/.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let cached: string | undefined;

/** This tab's session id, made on first use. */
export function sessionId(): string {
  if (cached) return cached;
  try {
    const stored = sessionStorage.getItem(KEY);
    if (stored && /^[0-9a-f]{32}$/.test(stored)) return (cached = stored);
    cached = randomId();
    sessionStorage.setItem(KEY, cached);
  } catch {
    // Storage can be refused (a privacy mode, a sandboxed frame): one id for this page then.
    cached ??= randomId();
  }
  return cached;
}
