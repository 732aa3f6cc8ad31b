"use client";

// Orders (`GET /api/admin/orders`), newest first, by status; no customer's personal data here.
import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { useAdmin } from "@/components/admin/shell";
import { FilterLinks, PageTitle, table } from "@/components/admin/ui";
import { Empty, ErrorState, Loading } from "@/components/states";
import { adminApi, type AdminSchemas, when } from "@/lib/admin";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";

type Status = AdminSchemas["OrderStatus"];
export const STATUSES: Status[] = ["placed", "paid", "packed", "shipped", "delivered", "cancelled", "return_requested", "returned"];
const PER_PAGE = 50;

export function statusLabel(s: Status): string {
  return s.replace("_", " ");
}

export function OrdersView() {
  const params = useSearchParams();
  const { call } = useAdmin();
  const status = STATUSES.find((s) => s === params.get("status"));
  const page = Math.max(1, Number(params.get("page")) || 1);
  const loaded = useLoad(`orders-${status}-${page}`, () =>
    call(() => adminApi.GET("/api/admin/orders", { params: { query: { status, limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE } } })),
  );
  const href = (s?: Status, p = 1) => `/admin/orders/?${new URLSearchParams({ ...(s ? { status: s } : {}), ...(p > 1 ? { page: String(p) } : {}) })}`;
  return (
    <>
      <PageTitle>Orders</PageTitle>
      <FilterLinks
        label="Order status"
        capitalize
        links={[undefined, ...STATUSES].map((s) => ({ href: href(s), text: s ? statusLabel(s) : "All", current: status === s }))}
      />
      {loaded.state === "loading" && <Loading what="orders" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.length === 0 ? (
          <Empty title={status ? `No ${statusLabel(status)} orders.` : "No orders yet."} />
        ) : (
          <>
            <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
              <table className={table} data-testid="admin-orders">
                <thead>
                  <tr>
                    <th scope="col">Order</th>
                    <th scope="col">Placed</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="text-right">
                      Units
                    </th>
                    <th scope="col" className="text-right">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.data.slice(0, PER_PAGE).map((o) => (
                    <tr key={o.id}>
                      <td>
                        <Link href={`/admin/order/?id=${o.id}`} className="font-mono text-xs text-emerald-800 hover:underline">
                          {o.id}
                        </Link>
                      </td>
                      <td className="text-xs">{when(o.created_at)}</td>
                      <td className="capitalize">{statusLabel(o.status)}</td>
                      <td className="text-right tabular-nums">{o.units}</td>
                      <td className="text-right tabular-nums">{money(o.total_cents, o.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav aria-label="Pages" className="mt-6 flex justify-center gap-3 text-sm">
              {page > 1 && (
                <Link className="rounded-md border border-stone-300 px-3 py-1.5" href={href(status, page - 1)}>
                  Previous
                </Link>
              )}
              <span className="px-2 py-1.5 text-stone-600">Page {page}</span>
              {loaded.data.length > PER_PAGE && (
                <Link className="rounded-md border border-stone-300 px-3 py-1.5" href={href(status, page + 1)}>
                  Next
                </Link>
              )}
            </nav>
          </>
        ))}
    </>
  );
}
