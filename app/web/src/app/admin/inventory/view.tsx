"use client";

// Stock levels (`GET /api/admin/inventory`), lowest first, by status, with each product's page
// of adjustments, history and forecast (/admin/stock/?id=).
import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { useAdmin } from "@/components/admin/shell";
import { FilterLinks, PageTitle, table } from "@/components/admin/ui";
import { Empty, ErrorState, Loading } from "@/components/states";
import { StockBadge } from "@/components/stock-badge";
import { adminApi, when } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

const PER_PAGE = 50;
const FILTERS = [
  ["", "All"],
  ["low_stock", "Low"],
  ["out_of_stock", "Out of stock"],
  ["in_stock", "In stock"],
] as const;

type Status = "in_stock" | "low_stock" | "out_of_stock";

export function InventoryView() {
  const params = useSearchParams();
  const { call } = useAdmin();
  const raw = params.get("status") ?? "";
  const status = (["in_stock", "low_stock", "out_of_stock"] as const).find((s) => s === raw);
  const page = Math.max(1, Number(params.get("page")) || 1);
  const loaded = useLoad(`inventory-${status}-${page}`, async () => {
    const levels = await call(() =>
      adminApi.GET("/api/admin/inventory", { params: { query: { status, limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE } } }),
    );
    const shown = levels.slice(0, PER_PAGE);
    const names = new Map(
      await Promise.all(
        shown.map((l) =>
          call(() => adminApi.GET("/api/admin/products/{id}", { params: { path: { id: l.product_id } } })).then(
            (p) => [l.product_id, p.name] as const,
            () => [l.product_id, `Product ${l.product_id}`] as const,
          ),
        ),
      ),
    );
    return { levels: shown, more: levels.length > PER_PAGE, names };
  });
  const href = (s: string, p = 1) => `/admin/inventory/?${new URLSearchParams({ ...(s ? { status: s } : {}), ...(p > 1 ? { page: String(p) } : {}) })}`;
  return (
    <>
      <PageTitle>Inventory</PageTitle>
      <FilterLinks label="Stock status" links={FILTERS.map(([value, label]) => ({ href: href(value), text: label, current: (status ?? "") === value }))} />
      {loaded.state === "loading" && <Loading what="stock levels" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.levels.length === 0 ? (
          <Empty title="No product in this state." />
        ) : (
          <>
            <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
              <table className={table} data-testid="stock-levels">
                <thead>
                  <tr>
                    <th scope="col">Product</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="text-right">
                      On hand
                    </th>
                    <th scope="col" className="text-right">
                      Threshold
                    </th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.data.levels.map((l) => (
                    <tr key={l.product_id}>
                      <td>
                        <Link href={`/admin/stock/?id=${l.product_id}`} className="font-medium text-emerald-800 hover:underline">
                          {loaded.data.names.get(l.product_id)}
                        </Link>
                      </td>
                      <td>
                        <StockBadge status={l.status as Status} />
                      </td>
                      <td className="text-right tabular-nums">{l.quantity}</td>
                      <td className="text-right tabular-nums">{l.low_stock_threshold}</td>
                      <td className="text-xs text-stone-500">{when(l.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav aria-label="Pages" className="mt-6 flex justify-center gap-3 text-sm">
              {page > 1 && (
                <Link className="rounded-md border border-stone-300 px-3 py-1.5" href={href(status ?? "", page - 1)}>
                  Previous
                </Link>
              )}
              <span className="px-2 py-1.5 text-stone-600">Page {page}</span>
              {loaded.data.more && (
                <Link className="rounded-md border border-stone-300 px-3 py-1.5" href={href(status ?? "", page + 1)}>
                  Next
                </Link>
              )}
            </nav>
          </>
        ))}
    </>
  );
}
