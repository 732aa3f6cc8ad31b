"use client";

// Faults on purpose, for learners and the browser tests: each button makes this page misbehave
// in one way, which the browser telemetry reports (docs/web.md, "Browser telemetry"). Only the
// network faults make requests: one the page gives up at once, and one to a port where nothing
// listens.
import { useLayoutEffect, useState } from "react";

import { networkFault } from "@/lib/api";

/** The faults' own error type: easy to search for in the logs (`exception.type`). */
class LabFaultError extends Error {
  override name = "LabFaultError";
}

/** How long the slow panel keeps the main thread (ms): enough for a poor INP (> 500 ms). */
const SLOW_MS = 1500;

function SlowPanel() {
  // Blocks the main thread after the render and before the browser may paint it (a layout
  // effect runs in between): the click that showed the panel waits this long for its next paint,
  // which is what Interaction to Next Paint measures.
  useLayoutEffect(() => {
    const until = performance.now() + SLOW_MS;
    while (performance.now() < until) {
      // busy
    }
  }, []);
  return (
    <p className="mt-3 rounded-lg bg-amber-50 p-3 text-sm text-amber-900" data-testid="slow-panel">
      This panel kept the page busy for {SLOW_MS / 1000} s before it could show. Its click is a poor INP.
    </p>
  );
}

function Broken(): never {
  throw new LabFaultError("A render that fails on purpose (the faults page)");
}

const button = "rounded-md bg-stone-800 px-4 py-2 text-sm font-medium text-white hover:bg-stone-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700";

export function FaultsView() {
  const [done, setDone] = useState("");
  const [slow, setSlow] = useState(false);
  const [broken, setBroken] = useState(false);
  return (
    <>
      <h1 className="text-2xl font-semibold">Faults</h1>
      <p className="mt-2 max-w-2xl text-stone-700">
        Each button below makes this page misbehave on purpose. With browser telemetry on, find what it did in the
        traces, logs and Web Vitals the shop receives from this browser.
      </p>
      <p role="status" aria-live="polite" className="mt-3 min-h-6 text-sm text-stone-600" data-testid="fault-status">
        {done}
      </p>

      <section aria-labelledby="errors" className="mt-6">
        <h2 id="errors" className="text-xl font-semibold">Errors</h2>
        <ul className="mt-3 space-y-4">
          <li>
            <button
              type="button"
              className={button}
              data-telemetry-name="throw-error"
              onClick={() => {
                setDone("An error was thrown from the click's handler.");
                throw new LabFaultError("An error thrown on purpose (the faults page)");
              }}
            >
              Throw a JS error
            </button>
            <p className="mt-1 text-sm text-stone-600">
              An uncaught exception in an event handler: a log record with its stack trace, and an error span.
            </p>
          </li>
          <li>
            <button
              type="button"
              className={button}
              data-telemetry-name="reject-promise"
              onClick={() => {
                setDone("A promise was rejected, and nothing handles it.");
                void Promise.reject(new LabFaultError("A promise rejected on purpose (the faults page)"));
              }}
            >
              Reject a promise
            </button>
            <p className="mt-1 text-sm text-stone-600">An unhandled rejection: the same, from the event the browser fires for it.</p>
          </li>
          <li>
            <button type="button" className={button} data-telemetry-name="break-render" onClick={() => setBroken(true)}>
              Break this page
            </button>
            <p className="mt-1 text-sm text-stone-600">
              A render that throws: the page&apos;s error boundary shows instead, and reports it.
            </p>
            {broken && <Broken />}
          </li>
        </ul>
      </section>

      <section aria-labelledby="slowness" className="mt-8">
        <h2 id="slowness" className="text-xl font-semibold">Slowness</h2>
        <button
          type="button"
          className={`${button} mt-3`}
          data-telemetry-name="slow-render"
          onClick={() => {
            setDone("");
            setSlow(true);
          }}
        >
          Slow page
        </button>
        <p className="mt-1 text-sm text-stone-600">
          Shows a panel that keeps the page busy for {SLOW_MS / 1000} s before it can paint: the click&apos;s Interaction
          to Next Paint is poor (over 500 ms), reported when you leave the page or switch tabs.
        </p>
        {slow && <SlowPanel />}
      </section>

      <section aria-labelledby="network" className="mt-8">
        <h2 id="network" className="text-xl font-semibold">Network</h2>
        <ul className="mt-3 space-y-4">
          <li>
            <button
              type="button"
              className={button}
              data-telemetry-name="network-abort"
              onClick={async () => {
                const request = new Request("/api/products?page_size=1");
                const controller = new AbortController();
                const call = fetch(request, { signal: controller.signal });
                // Given up before any answer can come: what a timeout on a slow network does.
                controller.abort(new DOMException("given up on purpose (the faults page)", "TimeoutError"));
                try {
                  await call;
                } catch (e) {
                  networkFault(request, e);
                  setDone("The request was given up before the shop answered.");
                }
              }}
            >
              A request that times out
            </button>
            <p className="mt-1 text-sm text-stone-600">
              An API call abandoned before its answer: its fetch span ends in error, and a{" "}
              <code>browser.network_fault</code> event says <code>timeout</code>.
            </p>
          </li>
          <li>
            <button
              type="button"
              className={button}
              data-telemetry-name="network-unreachable"
              onClick={async () => {
                // Port 9 (discard) on this machine: nothing listens, the connection is refused.
                const request = new Request("http://127.0.0.1:9/api/health");
                try {
                  await fetch(request);
                } catch (e) {
                  networkFault(request, e);
                  setDone("The request found nobody to answer it.");
                }
              }}
            >
              A server that is down
            </button>
            <p className="mt-1 text-sm text-stone-600">
              A connection refused: a <code>browser.network_fault</code> event says <code>unreachable</code>. The shop&apos;s
              own calls report the same when the network is gone, and a 5xx as <code>http_error</code>.
            </p>
          </li>
        </ul>
      </section>
    </>
  );
}
