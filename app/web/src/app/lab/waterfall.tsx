"use client";

// One store's version of a trace, drawn as the X-Ray console draws it: a row per span, indented
// under its parent, its bar placed on the trace's time line; a span's attributes, events and log
// lines when it is picked; the command that reads the same trace back from the store.
import { useState } from "react";

import { depths, type StoreReading, type StoredSpan } from "./trace-model";

const OUTCOME_BAR: Record<StoredSpan["outcome"], string> = {
  ok: "bg-emerald-600",
  error: "bg-amber-500",
  fault: "bg-red-600",
};

function ms(v: number): string {
  return v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`;
}

function value(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function Waterfall({ reading }: { reading: StoreReading }) {
  const [picked, setPicked] = useState<string | null>(null);
  const spans = reading.spans;
  const depth = depths(spans);
  const t0 = Math.min(...spans.map((s) => s.start_ms));
  const t1 = Math.max(...spans.map((s) => s.end_ms ?? s.start_ms));
  const total = Math.max(t1 - t0, 0.001);
  const chosen = spans.find((s) => s.span_id === picked) ?? null;
  const logsOf = (id: string | null) => reading.logs.filter((l) => (id ? l.span_id === id : true));
  return (
    <div>
      <p className="mb-2 text-xs text-stone-500">
        {spans.length} spans over {ms(total)}. Pick a span for its attributes.
      </p>
      <ol className="space-y-0.5" aria-label={`Spans in ${reading.store}`}>
        {spans.map((s) => {
          const left = ((s.start_ms - t0) / total) * 100;
          const width = Math.max((((s.end_ms ?? t1) - s.start_ms) / total) * 100, 0.5);
          const selected = s.span_id === picked;
          return (
            <li key={s.span_id}>
              <button
                type="button"
                onClick={() => setPicked(selected ? null : s.span_id)}
                aria-pressed={selected}
                data-testid="waterfall-row"
                className={`grid w-full grid-cols-[minmax(0,2fr)_minmax(0,3fr)] items-center gap-2 rounded px-1 py-0.5 text-left text-xs hover:bg-stone-100 ${selected ? "bg-stone-100 ring-1 ring-stone-400" : ""}`}
              >
                <span className="truncate" style={{ paddingLeft: `${(depth.get(s.span_id) ?? 0) * 0.75}rem` }}>
                  <span className="text-stone-600">{s.service} · </span>
                  <span className={s.outcome === "ok" ? "" : "font-semibold text-red-800"}>{s.name}</span>
                </span>
                <span className="relative h-3 rounded bg-stone-100">
                  <span className={`absolute inset-y-0 rounded ${OUTCOME_BAR[s.outcome]}`} style={{ left: `${left}%`, width: `${width}%` }} />
                  <span className="sr-only">
                    {ms((s.end_ms ?? t1) - s.start_ms)}, {s.outcome}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      {chosen && (
        <div className="mt-3 rounded-md border border-stone-200 bg-stone-50 p-3 text-xs" data-testid="span-details">
          <p className="font-medium">
            {chosen.name} <span className="text-stone-500">({chosen.kind}, {chosen.outcome}, {ms((chosen.end_ms ?? t1) - chosen.start_ms)})</span>
          </p>
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 font-mono">
            {Object.entries(chosen.attributes as Record<string, unknown>).map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="text-stone-600">{k}</dt>
                <dd className="break-all">{value(v)}</dd>
              </div>
            ))}
          </dl>
          {chosen.events.map((e, i) => (
            <p key={i} className="mt-2 text-red-900">
              event {e.name}: {Object.entries(e.attributes as Record<string, unknown>).map(([k, v]) => `${k}=${value(v)}`).join(", ")}
            </p>
          ))}
        </div>
      )}
      <h4 className="mt-4 text-sm font-medium">Log lines {chosen ? "of this span" : "of the trace"}</h4>
      {logsOf(chosen?.span_id ?? null).length === 0 ? (
        <p className="text-xs text-stone-500">None {reading.store === "xray" && reading.status === "found" ? "in CloudWatch Logs for this trace" : "stored with this trace"}.</p>
      ) : (
        <ul className="mt-1 space-y-0.5 font-mono text-xs" data-testid="trace-logs">
          {logsOf(chosen?.span_id ?? null).map((l, i) => (
            <li key={i}>
              <span className="text-stone-500">{new Date(l.time_ms).toISOString().slice(11, 23)}</span>{" "}
              <span className={/error|warn/i.test(l.severity) ? "text-red-800" : ""}>{l.severity}</span> {l.service}: {l.body}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The shell command that reads the same thing from the same store. */
export function Command({ command }: { command: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="mt-3 flex items-start gap-2">
      {/* Focusable: a long command scrolls sideways, and a keyboard user must be able to scroll it. */}
      <code
        tabIndex={0}
        className="block flex-1 overflow-x-auto whitespace-pre rounded bg-stone-900 px-2 py-1.5 text-xs text-stone-100"
        data-testid="readback-command"
      >
        {command}
      </code>
      <button
        type="button"
        className="rounded border border-stone-300 px-2 py-1 text-xs hover:bg-stone-50"
        onClick={() => {
          navigator.clipboard?.writeText(command).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
