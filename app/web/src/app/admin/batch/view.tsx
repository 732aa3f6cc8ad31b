"use client";

// Batch jobs (A-BATCH-01..03): the recent runs (`GET /api/admin/batch/runs`), whoever started
// them, and "run now" (`POST /api/admin/batch/{job}`, administrators). `?run=<id>` is where the
// stock report's mail links: that run is shown open. Each run is a trace of its own, so the
// trace id links to the Lab page, which reads it back from the telemetry store.
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { Done, FilterLinks, PageTitle, Problem, secondary, table } from "@/components/admin/ui";
import { Empty, ErrorState, Loading } from "@/components/states";
import { adminApi, type AdminSchemas, when } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

type Run = AdminSchemas["Run"];
export const JOBS = ["stock_report", "orders_export", "maintenance"] as const;
type Job = (typeof JOBS)[number];

const ABOUT: Record<Job, string> = {
  stock_report: "the low-stock report, mailed to the shop's staff",
  orders_export: "yesterday's orders as CSV, to the exports bucket",
  maintenance: "expired sessions and tokens purged, the audit chain verified",
};

function label(job: string): string {
  return job.replace("_", " ");
}

const OUTCOME_STYLE: Record<string, string> = {
  success: "bg-emerald-50 text-emerald-900",
  failed: "bg-red-50 text-red-900",
  running: "bg-sky-50 text-sky-900",
  abandoned: "bg-amber-50 text-amber-900",
};

export function BatchView() {
  const params = useSearchParams();
  const { me, call } = useAdmin();
  const job = JOBS.find((j) => j === params.get("job"));
  const open = params.get("run");
  // Read again after each run started here (`ran`), whatever the list's state was at the click: a
  // click while the first read is still under way must not leave the list without the new run.
  const [ran, setRan] = useState(0);
  const loaded = useLoad(`batch-runs-${job}-${ran}`, () => call(() => adminApi.GET("/api/admin/batch/runs", { params: { query: { job, limit: 100 } } })));
  const [busy, setBusy] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [finished, setFinished] = useState<Run | null>(null);
  const mayRun = me.admin.roles.includes("administrator");

  const runNow = async (j: Job) => {
    setBusy(j);
    setError(null);
    setFinished(null);
    try {
      const run = await call(() => adminApi.POST("/api/admin/batch/{job}", { params: { path: { job: j } } }));
      setFinished(run);
      setRan((n) => n + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const href = (j?: Job) => `/admin/batch/${j ? `?job=${j}` : ""}`;
  return (
    <>
      <PageTitle>Batch jobs</PageTitle>
      {mayRun && (
        <section aria-labelledby="run-now" className="mb-6">
          <h2 id="run-now" className="mb-2 text-lg font-medium">
            Run now
          </h2>
          <ul className="grid gap-2 sm:grid-cols-3">
            {JOBS.map((j) => (
              <li key={j} className="rounded-xl border border-stone-200 bg-white p-3 text-sm">
                <p className="font-medium capitalize">{label(j)}</p>
                <p className="mt-1 text-stone-600">{ABOUT[j]}</p>
                <button
                  type="button"
                  className={`${secondary} mt-2`}
                  disabled={busy !== null}
                  data-telemetry-name="admin-batch-run"
                  onClick={() => runNow(j)}
                >
                  {busy === j ? "Running…" : `Run ${label(j)}`}
                </button>
              </li>
            ))}
          </ul>
          {finished && (
            <Done testId="batch-finished">
              The {label(finished.job)} run finished: <strong>{finished.outcome}</strong>, {finished.items} item{finished.items === 1 ? "" : "s"}.
            </Done>
          )}
          <Problem error={error} testId="batch-problem" />
        </section>
      )}
      <h2 className="mb-2 text-lg font-medium">Recent runs</h2>
      <FilterLinks label="Job" capitalize links={[undefined, ...JOBS].map((j) => ({ href: href(j), text: j ? label(j) : "All", current: job === j }))} />
      {loaded.state === "loading" && <Loading what="batch runs" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.length === 0 ? (
          <Empty title={job ? `No ${label(job)} runs yet.` : "No batch runs yet."}>The schedule runs each job daily; an administrator can run one now.</Empty>
        ) : (
          <Runs runs={loaded.data} open={open} />
        ))}
    </>
  );
}

function Runs({ runs, open }: { runs: Run[]; open: string | null }) {
  const missing = open !== null && !runs.some((r) => r.id === open);
  // The mail's link names one run: bring it into view.
  useEffect(() => {
    if (open) document.getElementById(`run-${open}`)?.scrollIntoView({ block: "center" });
  }, [open]);
  return (
    <>
      {missing && (
        <p role="status" className="mb-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Run <code>{open}</code> is not among the 100 most recent runs shown here.
        </p>
      )}
      <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
        <table className={table} data-testid="batch-runs">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Job</th>
              <th scope="col">By</th>
              <th scope="col">Outcome</th>
              <th scope="col">Items</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} id={`run-${r.id}`} aria-current={r.id === open ? "true" : undefined} className="aria-[current=true]:bg-emerald-50/60">
                <td className="whitespace-nowrap text-xs">{when(r.started_at)}</td>
                <td className="capitalize">{label(r.job)}</td>
                <td className="text-xs">{r.triggered_by}</td>
                <td>
                  <span className={`rounded px-1.5 py-0.5 text-xs ${OUTCOME_STYLE[r.outcome] ?? ""}`}>{r.outcome}</span>
                </td>
                <td className="tabular-nums">{r.items}</td>
                <td className="text-xs">
                  <details open={r.id === open}>
                    <summary className="cursor-pointer">{r.finished_at ? `finished ${when(r.finished_at)}` : "still running"}</summary>
                    {r.detail != null && <pre className="mt-1 max-w-md overflow-x-auto rounded bg-stone-50 p-2 text-[11px]">{JSON.stringify(r.detail, null, 2)}</pre>}
                    <p className="mt-1">
                      Run <code>{r.id}</code>
                      {r.trace_id && (
                        <>
                          {" · "}
                          <Link className="text-emerald-800 underline" href={`/lab/?trace=${r.trace_id}`}>
                            its trace
                          </Link>
                        </>
                      )}
                    </p>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
