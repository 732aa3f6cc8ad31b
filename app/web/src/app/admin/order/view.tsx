"use client";

// One order (`GET /api/admin/orders/{id}`): lines, amounts, history, and the moves the status
// machine allows from here (`next`; `POST …/status`: shipping asks for a tracking number,
// `returned` accepts a return request). The customer's e-mail and address only on demand
// (`GET …/customer`): each read is audited.
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Field, input, PageTitle, primary, Problem, secondary, table } from "@/components/admin/ui";
import { ErrorState, Loading } from "@/components/states";
import { ApiError } from "@/lib/api";
import { adminApi, type AdminSchemas, mayRead, when } from "@/lib/admin";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";

import { statusLabel } from "../orders/view";

type Order = AdminSchemas["AdminOrder"];
type Status = AdminSchemas["OrderStatus"];

const MOVE_LABELS: Partial<Record<Status, string>> = {
  paid: "Mark as paid (cash on delivery)",
  packed: "Mark as packed",
  shipped: "Ship",
  delivered: "Mark as delivered",
  cancelled: "Cancel the order",
  returned: "Accept the return (stock back, refund)",
};

export function OrderView() {
  const id = useSearchParams().get("id") ?? "";
  const { call } = useAdmin();
  const loaded = useLoad(`admin-order-${id}`, () => {
    if (!id) throw new ApiError(404, "not_found", "There is no such order.");
    return call(() => adminApi.GET("/api/admin/orders/{id}", { params: { path: { id } } }));
  });
  const [latest, setLatest] = useState<Order | null>(null);
  if (loaded.state === "loading") return <Loading what="the order" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const order = latest?.id === loaded.data.id ? latest : loaded.data;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-stone-500">
        <Link href="/admin/orders/" className="hover:text-emerald-800">
          Orders
        </Link>{" "}
        / <span className="font-mono">{order.id}</span>
      </nav>
      <PageTitle>
        Order <span className="font-mono text-lg">{order.id}</span>
      </PageTitle>
      <p className="mb-6 text-sm">
        <span className="rounded-full bg-stone-100 px-2 py-0.5 font-medium capitalize" data-testid="admin-order-status">
          {statusLabel(order.status)}
        </span>{" "}
        placed {when(order.created_at)}, paid by {order.payment_method}
        {order.tracking_number && <> · tracking {order.tracking_number}</>}
      </p>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <section aria-labelledby="lines-title" className={card}>
          <h2 id="lines-title" className="text-lg font-semibold">
            Lines
          </h2>
          <div className="overflow-x-auto">
            <table className={`${table} mt-2`}>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" className="text-right">
                    Qty
                  </th>
                  <th scope="col" className="text-right">
                    Price
                  </th>
                  <th scope="col" className="text-right">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {order.items.map((i) => (
                  <tr key={i.product_id}>
                    <td>
                      <Link href={`/admin/product/?id=${i.product_id}`} className="text-emerald-800 hover:underline">
                        {i.name}
                      </Link>
                    </td>
                    <td className="text-right tabular-nums">{i.quantity}</td>
                    <td className="text-right tabular-nums">{money(i.unit_price_cents, order.currency)}</td>
                    <td className="text-right tabular-nums">{money(i.line_total_cents, order.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <dl className="mt-3 grid grid-cols-[1fr_auto] gap-x-4 text-sm">
            <dt>Subtotal</dt>
            <dd className="text-right tabular-nums">{money(order.subtotal_cents, order.currency)}</dd>
            {order.discount_cents > 0 && (
              <>
                <dt>Discount</dt>
                <dd className="text-right tabular-nums">−{money(order.discount_cents, order.currency)}</dd>
              </>
            )}
            <dt>Shipping</dt>
            <dd className="text-right tabular-nums">{money(order.shipping_cents, order.currency)}</dd>
            <dt className="font-semibold">Total</dt>
            <dd className="text-right font-semibold tabular-nums">{money(order.total_cents, order.currency)}</dd>
            {order.refunded_cents != null && (
              <>
                <dt>Refunded</dt>
                <dd className="text-right tabular-nums">{money(order.refunded_cents, order.currency)}</dd>
              </>
            )}
          </dl>
          <h3 className="mt-5 text-sm font-semibold">History</h3>
          <ol className="mt-1 space-y-1 text-sm">
            {order.status_history.map((s) => (
              <li key={`${s.status}-${s.at}`}>
                <span className="capitalize">{statusLabel(s.status)}</span> <span className="text-stone-500">{when(s.at)}</span>
              </li>
            ))}
          </ol>
        </section>
        <div className="space-y-6">
          <Moves order={order} moved={setLatest} />
          <Customer orderId={order.id} />
        </div>
      </div>
    </>
  );
}

function Moves({ order, moved }: { order: Order; moved: (o: Order) => void }) {
  const { call } = useAdmin();
  const [to, setTo] = useState<Status | null>(null);
  const [tracking, setTracking] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function move(target: Status) {
    setBusy(true);
    setError(null);
    try {
      const body = target === "shipped" ? { to: target, tracking_number: tracking.trim() } : { to: target };
      moved(await call(() => adminApi.POST("/api/admin/orders/{id}/status", { params: { path: { id: order.id } }, body })));
      setTo(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="moves-title" className={card}>
      <h2 id="moves-title" className="text-lg font-semibold">
        Next steps
      </h2>
      {order.next.length === 0 ? (
        <p className="mt-2 text-sm text-stone-600">This order has reached the end of its life.</p>
      ) : (
        <div className="mt-3 flex flex-col gap-2">
          {order.next.map((s) => (
            <button
              key={s}
              type="button"
              disabled={busy}
              data-telemetry-name="admin-order-move"
              className={s === "cancelled" ? secondary : primary}
              onClick={() => (s === "shipped" || s === "cancelled" || s === "returned" ? setTo(s) : void move(s))}
            >
              {MOVE_LABELS[s] ?? statusLabel(s)}
            </button>
          ))}
        </div>
      )}
      {to && (
        <form
          className="mt-4 rounded-lg bg-stone-50 p-3"
          onSubmit={(e) => {
            e.preventDefault();
            void move(to);
          }}
        >
          {to === "shipped" ? (
            <Field id="tracking" label="Tracking number" hint="The customer sees it.">
              <input id="tracking" required value={tracking} onChange={(e) => setTracking(e.target.value)} className={input} />
            </Field>
          ) : (
            <p className="text-sm">{to === "cancelled" ? "Cancel this order? Its units go back into stock." : "Accept the return? The units go back into stock and the total is refunded."}</p>
          )}
          <div className="mt-3 flex gap-2">
            <button type="submit" disabled={busy} className={primary}>
              Confirm
            </button>
            <button type="button" className={secondary} onClick={() => setTo(null)}>
              Back
            </button>
          </div>
        </form>
      )}
      <Problem error={error} />
    </section>
  );
}

function Customer({ orderId }: { orderId: string }) {
  const { call, me } = useAdmin();
  const [customer, setCustomer] = useState<AdminSchemas["OrderCustomer"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const allowed = me.admin.roles.some((r) => r === "order_manager" || r === "administrator");
  if (!allowed || !mayRead(me.admin.roles, "orders")) return null;
  return (
    <section aria-labelledby="customer-title" className={card}>
      <h2 id="customer-title" className="text-lg font-semibold">
        Customer
      </h2>
      {customer ? (
        <address className="mt-2 text-sm not-italic">
          {customer.email}
          <br />
          {customer.shipping_address.name}
          <br />
          {customer.shipping_address.line1}
          <br />
          {customer.shipping_address.postal_code} {customer.shipping_address.city}, {customer.shipping_address.country}
        </address>
      ) : (
        <>
          <p className="mt-1 text-sm text-stone-600">Personal data: each look is recorded in the audit log.</p>
          <button
            type="button"
            className={`${secondary} mt-3`}
            data-telemetry-name="admin-order-customer"
            onClick={async () => {
              setError(null);
              try {
                setCustomer(await call(() => adminApi.GET("/api/admin/orders/{id}/customer", { params: { path: { id: orderId } } })));
              } catch (e) {
                setError(e);
              }
            }}
          >
            Show the customer&apos;s details
          </button>
        </>
      )}
      <Problem error={error} />
    </section>
  );
}
