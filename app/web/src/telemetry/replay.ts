// Session replay (F-RUM-03): rrweb records the page — a full snapshot of the DOM, then its
// mutations, the mouse, scrolls and inputs — and this sends the events in chunks to the shop
// (`POST /api/rum/v1/replay`), which keeps them in an S3 bucket of their own. The Lab page plays a
// session back beside its events and traces (docs/rum.md, "Session replay").
//
// A chunk of its own (rrweb is large), loaded only when the shop keeps recordings and this tab's
// session was drawn to be recorded (`replay.sample_ratio`, once per session).
//
// What a recording must never hold is what a shopper typed or what the shop shows about them:
// - every input is masked (`maskAllInputs`: as many `*` as characters), and the intake masks
//   again whatever the recorder missed;
// - the text of the pages that show personal data is masked (`[data-private]`: `privacy.ts`
//   marks the document on the account, checkout and order pages, and in the back office);
// - the back office is not recorded at all (`[data-replay-block]`, and no recording starts there).
import { record } from "rrweb";

import { PRIVATE_ATTRIBUTE, BLOCK_ATTRIBUTE, isBlockedRoute } from "./privacy";

/** What the shop said about replay (`/api/rum/config`). */
export interface ReplaySettings {
  endpoint: string;
  intervalMs: number;
}

/** rrweb's event, as far as this file looks into it. */
interface RecordedEvent {
  type: number;
  timestamp: number;
}

const SEQUENCE_KEY = "shop.telemetry.replay.sequence";
/** A chunk is sent at the latest when it has this many events… */
const MAX_CHUNK_EVENTS = 1000;
/** …and `fetch(keepalive)`, the only request that survives the page, takes at most 64 KB. */
const KEEPALIVE_LIMIT = 60_000;

let started = false;

/** The next chunk number of this tab session: a reload goes on where the last page stopped. */
function nextSequence(): number {
  try {
    const n = Number(sessionStorage.getItem(SEQUENCE_KEY) ?? "0");
    const next = Number.isSafeInteger(n) && n >= 0 ? n : 0;
    sessionStorage.setItem(SEQUENCE_KEY, String(next + 1));
    return next;
  } catch {
    // No storage: chunks of this page may overwrite another page's. A recording is best effort.
    return Math.floor(Math.random() * 1000) * 100;
  }
}

/** Starts recording this page (once), sending chunks for `sessionId`. Never throws. */
export function startReplay(settings: ReplaySettings, sessionId: string): void {
  if (started || isBlockedRoute(location.pathname)) return;
  started = true;
  let buffer: RecordedEvent[] = [];
  const send = (leaving: boolean) => {
    if (buffer.length === 0) return;
    const events = buffer;
    buffer = [];
    const body = JSON.stringify({ session_id: sessionId, sequence: nextSequence(), events });
    // Failures are dropped: a lost chunk leaves a gap in one replay, and nothing else.
    void fetch(settings.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      credentials: "same-origin",
      keepalive: leaving && body.length < KEEPALIVE_LIMIT,
    }).catch(() => undefined);
  };
  try {
    const stop = record<RecordedEvent>({
      emit(event) {
        buffer.push(event);
        if (buffer.length >= MAX_CHUNK_EVENTS) send(false);
      },
      maskAllInputs: true,
      maskTextSelector: `[${PRIVATE_ATTRIBUTE}]`,
      blockSelector: `[${BLOCK_ATTRIBUTE}]`,
      // Leaner snapshots: no scripts, comments or head metadata; the mouse at most every 100 ms.
      slimDOMOptions: "all",
      sampling: { mousemove: 100, scroll: 150, input: "last" },
      recordCanvas: false,
      collectFonts: false,
      // A fresh full snapshot every 5 minutes, so that a replay can start from a late chunk.
      checkoutEveryNms: 5 * 60_000,
    });
    if (!stop) return;
    const timer = setInterval(() => send(false), settings.intervalMs);
    addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") send(true);
    });
    addEventListener("pagehide", () => {
      send(true);
      clearInterval(timer);
    });
  } catch {
    // rrweb could not start on this browser: no recording, and nothing else changes.
  }
}
