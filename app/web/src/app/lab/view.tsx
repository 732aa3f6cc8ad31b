"use client";

// The Lab page: the local stand-in for the X-Ray console. It shows the telemetry backend this
// shop runs and its export counters, this tab's last requests to the shop, and for the one picked
// its trace *as each store kept it* — read back by the shop from X-Ray (moto) and from the
// collector's store — drawn as a waterfall with the joined log lines, the command that reads the
// same thing, and a service map of the traces read on this page. Above the trace, a browser
// session (this tab's, or one pasted) as the stores kept it, each of its records leading to its
// trace. Last, the service map of a time window, counted by the shop from the stores' raw traces.
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState, useSyncExternalStore } from "react";

import { Empty, ErrorState, Loading } from "@/components/states";
import { api, type Schemas, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";
import { useRecentRequests } from "@/lab/use-recent";
import { sessionId } from "@/telemetry/session";

import { ServiceMap } from "./service-map";
import { SessionStores } from "./session";
import type { StoredSpan, TraceReadback } from "./trace-model";
import { REREADS, useReread } from "./use-reread";
import { Command, Waterfall } from "./waterfall";
import { WindowMap } from "./window-map";

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

/** This tab's session id, on the client only (the static export's HTML has none). */
function useTabSession(): string | null {
  return useSyncExternalStore(
    () => () => {},
    () => sessionId(),
    () => null,
  );
}

function Session({ current, pick }: { current: string | null; pick: (id: string) => void }) {
  const mine = useTabSession();
  const [typed, setTyped] = useState("");
  return (
    <div className="mb-3 flex flex-wrap items-center gap-2 text-sm">
      {mine && (
        <>
          <span className="text-stone-600">
            This tab&apos;s session: <code className="text-xs" data-testid="lab-tab-session">{mine}</code>
          </span>
          <button
            type="button"
            onClick={() => pick(mine)}
            aria-pressed={current === mine}
            className="rounded-md bg-emerald-800 px-3 py-1 text-white hover:bg-emerald-700"
            data-testid="lab-read-session"
          >
            Read this session back
          </button>
        </>
      )}
      <form
        className="flex min-w-0 flex-1 gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) pick(typed.trim());
        }}
      >
        <label htmlFor="session-id" className="sr-only">
          A session id
        </label>
        <input
          id="session-id"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          placeholder="or a session.id from a log line"
          className="min-w-0 flex-1 rounded-md border border-stone-300 px-2 py-1 font-mono text-xs"
        />
        <button type="submit" className="rounded-md border border-stone-300 px-3 py-1 hover:bg-stone-50">
          Read
        </button>
      </form>
    </div>
  );
}

function TraceStores({ id, onRead }: { id: string; onRead: (t: TraceReadback) => void }) {
  const read = useCallback(() => unwrap(api.GET("/api/lab/traces/{trace_id}", { params: { path: { trace_id: id } } })), [id]);
  const { answer, retry } = useReread(read, (t) => t.stores.some((s) => s.status === "missing"), onRead);
  if (answer?.error !== undefined) return <ErrorState error={answer.error} retry={retry} />;
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
        <button type="button" onClick={retry} className="mt-3 rounded-md border border-stone-300 px-3 py-1 text-sm hover:bg-stone-50">
          Read again
        </button>
      )}
    </div>
  );
}

export function LabView() {
  const router = useRouter();
  const params = useSearchParams();
  const trace = params.get("trace");
  const session = params.get("session");
  // The address holds what is shown (a session, a trace, or both), so a view can be shared.
  const go = (next: { session?: string | null; trace?: string | null }) => {
    const q = new URLSearchParams();
    const s = next.session === undefined ? session : next.session;
    const t = next.trace === undefined ? trace : next.trace;
    if (s) q.set("session", s);
    if (t) q.set("trace", t);
    router.push(`/lab/?${q.toString()}`);
  };
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
      <Requests current={trace} pick={(id) => go({ trace: id })} />
      <section aria-labelledby="session" className="rounded-lg border border-stone-200 p-4">
        <h2 id="session" className="mb-2 font-semibold">
          A session, as stored
        </h2>
        <p className="mb-2 max-w-3xl text-sm text-stone-600">
          Every event and error the UI sends carries its tab&apos;s <code>session.id</code>: page views, clicks, cart changes,
          funnel steps. Read back from where the backend put its logs, each leads to its trace.
        </p>
        <Session current={session} pick={(id) => go({ session: id })} />
        {readback.state === "done" && readback.data.enabled && session && (
          <SessionStores key={session} id={session} pickTrace={(id) => go({ trace: id })} />
        )}
      </section>
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
          Service map of the traces read here
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
      {readback.state === "done" && readback.data.enabled && <WindowMap />}
    </div>
  );
}
