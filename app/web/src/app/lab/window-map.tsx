"use client";

// The service map over a time window (O-DASH-02): every trace a store kept in the last minutes,
// not only those read on this page. In AWS the X-Ray console draws it from GetServiceGraph, which
// X-Ray computes from all it received; moto computes none and the collector's store is no X-Ray,
// so the shop reads the window's traces back (GET /api/lab/traces: GetTraceSummaries then
// BatchGetTraces, or the capture store's spans since then) and this page draws the map from their
// spans, with the same drawing as the map of the traces read.
import { useState } from "react";

import { Empty, ErrorState, Loading } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

import { ServiceMap } from "./service-map";
import { Command } from "./waterfall";

/** The windows offered, in minutes (the API takes 1 to 360). */
const WINDOWS = [5, 15, 60] as const;

export function WindowMap({ pickTrace }: { pickTrace: (id: string) => void }) {
  const [minutes, setMinutes] = useState<(typeof WINDOWS)[number]>(15);
  const [picked, setPicked] = useState<string | null>(null);
  const loaded = useLoad(`traces-${minutes}`, () => unwrap(api.GET("/api/lab/traces", { params: { query: { minutes, limit: 100 } } })));
  return (
    <div>
      <div className="mb-2 flex flex-wrap items-center gap-2 text-sm" role="group" aria-label="Window">
        {WINDOWS.map((m) => (
          <button key={m} type="button" aria-pressed={m === minutes} onClick={() => setMinutes(m)} className="rounded border border-stone-300 px-2 py-0.5 hover:bg-stone-50">
            last {m} min
          </button>
        ))}
        {loaded.state === "done" && (
          <button type="button" onClick={loaded.reload} className="rounded border border-stone-300 px-2 py-0.5 hover:bg-stone-50">
            Read again
          </button>
        )}
      </div>
      {loaded.state === "loading" && <Loading what="the window's traces" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (() => {
          const stores = loaded.data.stores;
          const shown = stores.find((s) => s.store === picked) ?? stores[0];
          if (!shown) return <Empty title="No store to read" />;
          return (
            <>
              {stores.length > 1 && (
                <div className="mb-2 flex gap-2 text-sm" role="group" aria-label="Store">
                  {stores.map((s) => (
                    <button
                      key={s.store}
                      type="button"
                      aria-pressed={s === shown}
                      onClick={() => setPicked(s.store)}
                      data-testid={`window-store-${s.store}`}
                      className="rounded border border-stone-300 px-2 py-0.5 hover:bg-stone-50"
                    >
                      {s.label}
                    </button>
                  ))}
                </div>
              )}
              {shown.status === "unavailable" && <ErrorState error={new Error(shown.message ?? "the store did not answer")} />}
              {shown.status === "missing" && <Empty title={`No trace in the last ${minutes} minutes`}>{shown.message}</Empty>}
              {shown.status === "found" && (
                <>
                  <p className="mb-2 text-sm text-stone-600" data-testid="window-traces">
                    {shown.traces.length} trace{shown.traces.length === 1 ? "" : "s"}
                    {shown.truncated ? " (the most recent; the store kept more)" : ""} from {shown.label}.
                  </p>
                  <ServiceMap spans={shown.spans} />
                  <details className="mt-2 text-sm">
                    <summary className="cursor-pointer">The traces</summary>
                    <ul className="mt-1 space-y-1">
                      {shown.traces.map((t) => (
                        <li key={t.trace_id}>
                          <button type="button" onClick={() => pickTrace(t.trace_id)} className="text-left underline">
                            {new Date(t.start_ms).toLocaleTimeString()} {t.service}: {t.root}
                          </button>{" "}
                          <span className="text-stone-500">
                            {t.duration_ms.toFixed(1)} ms, {t.spans} spans{t.fault ? ", failed" : ""}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </details>
                  <Command command={shown.command} />
                </>
              )}
            </>
          );
        })()}
    </div>
  );
}
