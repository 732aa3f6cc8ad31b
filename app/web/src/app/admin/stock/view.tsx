"use client";

// One product's stock (`/admin/stock/?id=`): adjust it with a reason
// (`POST /api/admin/inventory/{id}/adjustments`), its low-stock threshold (`PUT …/threshold`),
// its movements (`GET …/movements`) and the forecast (`GET …/forecast`), drawn as a line.
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useRef, useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Done, Field, input, PageTitle, primary, Problem, secondary, table } from "@/components/admin/ui";
import { ErrorState, Loading } from "@/components/states";
import { StockBadge } from "@/components/stock-badge";
import { ApiError } from "@/lib/api";
import { adminApi, type AdminSchemas, when } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";
import { useFormTask } from "@/telemetry/hooks";

const REASONS = [
  ["receiving", "Receiving (adds)"],
  ["damage", "Damage (removes)"],
  ["correction", "Correction (either way)"],
] as const;

export function StockView() {
  const id = Number(useSearchParams().get("id"));
  const { call } = useAdmin();
  const loaded = useLoad(`stock-${id}`, async () => {
    if (!Number.isInteger(id) || id < 1) throw new ApiError(404, "not_found", "There is no such product.");
    const path = { params: { path: { product_id: id } } };
    const [product, movements, forecast] = await Promise.all([
      call(() => adminApi.GET("/api/admin/products/{id}", { params: { path: { id } } })),
      call(() => adminApi.GET("/api/admin/inventory/{product_id}/movements", { params: { path: { product_id: id }, query: { limit: 50 } } })),
      call(() => adminApi.GET("/api/admin/inventory/{product_id}/forecast", path)),
    ]);
    return { product, movements, forecast };
  });
  if (loaded.state === "loading") return <Loading what="the stock" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const { product, movements, forecast } = loaded.data;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-stone-500">
        <Link href="/admin/inventory/" className="hover:text-emerald-800">
          Inventory
        </Link>{" "}
        / {product.name}
      </nav>
      <PageTitle
        actions={
          <Link href={`/admin/product/?id=${product.id}`} className={secondary}>
            Edit the product
          </Link>
        }
      >
        Stock of {product.name}
      </PageTitle>
      <p className="mb-6 flex items-center gap-3 text-sm">
        <StockBadge status={product.stock.status} />
        <span data-testid="stock-quantity">{product.stock.quantity} on hand</span>
        <span className="text-stone-500">low at {product.stock.low_stock_threshold}</span>
      </p>
      <div className="grid gap-6 lg:grid-cols-2">
        <Adjust productId={product.id} changed={loaded.reload} />
        <ThresholdForm productId={product.id} threshold={product.stock.low_stock_threshold} changed={loaded.reload} />
        <ForecastChart forecast={forecast} threshold={product.stock.low_stock_threshold} />
        <section aria-labelledby="movements-title" className={card}>
          <h2 id="movements-title" className="text-lg font-semibold">
            Movements
          </h2>
          {movements.length === 0 ? (
            <p className="mt-2 text-sm text-stone-600">None yet.</p>
          ) : (
            <div className="mt-2 max-h-96 overflow-auto">
              <table className={table} data-testid="movements">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Reason</th>
                    <th scope="col" className="text-right">
                      Change
                    </th>
                    <th scope="col">Reference</th>
                  </tr>
                </thead>
                <tbody>
                  {movements.map((m) => (
                    <tr key={m.id}>
                      <td className="text-xs">{when(m.at)}</td>
                      <td>{m.reason}</td>
                      <td className={`text-right tabular-nums ${m.delta < 0 ? "text-red-800" : "text-emerald-800"}`}>{m.delta > 0 ? `+${m.delta}` : m.delta}</td>
                      <td className="font-mono text-xs">{m.reference ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
    </>
  );
}

function Adjust({ productId, changed }: { productId: number; changed: () => void }) {
  const { call } = useAdmin();
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState<(typeof REASONS)[number][0]>("receiving");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const task = useFormTask("stock_adjust", form);
  return (
    <form
      ref={form}
      className={card}
      aria-labelledby="adjust-title"
      onSubmit={async (e) => {
        e.preventDefault();
        const n = Number(delta);
        if (!Number.isInteger(n) || n === 0) {
          setError(new ApiError(400, "validation_failed", "Give a whole number of units other than 0.", "delta"));
          task.refused();
          return;
        }
        setBusy(true);
        setError(null);
        try {
          // Damage always removes: the sign follows the reason.
          const signed = reason === "damage" ? -Math.abs(n) : reason === "receiving" ? Math.abs(n) : n;
          await call(() =>
            adminApi.POST("/api/admin/inventory/{product_id}/adjustments", { params: { path: { product_id: productId } }, body: { delta: signed, reason } }),
          );
          task.completed();
          changed();
        } catch (err) {
          task.refused();
          setError(err);
          setBusy(false);
        }
      }}
    >
      <h2 id="adjust-title" className="text-lg font-semibold">
        Adjust
      </h2>
      <Field id="adjust-reason" label="Reason">
        <select id="adjust-reason" value={reason} onChange={(e) => setReason(e.target.value as typeof reason)} className={input}>
          {REASONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <Field id="adjust-delta" label="Units" hint={reason === "correction" ? "Negative to remove, positive to add." : undefined}>
        <input id="adjust-delta" required inputMode="numeric" value={delta} onChange={(e) => setDelta(e.target.value)} className={`${input} tabular-nums`} />
      </Field>
      <Problem error={error} />
      <button type="submit" disabled={busy} data-telemetry-name="admin-stock-adjust" className={`${primary} mt-4`}>
        Adjust stock
      </button>
    </form>
  );
}

function ThresholdForm({ productId, threshold, changed }: { productId: number; threshold: number; changed: () => void }) {
  const { call } = useAdmin();
  const [value, setValue] = useState(String(threshold));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  return (
    <form
      className={card}
      aria-labelledby="threshold-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setSaved(false);
        try {
          await call(() =>
            adminApi.PUT("/api/admin/inventory/{product_id}/threshold", { params: { path: { product_id: productId } }, body: { threshold: Number(value) } }),
          );
          setSaved(true);
          changed();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2 id="threshold-title" className="text-lg font-semibold">
        Low-stock threshold
      </h2>
      <Field id="threshold" label="Alert when stock falls to" hint="An alert is raised when the stock crosses it downwards.">
        <input id="threshold" type="number" min={0} required value={value} onChange={(e) => setValue(e.target.value)} className={`${input} tabular-nums`} />
      </Field>
      <Problem error={error} />
      {saved && <Done>Saved.</Done>}
      <button type="submit" className={`${secondary} mt-4`}>
        Save threshold
      </button>
    </form>
  );
}

/** The forecast as a line: stock on hand falling at the daily rate, against the threshold. */
function ForecastChart({ forecast, threshold }: { forecast: AdminSchemas["Forecast"]; threshold: number }) {
  const horizon = 60;
  const w = 300;
  const h = 120;
  const top = Math.max(1, forecast.quantity, threshold);
  const x = (day: number) => (Math.min(day, horizon) / horizon) * w;
  const y = (units: number) => h - (Math.max(0, units) / top) * (h - 10);
  const cover = forecast.days_of_cover;
  const end = cover == null ? horizon : Math.min(horizon, cover);
  const line = `M ${x(0)} ${y(forecast.quantity)} L ${x(end)} ${y(forecast.quantity - forecast.daily_rate * end)}`;
  return (
    <section aria-labelledby="forecast-title" className={card}>
      <h2 id="forecast-title" className="text-lg font-semibold">
        Forecast
      </h2>
      <p className="mt-1 text-sm text-stone-700" data-testid="forecast">
        {cover == null
          ? `No sales in the last ${forecast.window_days} days: no forecast.`
          : `${forecast.units_sold} sold in ${forecast.window_days} days (${forecast.daily_rate.toFixed(2)} a day): about ${Math.floor(cover)} days of cover.`}
      </p>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={cover == null ? "No forecast" : `Stock falls from ${forecast.quantity} to 0 in about ${Math.floor(cover)} days`}
        className="mt-3 h-32 w-full"
      >
        <line x1={0} x2={w} y1={y(threshold)} y2={y(threshold)} strokeDasharray="4 3" className="stroke-amber-600" />
        <line x1={0} x2={w} y1={h - 0.5} y2={h - 0.5} className="stroke-stone-300" />
        <path d={line} fill="none" strokeWidth={2} className="stroke-emerald-700" />
      </svg>
      <p className="mt-1 flex justify-between text-xs text-stone-500">
        <span>today</span>
        <span className="text-amber-700">- - threshold {threshold}</span>
        <span>{horizon} days</span>
      </p>
      <p className="mt-2 text-xs text-stone-500">{forecast.method}</p>
    </section>
  );
}
