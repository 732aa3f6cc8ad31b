"use client";

// The audit log (`GET /api/admin/audit`) for a period, its hash chain checked on demand
// (`POST /api/admin/audit/verify`), and the compliance report (`GET /api/admin/reports/compliance`,
// a step-up) as a CSV or JSON download.
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Done, Field, input, PageTitle, primary, Problem, secondary, table } from "@/components/admin/ui";
import { Empty, ErrorState, Loading } from "@/components/states";
import { adminApi, type AdminSchemas, download, when } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The start of a UTC day typed as `yyyy-mm-dd`, RFC 3339. */
const start = (d: string) => `${d}T00:00:00Z`;
const next = (d: string) => new Date(Date.parse(start(d)) + DAY).toISOString();

export function AuditView() {
  const [from, setFrom] = useState(() => day(Date.now() - 6 * DAY));
  const [to, setTo] = useState(() => day(Date.now()));
  const [period, setPeriod] = useState({ from, to });
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <div className="grid gap-6 xl:grid-cols-2">
        <Verify />
        <Compliance from={from} to={to} />
      </div>
      <form
        className="mt-6 flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          setPeriod({ from, to });
        }}
      >
        <div>
          <label htmlFor="audit-from" className="block text-sm font-medium">
            From (UTC)
          </label>
          <input id="audit-from" type="date" required value={from} onChange={(e) => setFrom(e.target.value)} className={input} />
        </div>
        <div>
          <label htmlFor="audit-to" className="block text-sm font-medium">
            To (UTC, included)
          </label>
          <input id="audit-to" type="date" required value={to} onChange={(e) => setTo(e.target.value)} className={input} />
        </div>
        <button type="submit" className={secondary}>
          Show
        </button>
      </form>
      <Entries from={period.from} to={period.to} />
    </>
  );
}

function Entries({ from, to }: { from: string; to: string }) {
  const { call } = useAdmin();
  const loaded = useLoad(`audit-${from}-${to}`, () =>
    call(() => adminApi.GET("/api/admin/audit", { params: { query: { from: start(from), to: next(to), limit: 1000 } } })),
  );
  if (loaded.state === "loading") return <Loading what="the audit log" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  if (loaded.data.length === 0) return <Empty title="No entries in this period." />;
  const entries = [...loaded.data].reverse();
  return (
    <div className="mt-4 overflow-x-auto rounded-xl border border-stone-200 bg-white">
      <p className="px-3 pt-3 text-xs text-stone-500">
        {loaded.data.length} entries, newest first{loaded.data.length === 1000 && " (the first 1,000 of the period: choose a shorter one)"}.
      </p>
      <table className={table} data-testid="audit-entries">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.seq} className="align-top">
              <td className="tabular-nums">{e.seq}</td>
              <td className="whitespace-nowrap text-xs">{when(e.at)}</td>
              <td className="text-xs">
                {e.actor_kind}
                {e.actor && <span className="block font-mono text-stone-500">{e.actor}</span>}
              </td>
              <td className="font-mono text-xs">{e.action}</td>
              <td className="font-mono text-xs">{e.target}</td>
              <td className={e.outcome === "success" ? "text-emerald-800" : "text-red-800"}>{e.outcome}</td>
              <td className="text-xs">
                {(e.before || e.after || e.trace_id) && (
                  <details>
                    <summary className="cursor-pointer text-emerald-800">Show</summary>
                    {e.before && <pre className="mt-1 max-w-md overflow-auto whitespace-pre-wrap">before: {e.before}</pre>}
                    {e.after && <pre className="mt-1 max-w-md overflow-auto whitespace-pre-wrap">after: {e.after}</pre>}
                    {e.client_address && <p>from {e.client_address}</p>}
                    {e.trace_id && <p className="font-mono">trace {e.trace_id}</p>}
                  </details>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Verify() {
  const { call } = useAdmin();
  const [verdict, setVerdict] = useState<AdminSchemas["VerifyResponse"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="verify-title" className={card}>
      <h2 id="verify-title" className="text-lg font-semibold">
        The chain
      </h2>
      <p className="mt-1 text-sm text-stone-600">Each entry holds the hash of the one before: an edited, removed or re-hashed entry breaks the chain.</p>
      <button
        type="button"
        disabled={busy}
        data-telemetry-name="admin-audit-verify"
        className={`${primary} mt-3`}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            setVerdict(await call(() => adminApi.POST("/api/admin/audit/verify")));
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        Verify the chain
      </button>
      {verdict &&
        (verdict.intact ? (
          <Done testId="audit-verdict">
            Intact: {verdict.entries ?? 0} entries, head #{verdict.head_seq ?? 0}.
          </Done>
        ) : (
          <p role="alert" data-testid="audit-verdict" className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
            Broken at entry #{verdict.broken_at}: {verdict.problem}.
          </p>
        ))}
      <Problem error={error} />
    </section>
  );
}

function Compliance({ from, to }: { from: string; to: string }) {
  const { call } = useAdmin();
  const [format, setFormat] = useState<"csv" | "json">("csv");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="compliance-title" className={card}>
      <h2 id="compliance-title" className="text-lg font-semibold">
        Compliance report
      </h2>
      <p className="mt-1 text-sm text-stone-600">
        Role holders, role changes, privileged actions, failed logins and MFA failures, data exports, from {from} to {to} (the period below).
        Asks for your second factor if you have not given it in the last 10 minutes.
      </p>
      <Field id="compliance-format" label="Format">
        <select id="compliance-format" value={format} onChange={(e) => setFormat(e.target.value as "csv" | "json")} className={`${input} max-w-40`}>
          <option value="csv">CSV</option>
          <option value="json">JSON</option>
        </select>
      </Field>
      <button
        type="button"
        disabled={busy}
        data-telemetry-name="admin-compliance-report"
        className={`${secondary} mt-3`}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            const report = await call(() =>
              adminApi.GET("/api/admin/reports/compliance", { params: { query: { from: start(from), to: next(to), format } }, parseAs: "blob" }),
            );
            download(report as Blob, `compliance-${from}-${to}.${format}`);
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        Download the report
      </button>
      <Problem error={error} />
    </section>
  );
}
