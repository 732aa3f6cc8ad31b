"use client";

// Starts browser telemetry when the app mounts (it loads the SDK once the page has loaded and is
// idle: nothing waits for it),
// and reports each route the shopper lands on or moves to within the app, which a full page
// load's instrumentation cannot see (Next.js changes routes without loading a document).
import { usePathname } from "next/navigation";
import { useEffect, useLayoutEffect } from "react";

import { pageView, startTelemetry, track } from "@/telemetry";
import { takeAppInit, takeTransition } from "@/telemetry/next";
import { routeOf } from "@/telemetry/page";
import { markPrivacy } from "@/telemetry/privacy";

/** performance.now() as ms since the epoch. */
const epoch = (t: number) => performance.timeOrigin + t;

export function Telemetry() {
  const pathname = usePathname();
  useEffect(() => startTelemetry(), []);
  // Next.js's timings (next.ts): at the commit of the app's first render (hydrated), and of each
  // render that shows a new route, before the browser paints it.
  // Before anything records the new page's nodes (a session recording masks its text).
  useLayoutEffect(() => markPrivacy(pathname), [pathname]);
  useLayoutEffect(() => {
    const end = performance.now();
    const route = routeOf(pathname);
    const init = takeAppInit();
    if (init !== null) track({ kind: "next", measure: "hydration", route, start: epoch(init), end: epoch(end) });
    const t = takeTransition();
    if (t) track({ kind: "next", measure: "route_change_to_render", route, navigation: t.type, start: epoch(t.start), end: epoch(end) });
  }, [pathname]);
  // The path only: the query string (a search, say) is never recorded. A new product on the
  // same route (`/product/?id=…`) is not a new route.
  useEffect(() => pageView(pathname), [pathname]);
  return null;
}
