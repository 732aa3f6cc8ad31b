"use client";

// The Lab page: the local stand-in for the X-Ray console. It shows the telemetry backend this
// shop runs and its export counters, this tab's last requests to the shop, and for the one picked
// its trace *as each store kept it* — read back by the shop from X-Ray (moto) and from the
// collector's store — drawn as a waterfall with the joined log lines, the command that reads the
// same thing, and a service map of the traces read on this page.
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";

import { Empty, ErrorState, Loading } from "@/components/states";
import { api, type Schemas, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";
import { useRecentRequests } from "@/lab/use-recent";

import { ServiceMap } from "./service-map";
import type { StoredSpan, TraceReadback } from "./trace-model";
import { Command, Waterfall } from "./waterfall";

/** How often, and how many times, a trace some store does not have yet is read again. */
const REREAD_MS = 2500;
const REREADS = 6;

type Stats = Schemas["TelemetryStats"];

function Stats() {
  // Polled every 5 s; the last answer stays on screen between polls.
  const [answer, setAnswer] = useState<{ stats?: Stats; error?: unknown } | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    const poll = () =>
      unwrap(api.GET("/api/telemetry/stats")).then(
        (stats) => live && setAnswer({ stats }),
        (error: unknown) => live && setAnswer({ error }),
      );
    void poll();
    const t = setInterval(() => void poll(), 5000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [attempt]);
  if (answer?.error !== undefined) return <ErrorState error={answer.error} retry={() => setAttempt((n) => n + 1)} />;
  if (!answer?.stats) return <Loading what="the export statistics" />;
  const s = answer.stats;
  const signals = Object.entries(s.export as Record<string, Record<string, number>>);
  return (
    <section aria-labelledby="backend" className="rounded-lg border border-stone-200 p-4">
      <h2 id="backend" className="font-semibold">
        Backend: <span data-testid="lab-backend">{s.backend}</span>
      </h2>
      <p className="text-sm text-stone-600">
        service <code>{s.service}</code>, sampler <code>{s.sampler}</code>. Counters since the shop started, every 5 s:
      </p>
      {signals.length > 0 && (
        <div className="mt-2 overflow-x-auto">
          <table className="text-left text-xs">
            <thead>
              <tr>
                <th className="pr-3 font-medium">signal</th>
                {Object.keys(signals[0]?.[1] ?? {}).map((k) => (
                  <th key={k} className="pr-3 font-medium">
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {signals.map(([signal, counters]) => (
                <tr key={signal}>
                  <td className="pr-3">{signal}</td>
                  {Object.values(counters).map((v, i) => (
                    <td key={i} className="pr-3 tabular-nums">
                      {typeof v === "number" ? v : JSON.stringify(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Requests({ current, pick }: { current: string | null; pick: (id: string) => void }) {
  const list = useRecentRequests();
  const [typed, setTyped] = useState("");
  return (
    <section aria-labelledby="requests" className="rounded-lg border border-stone-200 p-4">
      <h2 id="requests" className="font-semibold">
        Your last requests
      </h2>
      {list.length === 0 ? (
        <Empty title="No requests from this tab yet">
          Browse the <Link href="/" className="underline">shop</Link>, add something to the cart, then come back.
        </Empty>
      ) : (
        <ul className="mt-2 divide-y divide-stone-100 text-sm" data-testid="lab-requests">
          {list.map((r, i) => (
            <li key={`${r.traceId}-${i}`} className="flex flex-wrap items-center gap-2 py-1">
              <span className="w-14 font-mono text-xs">{r.method}</span>
              <span className="min-w-0 flex-1 truncate font-mono text-xs">{r.path}</span>
              <span className={`text-xs ${r.status >= 500 ? "text-red-700" : r.status >= 400 ? "text-amber-700" : "text-stone-500"}`}>{r.status}</span>
              {r.sampled === false ? (
                <span className="text-xs text-stone-500" title="The backend did not sample this request: no store has it.">not sampled</span>
              ) : (
                <button
                  type="button"
                  onClick={() => pick(r.traceId)}
                  aria-pressed={current === r.traceId}
                  className="rounded border border-stone-300 px-2 py-0.5 text-xs hover:bg-stone-50"
                  data-testid="lab-show-trace"
                >
                  Show trace
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        className="mt-3 flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) pick(typed.trim());
        }}
      >
        <label htmlFor="trace-id" className="sr-only">
          A trace id
        </label>
        <input
          id="trace-id"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          placeholder="or a trace id: 1-5f84c7a1-… or 32 hex digits"
          className="min-w-0 flex-1 rounded-md border border-stone-300 px-2 py-1 font-mono text-xs"
        />
        <button type="submit" className="rounded-md bg-emerald-800 px-3 py-1 text-sm text-white hover:bg-emerald-700">
          Read back
        </button>
      </form>
    </section>
  );
}

function TraceStores({ id, onRead }: { id: string; onRead: (t: TraceReadback) => void }) {
  // Each attempt reads the trace, then again while a store does not have it yet: exports are
  // batched (the collector every few seconds, the awssdk backend's queue too), so a first
  // "missing" is not final. The last answer stays on screen during the next read.
  const [attempt, setAttempt] = useState(0);
  const [answer, setAnswer] = useState<{ data?: TraceReadback; error?: unknown; round: number } | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async (round: number) => {
      try {
        const data = await unwrap(api.GET("/api/lab/traces/{trace_id}", { params: { path: { trace_id: id } } }));
        if (!live) return;
        setAnswer({ data, round });
        onRead(data);
        if (round < REREADS && data.stores.some((s) => s.status === "missing")) timer = setTimeout(() => void read(round + 1), REREAD_MS);
      } catch (error: unknown) {
        if (live) setAnswer({ error, round });
      }
    };
    void read(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, attempt, onRead]);
  if (answer?.error !== undefined) return <ErrorState error={answer.error} retry={() => setAttempt((n) => n + 1)} />;
  const t = answer?.data;
  if (!t) return <Loading what="the trace from the stores" />;
  const round = answer.round;
  const incomplete = t.stores.some((s) => s.status === "missing");
  return (
    <div>
      <p className="mb-3 font-mono text-xs text-stone-600" data-testid="lab-trace-id">
        {t.trace_id} · X-Ray: {t.xray_trace_id}
      </p>
      <div className={`grid gap-4 ${t.stores.length > 1 ? "lg:grid-cols-2" : ""}`}>
        {t.stores.map((s) => (
          <section key={s.store} aria-label={s.label} className="min-w-0 rounded-lg border border-stone-200 p-3" data-testid={`store-${s.store}`}>
            <h3 className="font-medium">{s.label}</h3>
            <p className="text-xs" data-testid="store-status">
              {s.status === "found" ? "found" : s.status === "missing" ? (round < REREADS ? "not there yet, reading again…" : "not there") : "unavailable"}
            </p>
            {s.message && <p className="mt-1 text-xs text-stone-600">{s.message}</p>}
            {s.status === "found" && <Waterfall reading={s} />}
            <Command command={s.command} />
          </section>
        ))}
      </div>
      {incomplete && round >= REREADS && (
        <button type="button" onClick={() => setAttempt((n) => n + 1)} className="mt-3 rounded-md border border-stone-300 px-3 py-1 text-sm hover:bg-stone-50">
          Read again
        </button>
      )}
    </div>
  );
}

export function LabView() {
  const router = useRouter();
  const trace = useSearchParams().get("trace");
  const readback = useLoad("readback", () => unwrap(api.GET("/api/lab/readback")));
  // Every trace read on this page, per store, for the service map.
  const [seen, setSeen] = useState<Record<string, Record<string, StoredSpan[]>>>({});
  const [mapStore, setMapStore] = useState<string | null>(null);
  // Stable, so the trace panel's effect runs once per answer, not once per render of this page.
  const onRead = useCallback(
    (t: TraceReadback) =>
      setSeen((prev) => {
        const next = { ...prev };
        for (const s of t.stores) if (s.status === "found") next[s.store] = { ...(next[s.store] ?? {}), [t.trace_id]: s.spans };
        return next;
      }),
    [],
  );
  const stores = Object.keys(seen);
  const shownStore = mapStore && seen[mapStore] ? mapStore : stores[0];
  const mapSpans = shownStore ? Object.values(seen[shownStore] ?? {}).flat() : [];
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Lab</h1>
        <p className="mt-1 max-w-3xl text-sm text-stone-600">
          What this shop&apos;s telemetry backend stored about your requests, read back from the stores as the X-Ray console or
          the collector&apos;s backend would show it. The comparison of the two backends (overhead, cost, fidelity) is in{" "}
          <code>REPORT.md</code> (<code>make report</code>); the lab itself in <code>docs/lab.md</code>. Faults on purpose:{" "}
          <Link href="/lab/faults/" className="underline">the faults page</Link>.
        </p>
      </div>
      <Stats />
      <Requests current={trace} pick={(id) => router.push(`/lab/?trace=${encodeURIComponent(id)}`)} />
      <section aria-labelledby="trace" className="rounded-lg border border-stone-200 p-4">
        <h2 id="trace" className="mb-2 font-semibold">
          The trace, as stored
        </h2>
        {readback.state === "loading" && <Loading what="the read-back's settings" />}
        {readback.state === "error" && <ErrorState error={readback.error} retry={readback.retry} />}
        {readback.state === "done" && !readback.data.enabled && (
          <Empty title="Read-back is off in this shop">
            Start it with <code>--lab-readback-xray</code> and/or <code>--lab-readback-capture URL</code>; <code>make lab</code> does.
          </Empty>
        )}
        {readback.state === "done" && readback.data.enabled && !trace && <p className="text-sm text-stone-600">Pick a request above.</p>}
        {readback.state === "done" && readback.data.enabled && trace && <TraceStores key={trace} id={trace} onRead={onRead} />}
      </section>
      <section aria-labelledby="map" className="rounded-lg border border-stone-200 p-4">
        <h2 id="map" className="mb-2 font-semibold">
          Service map
        </h2>
        {stores.length > 1 && (
          <div className="mb-2 flex gap-2 text-sm" role="group" aria-label="Store">
            {stores.map((s) => (
              <button key={s} type="button" aria-pressed={s === shownStore} onClick={() => setMapStore(s)} className="rounded border border-stone-300 px-2 py-0.5 hover:bg-stone-50">
                {s}
              </button>
            ))}
          </div>
        )}
        <ServiceMap spans={mapSpans} />
      </section>
    </div>
  );
}
