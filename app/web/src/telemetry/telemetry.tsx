"use client";

// Starts browser telemetry when the app mounts (it loads the SDK once the page has loaded and is
// idle: nothing waits for it),
// and reports each route the shopper lands on or moves to within the app, which a full page
// load's instrumentation cannot see (Next.js changes routes without loading a document).
import { usePathname } from "next/navigation";
import { useEffect } from "react";

import { pageView, startTelemetry } from "@/telemetry";

export function Telemetry() {
  const pathname = usePathname();
  useEffect(() => startTelemetry(), []);
  // The path only: the query string (a search, say) is never recorded. A new product on the
  // same route (`/product/?id=…`) is not a new route.
  useEffect(() => pageView(pathname), [pathname]);
  return null;
}
