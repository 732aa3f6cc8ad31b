// Runs in the browser before the app hydrates (Next.js's client instrumentation file): notes the
// times Next.js's own measurements need (src/telemetry/next.ts). Nothing else: browser telemetry
// itself starts once the page has loaded (src/telemetry/index.ts).
import { markAppInit, markTransitionStart } from "@/telemetry/next";

markAppInit();

/** Next.js calls this when a client-side navigation begins. */
export function onRouterTransitionStart(url: string, navigationType: "push" | "replace" | "traverse"): void {
  markTransitionStart(url, navigationType);
}
