"use client";

// React hooks that report the UI's events (ui.ts) from a page's components. They are in the
// small part every page loads: they only note times and call `track`, which waits for the SDK.
import { type RefObject, useEffect, useLayoutEffect, useRef } from "react";

import type { AdminTask, CheckoutOutcome, CheckoutStep, Component, FunnelStep, TaskOutcome } from "./catalogue";
import { CHECKOUT_STEPS } from "./catalogue";
import { track } from "./index";
import type { StepTiming } from "./ui";

/** performance.now() as ms since the epoch, the unit spans and records take. */
function epoch(now: number): number {
  return performance.timeOrigin + now;
}

/**
 * Times the render in which `component` first shows some content: `content` names it (a product's
 * id, say, once its data has arrived; null while there is none). From the start of that render
 * to its commit to the page, before the browser paints it: React's work for the component and
 * its children, which React's own Profiler measures only in a profiling build. Once per content:
 * a `render <component>` span and a `browser.render.duration` measurement.
 */
export function useRenderTiming(component: Component, content: string | null): void {
  const timed = useRef<string | null>(null);
  const start = useRef<number | null>(null);
  // In the render itself: the first render with this content. The clock and the refs are read
  // during render on purpose, to time it; what they hold never changes what is rendered.
  // eslint-disable-next-line react-hooks/refs, react-hooks/purity
  if (content !== null && content !== timed.current && start.current === null) start.current = performance.now();
  useLayoutEffect(() => {
    if (start.current === null || content === null) return;
    const end = performance.now();
    track({ kind: "render", component, start: epoch(start.current), end: epoch(end) });
    timed.current = content;
    start.current = null;
  });
}

/** Reports `step` of the purchase funnel once for each `reached` (a product's id, say; null: not reached). */
export function useFunnelStep(step: FunnelStep, reached: string | null): void {
  const sent = useRef<string | null>(null);
  useEffect(() => {
    if (reached === null || sent.current === reached) return;
    sent.current = reached;
    track({ kind: "funnel", step });
  }, [step, reached]);
}

/** The most sections one checkout records (a shopper going back and forth). */
const MAX_STEPS = 24;

export interface CheckoutFlow {
  /** The order was placed: the flow ends. */
  placed(): void;
  /** The shop refused the order (a decline, a bad coupon): the shopper may try again. */
  refused(): void;
}

function stepOf(target: EventTarget | null): CheckoutStep | null {
  const el = target instanceof Element ? target.closest("[data-telemetry-step]") : null;
  const step = el?.getAttribute("data-telemetry-step");
  return step && (CHECKOUT_STEPS as readonly string[]).includes(step) ? (step as CheckoutStep) : null;
}

/**
 * Follows the checkout form `form` (its sections carry `data-telemetry-step`): each stretch of
 * time the shopper's focus stayed in one section is a step, and the whole visit is the flow,
 * which ends as `placed`, or `abandoned` when the page goes away first (another route, or the
 * tab closed; a tab only hidden may come back). The flow is reported once, when it ends: a `checkout` span with its steps'
 * spans, and a `browser.checkout_step` event per step.
 */
export function useCheckoutFlow(form: RefObject<HTMLFormElement | null>, active: boolean): CheckoutFlow {
  const flow = useRef<{ refusals: number; end: (outcome: CheckoutOutcome) => void } | null>(null);

  useEffect(() => {
    const element = form.current;
    if (!active || !element) return;
    const f = { start: Date.now(), steps: [] as StepTiming[], open: null as StepTiming | null, ended: false };
    const close = (time: number) => {
      if (f.open) {
        f.open.end = time;
        if (f.steps.length < MAX_STEPS) f.steps.push(f.open);
        f.open = null;
      }
    };
    const onFocusIn = (e: FocusEvent) => {
      const step = stepOf(e.target);
      if (step === f.open?.step) return;
      const now = Date.now();
      close(now);
      if (step) f.open = { step, start: now, end: now };
    };
    const onFocusOut = (e: FocusEvent) => {
      // Focus leaving the form (to the summary, another window): the section's stretch ends.
      if (!(e.relatedTarget instanceof Node) || !element.contains(e.relatedTarget)) close(Date.now());
    };
    const end = (outcome: CheckoutOutcome) => {
      if (f.ended) return;
      f.ended = true;
      const now = Date.now();
      close(now);
      track({ kind: "checkout", outcome, start: f.start, end: now, steps: f.steps, refusals: handle.refusals });
    };
    const handle = { refusals: 0, end };
    flow.current = handle;
    // The tab closed or the browser went to another site (a tab only hidden may come back).
    const onPageHide = () => end("abandoned");
    element.addEventListener("focusin", onFocusIn);
    element.addEventListener("focusout", onFocusOut);
    addEventListener("pagehide", onPageHide);
    return () => {
      element.removeEventListener("focusin", onFocusIn);
      element.removeEventListener("focusout", onFocusOut);
      removeEventListener("pagehide", onPageHide);
      // Leaving the page without placing the order (placed() ran first otherwise).
      end("abandoned");
    };
  }, [form, active]);

  return {
    placed: () => flow.current?.end("placed"),
    refused() {
      if (flow.current) flow.current.refusals += 1;
    },
  };
}

export interface FormTask {
  /** The form did its job (the shop said yes): the task is completed, and the next starts at the next edit. */
  completed(): void;
  /** The form or the shop refused a submission (a validation error, a conflict). */
  refused(): void;
}

/**
 * Follows a back-office form as a task (F-METRIC-08/09): it starts at the first focus in `form`
 * (a form only looked at is no task), and ends `completed` when the form did its job, or
 * `abandoned` when the page goes away first. Its refusals on the way say how hard the form was to
 * get right. Reported when it ends: a span `admin.task <task>`, a `browser.admin_task` event, and
 * the counts and length in the `browser.admin.task*` metrics.
 */
export function useFormTask(task: AdminTask, form: RefObject<HTMLFormElement | null>): FormTask {
  const state = useRef<{ start: number | null; refusals: number }>({ start: null, refusals: 0 });
  const end = useRef<(outcome: TaskOutcome) => void>(() => {});

  useEffect(() => {
    const element = form.current;
    if (!element) return;
    const s = state.current;
    const finish = (outcome: TaskOutcome) => {
      if (s.start === null) return;
      track({ kind: "task", task, outcome, start: s.start, end: Date.now(), refusals: s.refusals });
      s.start = null;
      s.refusals = 0;
    };
    end.current = finish;
    const onFocusIn = () => {
      s.start ??= Date.now();
    };
    const onPageHide = () => finish("abandoned");
    element.addEventListener("focusin", onFocusIn);
    addEventListener("pagehide", onPageHide);
    return () => {
      element.removeEventListener("focusin", onFocusIn);
      removeEventListener("pagehide", onPageHide);
      finish("abandoned");
    };
  }, [task, form]);

  return {
    completed: () => end.current("completed"),
    refused() {
      if (state.current.start !== null) state.current.refusals += 1;
    },
  };
}
