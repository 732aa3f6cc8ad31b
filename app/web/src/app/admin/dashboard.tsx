"use client";

// The back office's first page: sales of the last 30 days (`GET /api/admin/reports/sales`) and
// the products low on stock (`GET /api/admin/inventory/alerts`, `GET /api/admin/inventory`).
// Each panel shows only what the admin's roles may read.
import Link from "next/link";

import { useAdmin } from "@/components/admin/shell";
import { card, PageTitle, table } from "@/components/admin/ui";
import { Empty, ErrorState, Loading } from "@/components/states";
import { adminApi, mayRead, when } from "@/lib/admin";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";
import { useRenderTiming } from "@/telemetry/hooks";

const DAY = 86_400_000;
/** Products shown in the low-stock panel, and alerts. */
const SHOWN = 10;

export function Dashboard() {
  const { me } = useAdmin();
  const roles = me.admin.roles;
  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      <p className="mb-6 text-sm text-stone-600">Welcome, {me.admin.name}.</p>
      <div className="grid gap-6 xl:grid-cols-2">
        {mayRead(roles, "sales") && <Sales />}
        {mayRead(roles, "inventory") && <LowStock />}
        {!mayRead(roles, "sales") && !mayRead(roles, "inventory") && (
          <Empty title="Nothing to show here for your roles.">Use the navigation to reach what you may see.</Empty>
        )}
      </div>
    </>
  );
}

function Sales() {
  const { call } = useAdmin();
  const loaded = useLoad("sales", () => {
    // Whole UTC days: the 30 days up to and including today.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const from = new Date(today - 29 * DAY).toISOString();
    return call(() => adminApi.GET("/api/admin/reports/sales", { params: { query: { group: "day", from } } })).then((rows) => ({ rows: Array.isArray(rows) ? rows : [], today }));
  });
  // The dashboard's main chart: its render once the figures are in.
  useRenderTiming("admin-dashboard", loaded.state === "done" ? "sales" : null);
  return (
    <section aria-labelledby="sales-title" className={card}>
      <h2 id="sales-title" className="text-lg font-semibold">
        Sales, last 30 days
      </h2>
      {loaded.state === "loading" && <Loading what="sales" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" && <SalesBody rows={loaded.data.rows} today={loaded.data.today} />}
    </section>
  );
}

type SalesRow = { key: string; label: string; orders: number; units: number; revenue_cents: number };

function SalesBody({ rows, today }: { rows: SalesRow[]; today: number }) {
  const byDay = new Map(rows.map((r) => [r.key, r]));
  const days = Array.from({ length: 30 }, (_, i) => new Date(today - (29 - i) * DAY).toISOString().slice(0, 10));
  const series = days.map((d) => byDay.get(d)?.revenue_cents ?? 0);
  const total = rows.reduce((s, r) => ({ orders: s.orders + r.orders, units: s.units + r.units, revenue: s.revenue + r.revenue_cents }), {
    orders: 0,
    units: 0,
    revenue: 0,
  });
  const max = Math.max(1, ...series);
  return (
    <>
      <dl className="mt-3 grid grid-cols-3 gap-3 text-center">
        <div>
          <dt className="text-xs text-stone-500">Revenue</dt>
          <dd className="text-xl font-semibold" data-testid="sales-revenue">
            {money(total.revenue)}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-stone-500">Orders</dt>
          <dd className="text-xl font-semibold">{total.orders}</dd>
        </div>
        <div>
          <dt className="text-xs text-stone-500">Units</dt>
          <dd className="text-xl font-semibold">{total.units}</dd>
        </div>
      </dl>
      <svg viewBox="0 0 300 80" role="img" aria-label={`Revenue per day over the last 30 days, at most ${money(max)} a day`} className="mt-4 h-24 w-full">
        {series.map((v, i) => (
          <rect key={days[i]} x={i * 10 + 1} width={8} y={80 - (v / max) * 76} height={(v / max) * 76} className="fill-emerald-700">
            <title>{`${days[i]}: ${money(v)}`}</title>
          </rect>
        ))}
        <line x1={0} x2={300} y1={79.5} y2={79.5} className="stroke-stone-300" />
      </svg>
      <p className="mt-1 flex justify-between text-xs text-stone-500">
        <span>{days[0]}</span>
        <span>{days[29]}</span>
      </p>
      {rows.length === 0 && <p className="mt-2 text-sm text-stone-600">No sales in this period.</p>}
      <p className="mt-2 text-xs text-stone-500">Line totals at the price paid, before coupons and shipping; cancelled and returned orders left out. Days are UTC.</p>
    </>
  );
}

function LowStock() {
  const { call } = useAdmin();
  const loaded = useLoad("low-stock", async () => {
    const [alerts, low, out] = await Promise.all([
      call(() => adminApi.GET("/api/admin/inventory/alerts", { params: { query: { limit: 5 } } })),
      call(() => adminApi.GET("/api/admin/inventory", { params: { query: { status: "low_stock", limit: SHOWN } } })),
      call(() => adminApi.GET("/api/admin/inventory", { params: { query: { status: "out_of_stock", limit: SHOWN } } })),
    ]);
    // Sold out first, then low; the rest is under Inventory.
    const all = [...out, ...low];
    const levels = all.slice(0, SHOWN);
    // Their names: the levels carry the product's id only.
    const ids = [...new Set([...levels.map((l) => l.product_id), ...alerts.map((a) => a.product_id)])];
    const names = new Map(
      await Promise.all(
        ids.map((id) =>
          call(() => adminApi.GET("/api/admin/products/{id}", { params: { path: { id } } })).then(
            (p) => [id, p.name] as const,
            () => [id, `Product ${id}`] as const,
          ),
        ),
      ),
    );
    return { alerts, levels, more: all.length > SHOWN, names };
  });
  return (
    <section aria-labelledby="low-stock-title" className={card}>
      <h2 id="low-stock-title" className="text-lg font-semibold">
        Low stock
      </h2>
      {loaded.state === "loading" && <Loading what="stock levels" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.levels.length === 0 ? (
          <Empty title="Every product is above its threshold." />
        ) : (
          <div className="overflow-x-auto">
            <table className={`${table} mt-2`} data-testid="low-stock">
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">On hand</th>
                  <th scope="col">Threshold</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.levels.map((l) => (
                  <tr key={l.product_id}>
                    <td>
                      <Link className="text-emerald-800 hover:underline" href={`/admin/stock/?id=${l.product_id}`}>
                        {loaded.data.names.get(l.product_id) ?? `Product ${l.product_id}`}
                      </Link>
                    </td>
                    <td className={l.quantity === 0 ? "font-semibold text-red-800" : ""}>{l.quantity}</td>
                    <td>{l.low_stock_threshold}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {loaded.data.more && (
              <Link href="/admin/inventory/?status=low_stock" className="mt-2 inline-block text-sm text-emerald-800 underline">
                More under Inventory
              </Link>
            )}
          </div>
        ))}
      {loaded.state === "done" && loaded.data.alerts.length > 0 && (
        <>
          <h3 className="mt-4 text-sm font-semibold">Recent alerts</h3>
          <ul className="mt-1 space-y-1 text-sm">
            {loaded.data.alerts.map((a) => (
              <li key={a.id}>
                {when(a.at)}: {loaded.data.names.get(a.product_id) ?? `Product ${a.product_id}`} fell to {a.quantity} (threshold {a.threshold})
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
