// Web Vitals as OTLP metrics: one histogram per vital, `browser.web_vital.<name>` (LCP, INP,
// FCP, TTFB in milliseconds; CLS unitless), measured by Google's `web-vitals` library (its
// attribution build, which says *when* a vital happened, and so on which route).
//
// The only attributes are `page.route` and `web_vital.rating` (good, needs-improvement, poor):
// a metric's attributes must take few values, since each combination is a series to store. The
// intake refuses others. Which session, which element: that is for traces and logs.
//
// They are exported by the page's meter (metrics.ts).
import type { Histogram, Meter } from "@opentelemetry/api";
import { onCLS, onFCP, onINP, onLCP, onTTFB, type MetricWithAttribution } from "web-vitals/attribution";

import { routeAt } from "./page";

// Bucket bounds around each vital's thresholds (good ≤ the first, poor > the second):
// LCP 2500/4000, INP 200/500, FCP 1800/3000, TTFB 800/1800 ms; CLS 0.1/0.25.
const MS_BUCKETS = [50, 100, 200, 300, 500, 800, 1000, 1500, 1800, 2500, 3000, 4000, 6000, 10000, 20000];
const CLS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1];

type VitalName = MetricWithAttribution["name"];

/** When the vital happened (performance.now() units), to find the route that was on screen. */
function when(metric: MetricWithAttribution): number {
  switch (metric.name) {
    case "INP":
      return metric.attribution.interactionTime;
    case "CLS":
      return metric.attribution.largestShiftTime ?? 0;
    default:
      // LCP, FCP, TTFB: the document's load, the landing route.
      return 0;
  }
}

/** Starts measuring the Web Vitals of this page into `meter`'s histograms. */
export function startVitals(meter: Meter): void {
  const histogram = (name: string, description: string, unit: string, buckets: number[]) =>
    meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: buckets } });
  const histograms: Record<VitalName, Histogram> = {
    LCP: histogram("browser.web_vital.lcp", "Largest Contentful Paint", "ms", MS_BUCKETS),
    INP: histogram("browser.web_vital.inp", "Interaction to Next Paint", "ms", MS_BUCKETS),
    CLS: histogram("browser.web_vital.cls", "Cumulative Layout Shift", "1", CLS_BUCKETS),
    FCP: histogram("browser.web_vital.fcp", "First Contentful Paint", "ms", MS_BUCKETS),
    TTFB: histogram("browser.web_vital.ttfb", "Time to First Byte", "ms", MS_BUCKETS),
  };

  // Each callback runs once per page (and again after a back/forward cache restore), with the
  // final value: LCP at the first input or when hidden, CLS and INP when hidden, FCP and TTFB
  // as soon as they are known.
  const record = (metric: MetricWithAttribution) => {
    histograms[metric.name].record(metric.value, {
      "page.route": routeAt(when(metric)),
      "web_vital.rating": metric.rating,
    });
  };
  onLCP(record);
  onINP(record);
  onCLS(record);
  onFCP(record);
  onTTFB(record);
}
