// CloudWatch RUM's own web client, `aws-rum-web`, beside the shop's OpenTelemetry SDK (F-RUM-01;
// docs/rum.md, "CloudWatch RUM's own client, side by side"). Off unless the shop names an app
// monitor (`cloudwatch_rum` in /api/rum/config). index.ts loads this module with `import()` only
// then, and this module loads aws-rum-web the same way: a page of a shop without an app monitor
// downloads neither.
//
// The client has hooks to filter what it records but none to rewrite an event (its metadata hook
// cannot touch an event's details), so page.ts's `withoutQuery` cannot be applied to what it
// sends, and what must not reach AWS is kept out by filters instead:
// - addresses that carry a secret (privacy.ts, TOKEN_PAGES: an invitation's or a password
//   reset's token in the query): the client records nothing while one of those pages is open
//   (`pagesToExclude`, tested on the whole address);
// - what a shopper typed: a page is named by its path alone (`pageIdFormat: "PATH"`), and an API
//   call whose URL has a query (a search) is not recorded, since the client would keep the URL
//   whole where the shop's own telemetry cuts the query off;
// - who the shopper is: no cookies. The shop's telemetry session lives in sessionStorage
//   (session.ts) and the shop's login cookie is not the client's business, so `allowCookies` is
//   false; the client then has no user id to send (it sends the nil UUID), and leaves the
//   referrer out of its page views. The session id is the shop's own random tab session, so that
//   CloudWatch RUM's events and the intake's records of one tab can be put side by side.
//
// Resource timings (scripts, styles, pictures) keep their URLs: the UI's own files, whose queries
// are build hashes. The shop's API calls are not among them (the client leaves fetches out).
import type { AwsRumConfig } from "aws-rum-web";

import type { CloudWatchRumConfig } from "./config";
import { TOKEN_PAGES } from "./privacy";
import { sessionId } from "./session";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The client tests these on the whole address (`document.location`), query included. */
function tokenPages(): RegExp[] {
  return TOKEN_PAGES.map((page) => new RegExp(`^[a-z]+://[^/]+${escapeRegExp(page.replace(/\/$/, ""))}(?:[/?#]|$)`));
}

/** The client's sessions are UUIDs; the shop's are 32 hex digits: the same digits, hyphenated. */
function asUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** What the client is started with (exported for reading in a test or the devtools, not to change). */
export function clientOptions(config: CloudWatchRumConfig): AwsRumConfig {
  const http = {
    urlsToExclude: [
      // The client's own calls for Cognito credentials (its default list, which this one replaces).
      /cognito-identity\.([^.]*\.)?amazonaws\.com/,
      /sts\.([^.]*\.)?amazonaws\.com/,
      // The shop's own intake: telemetry about telemetry.
      new RegExp(`^${escapeRegExp(location.origin)}/api/rum/`),
      // A URL with a query: it may hold what the shopper typed (see the top of this file).
      /\?/,
    ],
    // The shop's OpenTelemetry SDK already writes the backend's trace header on the shop's API
    // calls, and the shop's spans join the SDK's fetch spans; a second writer of the same header
    // would cut that join. With `enableXRay` the client still sends its own segment per call.
    addXRayTraceIdHeader: false,
  };
  return {
    endpoint: config.endpoint,
    sessionSampleRate: config.sessionSampleRate,
    sessionId: asUuid(sessionId()),
    allowCookies: false,
    // The client names the landing page itself, by its path alone. Later pages it would miss:
    // Next.js's router keeps the History methods it found before this client loads, so the
    // client's wrapper of `pushState` never sees a client-side navigation, and index.ts tells it
    // of each one (`pageView` below).
    pageIdFormat: "PATH",
    pagesToExclude: tokenPages(),
    telemetries: config.telemetries.map((t) => (t === "http" ? ["http", http] : t)),
    enableXRay: config.enableXray,
    ...(config.identityPoolId && config.guestRoleArn
      ? { identityPoolId: config.identityPoolId, guestRoleArn: config.guestRoleArn, signing: true }
      : // No identity pool: the app monitor's resource-based policy allows unsigned PutRumEvents.
        { signing: false }),
  };
}

export interface CloudWatchRum {
  /** The shopper is on `pathname` now (a client-side navigation; the client sees page loads itself). */
  pageView(pathname: string): void;
}

/**
 * Loads aws-rum-web and starts it for this page. Rejects if the chunk does not load or the client
 * refuses its options; the caller keeps that from the page (index.ts).
 */
export async function startCloudWatchRum(config: CloudWatchRumConfig): Promise<CloudWatchRum> {
  const { AwsRum } = await import("aws-rum-web");
  const client = new AwsRum(config.appMonitorId, config.version, config.region, clientOptions(config));
  return { pageView: (pathname) => client.recordPageView(pathname) };
}
