"use client";

// Bulk edit by CSV (docs/admin.md, "Bulk edit by CSV"): a file, its preview
// (`POST /api/admin/catalog/import/preview`: what each row would do, every bad row), then the
// import (`POST /api/admin/catalog/import`, all or nothing). The export is the file to start from.
import Link from "next/link";
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Done, PageTitle, primary, Problem, secondary, table } from "@/components/admin/ui";
import { ApiError } from "@/lib/api";
import { adminApi, type AdminSchemas, download } from "@/lib/admin";

type Report = AdminSchemas["ImportReport"];

const MAX_BYTES = 2 * 1024 * 1024;

export function ImportView() {
  const { call } = useAdmin();
  const [csv, setCsv] = useState<{ name: string; text: string } | null>(null);
  const [preview, setPreview] = useState<Report | null>(null);
  const [applied, setApplied] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const send = (path: "/api/admin/catalog/import/preview" | "/api/admin/catalog/import", text: string) =>
    call(() =>
      adminApi.POST(path, {
        body: text as never,
        bodySerializer: (b: unknown) => b as string,
        headers: { "Content-Type": "text/csv" },
      }),
    );

  return (
    <>
      <PageTitle
        actions={
          <button
            type="button"
            className={secondary}
            onClick={async () => {
              setError(null);
              try {
                download(await call(() => adminApi.GET("/api/admin/catalog/export", { parseAs: "blob" })), "catalog.csv");
              } catch (e) {
                setError(e);
              }
            }}
          >
            Download the catalog as CSV
          </button>
        }
      >
        Import products from CSV
      </PageTitle>
      <div className={card}>
        <p className="text-sm text-stone-600">
          Columns <code>sku,name,description,price_cents,currency,category</code> (the category&apos;s slug), as the export writes them. A known SKU
          updates its product, a new one creates a product, products missing from the file stay as they are. Nothing is written until you
          import, and then all rows or none.
        </p>
        <form
          className="mt-4 flex flex-wrap items-end gap-3"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!csv) return;
            setBusy(true);
            setError(null);
            setApplied(null);
            try {
              setPreview(await send("/api/admin/catalog/import/preview", csv.text));
            } catch (err) {
              setPreview(null);
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <div>
            <label htmlFor="csv-file" className="block text-sm font-medium">
              CSV file
            </label>
            <input
              id="csv-file"
              type="file"
              accept=".csv,text/csv"
              className="mt-1 block text-sm file:mr-3 file:rounded-md file:border file:border-stone-300 file:bg-white file:px-3 file:py-1.5"
              onChange={async (e) => {
                setPreview(null);
                setApplied(null);
                setError(null);
                const file = e.target.files?.[0];
                if (!file) return setCsv(null);
                if (file.size > MAX_BYTES) {
                  setCsv(null);
                  setError(new ApiError(413, "payload_too_large", "The file is over 2 MiB: split it."));
                  return;
                }
                setCsv({ name: file.name, text: await file.text() });
              }}
            />
          </div>
          <button type="submit" disabled={!csv || busy} data-telemetry-name="admin-import-preview" className={secondary}>
            Preview
          </button>
        </form>
        <Problem error={error} testId="import-error" />
      </div>
      {preview && !applied && (
        <Preview
          report={preview}
          busy={busy}
          apply={async () => {
            if (!csv) return;
            setBusy(true);
            setError(null);
            try {
              setApplied(await send("/api/admin/catalog/import", csv.text));
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        />
      )}
      {applied && (
        <Done testId="import-done">
          Imported: {applied.created} created, {applied.updated} updated, {applied.unchanged} unchanged.{" "}
          <Link href="/admin/products/" className="underline">
            See the products
          </Link>
        </Done>
      )}
    </>
  );
}

function Preview({ report, busy, apply }: { report: Report; busy: boolean; apply: () => void }) {
  const changes = report.created + report.updated;
  return (
    <section aria-labelledby="preview-title" className={`${card} mt-6`}>
      <h2 id="preview-title" className="text-lg font-semibold">
        What the import would do
      </h2>
      <p className="mt-1 text-sm text-stone-700" data-testid="import-summary">
        {report.rows} rows: {report.created} to create, {report.updated} to update, {report.unchanged} unchanged
        {report.errors.length > 0 && `, ${report.errors.length} errors`}.
      </p>
      {report.errors.length > 0 && (
        <>
          <h3 className="mt-4 text-sm font-semibold text-red-900">Errors: fix them in the file and preview again</h3>
          <div className="overflow-x-auto">
            <table className={`${table} mt-1`} data-testid="import-errors">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">SKU</th>
                  <th scope="col">Field</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {report.errors.map((e, i) => (
                  <tr key={`${e.line}-${e.field}-${i}`}>
                    <td>{e.line}</td>
                    <td className="font-mono text-xs">{e.sku ?? ""}</td>
                    <td>{e.field}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {report.plan.some((r) => r.action !== "unchanged") && (
        <div className="mt-4 max-h-96 overflow-auto">
          <table className={table} data-testid="import-plan">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">SKU</th>
                <th scope="col">Action</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {report.plan
                .filter((r) => r.action !== "unchanged")
                .map((r) => (
                  <tr key={r.line}>
                    <td>{r.line}</td>
                    <td className="font-mono text-xs">{r.sku}</td>
                    <td>{r.action}</td>
                    <td>{r.changed.join(", ")}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
      <button
        type="button"
        disabled={busy || report.errors.length > 0 || changes === 0}
        data-telemetry-name="admin-import-apply"
        onClick={apply}
        className={`${primary} mt-4`}
      >
        {changes === 0 ? "Nothing to import" : `Import ${changes} changes`}
      </button>
    </section>
  );
}
