// The trace a page belongs to, when something outside it says so: `<meta name="traceparent">`.
//
// That tag is OpenTelemetry's convention for a server that renders a page: it writes the
// traceparent of the request that made the page, and the browser's document-load span joins
// that trace. This shop is a static export and writes no such tag; the synthetic canary does
// (app/web/canary/run.ts): before each of its steps it sets the tag to the step's span, so that
// what the page does during the step (its clicks, their fetches, the shop's spans under those)
// is one trace with the canary's run, from the robot's step down to the database (F-SYNTH-03,
// docs/canary.md).
//
// Here the tag is the parent of every trace the page starts, not only the document load's:
// where the code would start a new trace (a click, a fetch outside any click, a checkout flow,
// a page view's event) it asks `outerContext()`, which answers the tag's context, or the empty
// root context when there is no tag. The tag is read at every call (the canary changes it
// between steps) and always in W3C's format, whichever header the shop's backend propagates:
// it is a page's tag, not a request's header. A click's interaction belongs to the outer trace it
// started in: when the tag changes, the interaction ends (interactions.ts), so that the next
// step's fetches are not counted as the last step's click's work.
import { type Context, defaultTextMapGetter, ROOT_CONTEXT } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

const w3c = new W3CTraceContextPropagator();

/** The last tag read and its context: parsing once per tag, not once per span. */
let last: { traceparent: string; context: Context } | null = null;

/** The tag's content, when the document has one: what tells one outer trace from the next. */
export function outerTraceparent(): string | null {
  if (typeof document === "undefined") return null;
  return document.querySelector<HTMLMetaElement>('meta[name="traceparent"]')?.content || null;
}

/**
 * The context a new trace starts in: the `<meta name="traceparent">` tag's span (a remote parent,
 * whose sampled flag the sampler follows), or `ROOT_CONTEXT` when there is no valid tag.
 */
export function outerContext(): Context {
  const traceparent = outerTraceparent();
  if (!traceparent) return ROOT_CONTEXT;
  if (last?.traceparent !== traceparent) {
    // A malformed tag extracts nothing: the root context, as if there were none.
    last = { traceparent, context: w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter) };
  }
  return last.context;
}
