// Named clicks, and the fetches they cause, as one trace.
//
// A click on an element that carries `data-telemetry-name` (the main buttons: add to cart, place
// order, search, the faults page's buttons) starts a span `click <name>`. The API calls the click
// causes must be its children, so that a learner sees "click add-to-cart → POST
// /api/carts/…/items → the shop's own spans" as one trace.
//
// Why not @opentelemetry/instrumentation-user-interaction: it wraps the listeners added with
// addEventListener *after* it is enabled, and React 19 adds its listeners (one per event type,
// on the root) when the page hydrates, before this lazily loaded code runs; it would never see a
// React click. And without zone.js, the browser's context is lost at the first `await`: the
// handler's fetch runs after `await`s (openapi-fetch's, the cart's), outside any
// `context.with(…)`. zone.js cannot follow native async/await either.
//
// So: a capture-phase click listener on the document (it runs before React's handlers) starts
// the span and makes it the *current interaction*. `InteractionContextManager` is the SDK's
// StackContextManager, except that when nothing else is active it answers the current
// interaction's context: a fetch started while the interaction is open becomes its child, after
// any number of awaits. The interaction waits FIRST_MS for its first child (a click that moves
// to another route loads that route's code first, and its page fetches only then; the route's
// `page.view` span is a child too, after which it waits FIRST_MS again), stays open while its
// children are in flight, and ends (at the end of its last child) once nothing new started for
// SETTLE_MS after the last one; a new named click ends it at once, and none lasts more than
// MAX_MS.
//
// The price: a fetch that happens to start during an interaction without being caused by it (a
// timer, another component loading, a click on an unnamed link) is counted as its child. In this
// shop nothing polls, so an interaction's children are what the click did. When the page's outer
// trace changes (outer.ts: the canary's next step), the open interaction ends at once.
import { type Context, ROOT_CONTEXT, type Span, type Tracer, trace } from "@opentelemetry/api";
import { StackContextManager } from "@opentelemetry/sdk-trace-web";
import type { ReadableSpan, SpanProcessor, Span as SdkSpan } from "@opentelemetry/sdk-trace-base";

import { outerContext, outerTraceparent } from "./outer";

/** How long an interaction waits for its first child before it ends. */
const FIRST_MS = 1500;
/** How long it waits for another child once its children are done. */
const SETTLE_MS = 250;
/** The longest an interaction stays open, however busy. */
const MAX_MS = 10_000;

interface Interaction {
  span: Span;
  context: Context;
  spanId: string;
  /** Children (span ids) not ended yet. */
  open: Set<string>;
  /** When the last child ended (ms since the epoch), the interaction's end. */
  lastEnd: number;
  settle?: ReturnType<typeof setTimeout>;
  cap: ReturnType<typeof setTimeout>;
  /** The page's outer trace when the click happened (outer.ts): the interaction ends with it. */
  outer: string | null;
}

let current: Interaction | null = null;

function finish(i: Interaction): void {
  clearTimeout(i.settle);
  clearTimeout(i.cap);
  if (current === i) current = null;
  i.span.end(i.lastEnd);
}

function settleLater(i: Interaction, ms: number): void {
  clearTimeout(i.settle);
  i.settle = setTimeout(() => {
    if (i.open.size === 0) finish(i);
  }, ms);
}

/**
 * The context manager: the stack of `context.with` calls, the open interaction under it, and
 * under that the page's outer trace (outer.ts), when something outside the page gave one.
 */
export class InteractionContextManager extends StackContextManager {
  override active(): Context {
    const active = super.active();
    if (active !== ROOT_CONTEXT) return active;
    if (current && current.outer !== outerTraceparent()) finish(current);
    return current ? current.context : outerContext();
  }
}

/** Counts an interaction's children, so that it ends when they are done. */
export class InteractionSpanProcessor implements SpanProcessor {
  onStart(span: SdkSpan, parent: Context): void {
    const i = current;
    if (!i || trace.getSpanContext(parent)?.spanId !== i.spanId) return;
    i.open.add(span.spanContext().spanId);
    clearTimeout(i.settle);
  }

  onEnd(span: ReadableSpan): void {
    const i = current;
    if (!i || !i.open.delete(span.spanContext().spanId)) return;
    const [s, ns] = span.endTime;
    i.lastEnd = Math.max(i.lastEnd, s * 1000 + ns / 1e6);
    // After a route change, the new page mounts and starts its fetches: give it as long as the
    // click had.
    if (i.open.size === 0) settleLater(i, span.name === "page.view" ? FIRST_MS : SETTLE_MS);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (current) finish(current);
    return Promise.resolve();
  }
}

/**
 * Starts listening for clicks on named elements; returns a function that stops. `onClick` hears
 * of each, with the click span's context (its count and its event: ui.ts).
 */
export function trackNamedClicks(tracer: Tracer, onClick: (name: string, span: Context, time: number) => void): () => void {
  const onNamedClick = (event: MouseEvent) => {
    const target = event.target instanceof Element ? event.target : null;
    const element = target?.closest("[data-telemetry-name]");
    const name = element?.getAttribute("data-telemetry-name");
    // Only named elements, and names as the code wrote them: a span name must stay one of a few.
    if (!element || !name || !/^[a-z0-9-]{1,40}$/.test(name)) return;
    if (current) finish(current);
    const now = Date.now();
    const span = tracer.startSpan(
      `click ${name}`,
      {
        attributes: {
          "ui.event.type": "click",
          "ui.element.name": name,
          "ui.element.tag": element.tagName.toLowerCase(),
        },
        startTime: now,
      },
      // A click is where a trace starts, whatever else is going on (under the page's outer
      // trace, when it has one: outer.ts).
      outerContext(),
    );
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    const i: Interaction = {
      span,
      context: ctx,
      spanId: span.spanContext().spanId,
      open: new Set(),
      lastEnd: now,
      cap: setTimeout(() => finish(i), MAX_MS),
      outer: outerTraceparent(),
    };
    current = i;
    settleLater(i, FIRST_MS);
    onClick(name, ctx, now);
  };
  document.addEventListener("click", onNamedClick, { capture: true });
  return () => {
    document.removeEventListener("click", onNamedClick, { capture: true });
    if (current) finish(current);
  };
}

