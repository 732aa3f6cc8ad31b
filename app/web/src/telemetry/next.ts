// Next.js's own timings of the app (F-METRIC-04), from the hooks the App Router offers: the
// `instrumentation-client.ts` file, which runs before the app hydrates, and its
// `onRouterTransitionStart`, which runs when a client-side navigation begins. (Next.js's
// `Next.js-hydration` and `Next.js-route-change-to-render` measurements are the Pages Router's:
// the App Router reports only the Web Vitals through `useReportWebVitals`. These are the same two
// measurements, taken with the App Router's hooks.)
//
// - hydration: from the instrumentation file's first line (before React hydrates the page) to
//   the layout effect of the app's first render (hydrated, before the first paint after it);
// - route change to render: from the navigation's start to the layout effect of the render that
//   shows the new route.
//
// This module is tiny and loaded before hydration: it only notes times. `telemetry.tsx` reports
// them with `track`.

import type { NavigationType } from "./catalogue";

/** performance.now() when the instrumentation file ran (null before it, or without it). */
let appInit: number | null = null;
/** The navigation under way: when it started, and how (push, replace, back/forward). */
let transition: { start: number; type: NavigationType } | null = null;

export function markAppInit(): void {
  appInit ??= performance.now();
}

/**
 * A navigation to `url` begins. Only a change of route counts: another product on the product
 * page (`/product/?id=…`) is the same route, which the app does not render anew.
 */
export function markTransitionStart(url: string, type: NavigationType): void {
  try {
    if (new URL(url, location.href).pathname === location.pathname) return;
  } catch {
    return;
  }
  transition = { start: performance.now(), type };
}

/** The hydration's start (once: later calls answer null). */
export function takeAppInit(): number | null {
  const t = appInit;
  appInit = null;
  return t;
}

/** The navigation that has just rendered, if one was under way (once). */
export function takeTransition(): { start: number; type: NavigationType } | null {
  const t = transition;
  transition = null;
  return t;
}
