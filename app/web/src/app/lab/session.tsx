"use client";

// A browser session as each store kept it (F-TRACE-02): every event and error this tab's UI sent,
// read back by the shop from CloudWatch Logs (awssdk) or the collector's store (otel), oldest
// first. Each record is in its own trace, and its "Trace" button opens that trace above: from a
// session to a click, to its fetch, to the shop's spans and SQL.
import { useCallback } from "react";

import { ErrorState, Loading } from "@/components/states";
import { api, type Schemas, unwrap } from "@/lib/api";

import { ReplayPanel } from "./replay";
import { REREADS, useReread } from "./use-reread";
import { Command } from "./waterfall";

type SessionReadback = Schemas["SessionReadback"];
type SessionReading = Schemas["SessionReading"];
type StoredLog = Schemas["StoredLog"];

/** A record's attributes (typed by the schema as an open object). */
function attrs(log: StoredLog): Record<string, unknown> {
  return log.attributes as Record<string, unknown>;
}

/** Attributes every row has, or that the row shows in its own columns. */
const SHOWN_APART = new Set(["session.id", "event.name", "page.route", "exception.stacktrace", "target", "request_id", "trace_sampled"]);

/** What a record was: the UI event's name without `browser.`, or an error's message. */
function what(log: StoredLog): { label: string; error: boolean } {
  const event = attrs(log)["event.name"];
  if (typeof event === "string") return { label: event.replace(/^browser\./, ""), error: false };
  const error = /^(ERROR|WARN)/i.test(log.severity) || "exception.message" in attrs(log);
  return { label: error ? `${log.severity}: ${log.body}` : log.body, error };
}

function details(log: StoredLog): string {
  return Object.entries(attrs(log))
    .filter(([k]) => !SHOWN_APART.has(k) && !(k === "exception.message" && !("event.name" in attrs(log))))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

function seconds(ms: number): string {
  return ms < 60_000 ? `+${(ms / 1000).toFixed(1)} s` : `+${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** One store's rows, and a line that sums the session up. */
function Timeline({ reading, pickTrace }: { reading: SessionReading; pickTrace: (id: string) => void }) {
  const logs = reading.logs;
  const t0 = logs[0]?.time_ms ?? 0;
  const last = logs[logs.length - 1]?.time_ms ?? t0;
  const count = (name: string) => logs.filter((l) => attrs(l)["event.name"] === name).length;
  const errors = logs.filter((l) => what(l).error).length;
  const routes = new Set(logs.map((l) => attrs(l)["page.route"]).filter((r) => typeof r === "string"));
  return (
    <div>
      <p className="mb-2 text-xs text-stone-600" data-testid="session-summary">
        {logs.length} records over {seconds(last - t0).slice(1)}: {count("browser.page_view")} page views of {routes.size} routes,{" "}
        {count("browser.click")} clicks, {count("browser.cart_change")} cart changes, {errors} errors.
      </p>
      <ol className="space-y-0.5 text-xs" aria-label={`The session in ${reading.store}`}>
        {logs.map((l, i) => {
          const w = what(l);
          const route = attrs(l)["page.route"];
          return (
            <li key={`${l.time_ms}-${i}`} className="flex flex-wrap items-baseline gap-x-2 border-b border-stone-100 py-0.5" data-testid="session-row">
              <span className="w-20 shrink-0 tabular-nums text-stone-500">{seconds(l.time_ms - t0)}</span>
              <span className={`w-36 shrink-0 truncate font-medium ${w.error ? "text-red-700" : ""}`} title={w.label}>
                {w.label}
              </span>
              <span className="w-28 shrink-0 truncate font-mono text-stone-600">{typeof route === "string" ? route : ""}</span>
              <span className="min-w-0 flex-1 truncate font-mono text-stone-500" title={details(l)}>
                {details(l)}
              </span>
              {l.trace_id && (
                <button
                  type="button"
                  onClick={() => pickTrace(l.trace_id ?? "")}
                  className="rounded border border-stone-300 px-1.5 text-xs hover:bg-stone-50"
                  aria-label={`The trace of ${w.label} at ${seconds(l.time_ms - t0)}`}
                  data-testid="session-trace"
                >
                  Trace
                </button>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** The session `id` from every store the shop reads, read again while one has nothing yet. */
export function SessionStores({ id, pickTrace }: { id: string; pickTrace: (id: string) => void }) {
  const read = useCallback(() => unwrap(api.GET("/api/lab/sessions/{session_id}", { params: { path: { session_id: id } } })), [id]);
  const { answer, retry } = useReread(read, (s: SessionReadback) => s.stores.some((r) => r.status === "missing"));
  if (answer?.error !== undefined) return <ErrorState error={answer.error} retry={retry} />;
  const s = answer?.data;
  if (!s) return <Loading what="the session from the stores" />;
  return (
    <div>
      <p className="mb-3 font-mono text-xs text-stone-600" data-testid="lab-session-id">
        session.id {s.session_id} · since {new Date(s.since_ms).toLocaleTimeString()}
      </p>
      <div className={`grid gap-4 ${s.stores.length > 1 ? "lg:grid-cols-2" : ""}`}>
        {s.stores.map((r) => (
          <section key={r.store} aria-label={r.label} className="min-w-0 rounded-lg border border-stone-200 p-3" data-testid={`session-store-${r.store}`}>
            <h3 className="font-medium">{r.label}</h3>
            <p className="text-xs" data-testid="session-status">
              {r.status === "found" ? "found" : r.status === "missing" ? (answer.round < REREADS ? "nothing yet, reading again…" : "nothing") : "unavailable"}
            </p>
            {r.message && <p className="mt-1 text-xs text-stone-600">{r.message}</p>}
            {r.status === "found" && <Timeline reading={r} pickTrace={pickTrace} />}
            <Command command={r.command} />
          </section>
        ))}
      </div>
      <button
        type="button"
        onClick={retry}
        className="mt-3 rounded-md border border-stone-300 px-3 py-1 text-sm hover:bg-stone-50"
        data-testid="lab-session-reread"
      >
        Read again
      </button>
      <ReplayPanel id={s.session_id} />
    </div>
  );
}
