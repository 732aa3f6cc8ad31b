// The UI's own telemetry, beyond the Web Vitals: what the shopper did, as custom RUM events and
// as metrics (docs/rum.md, "The UI's events and metrics").
//
// Each event is both:
// - a log record whose `event.name` is one of the catalogue's EVENTS, with the session, the page
//   and the event's own attributes (in the trace it belongs to, when there is one): the raw
//   material a learner queries per session in CloudWatch Logs or the collector's store;
// - a count or a measurement of a metric (metrics.ts): what a dashboard charts, cheaply, since a
//   metric is aggregated in the page and sent as one data point per series and export.
//
// | event | metric | what |
// |---|---|---|
// | browser.page_view | browser.page.views {page.route} | a page shown (a load or a route change) |
// | browser.page_leave | browser.page.dwell_time {page.route} | how long it was on screen |
// | browser.click | browser.interactions {ui.element.name} | a click on a named element |
// | browser.cart_change | browser.cart.actions {cart.action, outcome} | a cart line added, changed or removed |
// | browser.funnel_step | browser.funnel.steps {funnel.step} | a step of the purchase funnel reached |
// | browser.checkout_step | — | a section of the checkout form filled in (its span is the flow's child) |
// | browser.network_fault | — | an API call that failed in the network, timed out or got a 5xx |
// | (the error's own log) | browser.errors {page.route, error.source} | a JS error or unhandled rejection |
// | — | browser.render.duration {ui.component} | a component's render, with a `render <component>` span |
// | — | browser.next.hydration {page.route} | Next.js: the app's hydration (next.ts) |
// | — | browser.next.route_change_to_render {page.route} | Next.js: a navigation to its render, with a span |
// | — | browser.api.duration, browser.api.server_duration {page.route} | an API call as the page saw it, and the shop's own time for it (Server-Timing) |
// | browser.admin_task | browser.admin.tasks {admin.task, admin.task.outcome}, browser.admin.task.duration {admin.task}, browser.admin.task.refusals {admin.task} | a back-office task (a form) completed or abandoned, with a span |
// | browser.upload | browser.uploads {outcome}, browser.upload.duration {outcome}, browser.upload.throughput | a picture upload, with a span and its progress |
// | browser.notification | browser.notification.delay {notification.type} | a live notification shown in the back office, in the trace of the change it tells of |
import { type Context, context as contextApi, type Meter, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { type Logger, SeverityNumber } from "@opentelemetry/api-logs";

import type {
  AdminTask,
  CartAction,
  CheckoutOutcome,
  CheckoutStep,
  Component,
  EventName,
  FunnelStep,
  NavigationType,
  NetworkFault,
  NotificationType,
  Outcome,
  TaskOutcome,
} from "./catalogue";
import { isElement } from "./catalogue";
import type { ErrorSource } from "./errors";
import { outerContext } from "./outer";
import type { Route } from "./page";

/** One section of the checkout form, as the shopper went through it. */
export interface StepTiming {
  step: CheckoutStep;
  start: number;
  end: number;
}

/**
 * The events the UI reports (index.ts's `track`), each with when it happened (ms since the epoch;
 * `track` sets `time` when the caller does not).
 */
export type UiEvent =
  | { kind: "cart"; action: CartAction; outcome: Outcome; quantity: number; time?: number }
  | { kind: "funnel"; step: FunnelStep; time?: number }
  | { kind: "render"; component: Component; start: number; end: number }
  | { kind: "checkout"; outcome: CheckoutOutcome; start: number; end: number; steps: StepTiming[]; refusals: number }
  | { kind: "network"; fault: NetworkFault; path: string; method: string; status: number; time?: number }
  | { kind: "next"; measure: "hydration"; route: Route; start: number; end: number }
  | { kind: "next"; measure: "route_change_to_render"; route: Route; navigation: NavigationType; start: number; end: number }
  | { kind: "api"; route: Route; total: number; server: number }
  | { kind: "task"; task: AdminTask; outcome: TaskOutcome; start: number; end: number; refusals: number }
  | { kind: "upload_start"; id: string; bytes: number; time?: number }
  | { kind: "upload_progress"; id: string; percent: number; time?: number }
  | { kind: "upload_end"; id: string; outcome: Outcome; status: number; sentAt: number | null; time?: number }
  | { kind: "notification"; type: NotificationType; occurredAt: number; trace: Record<string, string>; time?: number };

/** Uploads under way, by id (bounded: an upload that never ends is dropped with the oldest). */
const MAX_UPLOADS = 8;

export interface Ui {
  pageView(route: Route, time: number): void;
  /** The page was hidden (a tab switch, a close): the current visit ends. */
  hidden(time: number): void;
  /** The page is visible again: a new visit of the same route starts. */
  visible(time: number): void;
  /** A click on a named element; `clickContext` holds its span (the event joins its trace). */
  click(name: string, clickContext: Context, time: number): void;
  error(source: ErrorSource, route: Route): void;
  track(event: UiEvent): void;
  /**
   * The trace header (the backend's propagator: `traceparent` or `X-Amzn-Trace-Id`) that makes a
   * request the child of the upload `id`'s span; empty for an upload it does not know.
   */
  uploadHeaders(id: string): Record<string, string>;
}

export function startUi(tracer: Tracer, logger: Logger, meter: Meter): Ui {
  const views = meter.createCounter("browser.page.views", { description: "Pages shown", unit: "{view}" });
  const dwell = meter.createHistogram("browser.page.dwell_time", {
    description: "How long a page stayed on screen",
    unit: "ms",
    advice: { explicitBucketBoundaries: [1000, 3000, 10000, 30000, 60000, 120000, 300000, 600000, 1800000] },
  });
  const errors = meter.createCounter("browser.errors", { description: "JS errors and unhandled rejections", unit: "{error}" });
  const interactions = meter.createCounter("browser.interactions", { description: "Clicks on named elements", unit: "{click}" });
  const cart = meter.createCounter("browser.cart.actions", { description: "Cart changes", unit: "{action}" });
  const funnel = meter.createCounter("browser.funnel.steps", { description: "Purchase-funnel steps reached", unit: "{step}" });
  const hydration = meter.createHistogram("browser.next.hydration", {
    description: "Next.js: from before hydration to the app's first commit",
    unit: "ms",
    advice: { explicitBucketBoundaries: [10, 25, 50, 100, 200, 400, 800, 1600, 3200] },
  });
  const routeChange = meter.createHistogram("browser.next.route_change_to_render", {
    description: "Next.js: from a navigation's start to the commit of the new route",
    unit: "ms",
    advice: { explicitBucketBoundaries: [10, 25, 50, 100, 200, 400, 800, 1600, 3200] },
  });
  const apiBuckets = { explicitBucketBoundaries: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] };
  const apiDuration = meter.createHistogram("browser.api.duration", {
    description: "The shop's API calls as the page saw them, to the response's headers",
    unit: "ms",
    advice: apiBuckets,
  });
  const apiServer = meter.createHistogram("browser.api.server_duration", {
    description: "The same calls' time in the shop (Server-Timing)",
    unit: "ms",
    advice: apiBuckets,
  });
  const tasks = meter.createCounter("browser.admin.tasks", { description: "Back-office tasks, by task and outcome", unit: "{task}" });
  const taskDuration = meter.createHistogram("browser.admin.task.duration", {
    description: "How long a completed back-office task took",
    unit: "ms",
    advice: { explicitBucketBoundaries: [1000, 3000, 10000, 30000, 60000, 120000, 300000, 600000] },
  });
  const taskRefusals = meter.createCounter("browser.admin.task.refusals", {
    description: "Submissions of a back-office task the shop or the form refused",
    unit: "{refusal}",
  });
  const uploads = meter.createCounter("browser.uploads", { description: "Picture uploads, by outcome", unit: "{upload}" });
  const uploadDuration = meter.createHistogram("browser.upload.duration", {
    description: "A picture upload, from its start to the shop's answer (and its processing)",
    unit: "ms",
    advice: { explicitBucketBoundaries: [250, 500, 1000, 2000, 4000, 8000, 15000, 30000, 60000, 120000] },
  });
  const uploadThroughput = meter.createHistogram("browser.upload.throughput", {
    description: "A picture upload's transfer speed",
    unit: "By/s",
    advice: { explicitBucketBoundaries: [65536, 262144, 1048576, 4194304, 16777216, 67108864] },
  });
  const open = new Map<string, { span: Span; bytes: number; start: number; quarter: number }>();
  const notificationDelay = meter.createHistogram("browser.notification.delay", {
    description: "From an event in the shop to its notification in the back office",
    unit: "ms",
    advice: { explicitBucketBoundaries: [100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000, 300000] },
  });
  const render = meter.createHistogram("browser.render.duration", {
    description: "A component's render, to its commit",
    unit: "ms",
    advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 33, 50, 100, 250, 500] },
  });

  /** A custom event: a log record named by the catalogue, in `ctx`'s trace when it has one. */
  const emit = (name: EventName, attributes: Record<string, string | number>, time: number, ctx: Context = contextApi.active()) =>
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: "INFO",
      body: name,
      attributes: { "event.name": name, ...attributes },
      timestamp: time,
      context: ctx,
    });

  // The route on screen, and since when it is visible (null while the page is hidden).
  let visit: { route: Route; since: number | null } | null = null;
  const endVisit = (time: number) => {
    if (!visit || visit.since === null) return;
    const ms = Math.max(0, Math.round(time - visit.since));
    dwell.record(ms, { "page.route": visit.route });
    emit("browser.page_leave", { "page.route": visit.route, duration_ms: ms }, time, outerContext());
    visit.since = null;
  };

  const span = (name: string, start: number, end: number, attributes: Record<string, string | number>, parent: Context) =>
    tracer.startSpan(name, { attributes, startTime: start }, parent).end(end);

  return {
    pageView(route, time) {
      const referrer = visit?.route;
      endVisit(time);
      visit = { route, since: time };
      views.add(1, { "page.route": route });
      emit("browser.page_view", { "page.route": route, ...(referrer ? { "page.referrer_route": referrer } : {}) }, time, outerContext());
    },
    hidden: endVisit,
    visible(time) {
      if (visit && visit.since === null) visit.since = time;
    },
    click(name, clickContext, time) {
      // Only the catalogue's names: the intake refuses the others as a metric's dimension.
      if (!isElement(name)) return;
      interactions.add(1, { "ui.element.name": name });
      emit("browser.click", { "ui.element.name": name }, time, clickContext);
    },
    error(source, route) {
      errors.add(1, { "page.route": route, "error.source": source });
    },
    track(event) {
      const time = "time" in event && event.time !== undefined ? event.time : Date.now();
      switch (event.kind) {
        case "cart":
          cart.add(1, { "cart.action": event.action, outcome: event.outcome });
          emit("browser.cart_change", { "cart.action": event.action, outcome: event.outcome, "cart.quantity": event.quantity }, time);
          break;
        case "funnel":
          funnel.add(1, { "funnel.step": event.step });
          emit("browser.funnel_step", { "funnel.step": event.step }, time);
          break;
        case "render": {
          const ms = Math.max(0, event.end - event.start);
          render.record(ms, { "ui.component": event.component });
          // In the current context: during a click, the render is part of what the click did.
          span(`render ${event.component}`, event.start, event.end, { "ui.component": event.component }, contextApi.active());
          break;
        }
        case "checkout": {
          // The flow is a trace of its own (or the page's outer trace's child: outer.ts): its
          // sections are its children, whatever clicks and fetches happened meanwhile (those are
          // the clicks' traces).
          const flow = tracer.startSpan(
            "checkout",
            { attributes: { "checkout.outcome": event.outcome, "checkout.refusals": event.refusals }, startTime: event.start },
            outerContext(),
          );
          const inFlow = trace.setSpan(ROOT_CONTEXT, flow);
          for (const s of event.steps) {
            const ms = Math.max(0, Math.round(s.end - s.start));
            span(`checkout.step ${s.step}`, s.start, s.end, { "checkout.step": s.step, duration_ms: ms }, inFlow);
            emit("browser.checkout_step", { "checkout.step": s.step, duration_ms: ms }, s.end, inFlow);
          }
          flow.end(event.end);
          break;
        }
        case "next": {
          const ms = Math.max(0, event.end - event.start);
          if (event.measure === "hydration") {
            // A measurement only: the page load's own trace (documentLoad) has the timings around it.
            hydration.record(ms, { "page.route": event.route });
          } else {
            routeChange.record(ms, { "page.route": event.route });
            // In the current context: after a named click, under the click.
            span("next.route_change", event.start, event.end, { "page.route": event.route, "next.navigation_type": event.navigation }, contextApi.active());
          }
          break;
        }
        case "api":
          // The same calls in both: the difference of the two is the network's and the browser's.
          apiDuration.record(Math.max(0, event.total), { "page.route": event.route });
          apiServer.record(Math.max(0, event.server), { "page.route": event.route });
          break;
        case "task": {
          const ms = Math.max(0, Math.round(event.end - event.start));
          tasks.add(1, { "admin.task": event.task, "admin.task.outcome": event.outcome });
          if (event.outcome === "completed") taskDuration.record(ms, { "admin.task": event.task });
          if (event.refusals > 0) taskRefusals.add(event.refusals, { "admin.task": event.task });
          // A trace of its own (or the outer trace's child): the task's clicks and fetches are
          // their own traces.
          const task = tracer.startSpan(
            `admin.task ${event.task}`,
            { attributes: { "admin.task": event.task, "admin.task.outcome": event.outcome, "admin.task.refusals": event.refusals }, startTime: event.start },
            outerContext(),
          );
          emit(
            "browser.admin_task",
            { "admin.task": event.task, "admin.task.outcome": event.outcome, "admin.task.refusals": event.refusals, duration_ms: ms },
            event.end,
            trace.setSpan(ROOT_CONTEXT, task),
          );
          task.end(event.end);
          break;
        }
        case "upload_start": {
          if (open.size >= MAX_UPLOADS) {
            const [oldest] = open.keys();
            if (oldest !== undefined) open.delete(oldest);
          }
          // In the current context: under the click on "Upload".
          const s = tracer.startSpan("upload image", { attributes: { "upload.bytes": event.bytes }, startTime: time });
          open.set(event.id, { span: s, bytes: event.bytes, start: time, quarter: 0 });
          break;
        }
        case "upload_progress": {
          const u = open.get(event.id);
          // A span event at each quarter passed, not at every progress event.
          const quarter = Math.floor(event.percent / 25);
          if (u && quarter > u.quarter) {
            u.quarter = quarter;
            u.span.addEvent("upload.progress", { "upload.percent": quarter * 25 }, time);
          }
          break;
        }
        case "upload_end": {
          const u = open.get(event.id);
          if (!u) break;
          open.delete(event.id);
          const ms = Math.max(0, Math.round(time - u.start));
          const transfer = event.sentAt === null ? null : Math.max(1, Math.round(event.sentAt - u.start));
          uploads.add(1, { outcome: event.outcome });
          uploadDuration.record(ms, { outcome: event.outcome });
          if (event.outcome === "ok" && transfer !== null) uploadThroughput.record(Math.round((u.bytes * 1000) / transfer));
          u.span.setAttributes({
            outcome: event.outcome,
            ...(transfer !== null ? { "upload.transfer_ms": transfer } : {}),
            ...(event.status ? { "http.response.status_code": event.status } : {}),
          });
          if (event.outcome === "error") u.span.setStatus({ code: SpanStatusCode.ERROR });
          emit(
            "browser.upload",
            { outcome: event.outcome, "upload.bytes": u.bytes, duration_ms: ms, ...(transfer !== null ? { "upload.transfer_ms": transfer } : {}) },
            time,
            trace.setSpan(ROOT_CONTEXT, u.span),
          );
          u.span.end(time);
          break;
        }
        case "notification": {
          // The change's own trace (the event's context, in the backend's propagation fields):
          // the notification is a consumer of the event, after the shop's and the function's spans.
          const delay = Math.max(0, Math.round(time - event.occurredAt));
          notificationDelay.record(delay, { "notification.type": event.type });
          const parent = propagation.extract(ROOT_CONTEXT, event.trace);
          const shown = tracer.startSpan(
            `notification ${event.type}`,
            { kind: SpanKind.CONSUMER, attributes: { "notification.type": event.type, "notification.delay_ms": delay }, startTime: time },
            parent,
          );
          emit("browser.notification", { "notification.type": event.type, "notification.delay_ms": delay }, time, trace.setSpan(parent, shown));
          shown.end(time);
          break;
        }
        case "network":
          emit(
            "browser.network_fault",
            {
              "network.fault": event.fault,
              "url.path": event.path,
              "http.request.method": event.method,
              ...(event.status ? { "http.response.status_code": event.status } : {}),
            },
            time,
          );
          break;
      }
    },
    uploadHeaders(id) {
      const u = open.get(id);
      const carrier: Record<string, string> = {};
      // The registered propagator (traces.ts): the one header the shop's backend reads.
      if (u) propagation.inject(trace.setSpan(ROOT_CONTEXT, u.span), carrier);
      return carrier;
    },
  };
}
