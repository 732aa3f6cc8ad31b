"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";

import { OrderSummary } from "@/components/order-summary";
import { ErrorState, Loading } from "@/components/states";
import { api, ApiError, unwrap, type Order } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

import { asApiError, FormError, RequireLogin, secondaryButtonClass } from "../ui";
import { StatusBadge, statusLabel } from "./status";

export function AccountOrderView() {
  const id = useSearchParams().get("id") ?? "";
  return <RequireLogin>{() => <OrderDetail id={id} />}</RequireLogin>;
}

function OrderDetail({ id }: { id: string }) {
  const loaded = useLoad(`account-order-${id}`, () => unwrap(api.GET("/api/account/orders/{id}", { params: { path: { id } } })));
  // The order as the last action answered it (newer than the load).
  const [changed, setChanged] = useState<Order | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  if (loaded.state === "loading") return <Loading what="your order" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const order = changed?.id === id ? changed : loaded.data;
  const act = async (what: "cancel" | "return") => {
    setBusy(true);
    setError(null);
    try {
      const path = what === "cancel" ? "/api/account/orders/{id}/cancel" : "/api/account/orders/{id}/return";
      setChanged(await unwrap(api.POST(path, { params: { path: { id } } })));
    } catch (e) {
      setError(asApiError(e, what === "cancel" ? "Cancelling" : "Asking for a return"));
    }
    setBusy(false);
  };
  // What the shop allows (docs/orders.md): cancel before packing, a return after delivery. The
  // shop decides; a refusal is shown as it says it.
  const cancellable = order.status === "placed" || order.status === "paid";
  const returnable = order.status === "delivered";
  return (
    <section aria-labelledby="order-title" className="mx-auto max-w-3xl">
      <p className="text-sm">
        <Link href="/account/orders/" className="text-emerald-800 underline">
          Your orders
        </Link>
      </p>
      <div className="mt-2 flex flex-wrap items-center justify-between gap-3">
        <h1 id="order-title" className="text-2xl font-semibold">
          Order <code className="text-lg">{order.id.slice(0, 8)}</code>
        </h1>
        <span data-testid="order-status" data-status={order.status}>
          <StatusBadge status={order.status} />
        </span>
      </div>
      <p className="mt-1 text-sm text-stone-600">
        Placed {new Date(order.created_at).toLocaleString()} · full id <code data-testid="order-id">{order.id}</code>
      </p>
      <div className="mt-4 space-y-3">
        <FormError error={error} />
        {(cancellable || returnable) && (
          <div className="flex flex-wrap gap-3">
            {cancellable && (
              <button type="button" onClick={() => void act("cancel")} disabled={busy} data-telemetry-name="cancel-order" className={secondaryButtonClass}>
                {busy ? "Cancelling…" : "Cancel order"}
              </button>
            )}
            {returnable && (
              <button type="button" onClick={() => void act("return")} disabled={busy} data-telemetry-name="return-order" className={secondaryButtonClass}>
                {busy ? "Asking…" : "Request a return"}
              </button>
            )}
          </div>
        )}
      </div>
      <div className="mt-6 grid gap-6 md:grid-cols-2">
        <section aria-labelledby="tracking-title" className="rounded-xl border border-stone-200 bg-white p-4">
          <h2 id="tracking-title" className="font-semibold">
            Tracking
          </h2>
          {order.tracking_number && (
            <p className="mt-2 text-sm">
              Carrier tracking number: <code data-testid="tracking-number">{order.tracking_number}</code>
            </p>
          )}
          <ol className="mt-3 space-y-2 text-sm" data-testid="status-history">
            {order.status_history.map((step, i) => (
              <li key={i} className="flex justify-between gap-3">
                <span>{statusLabel(step.status)}</span>
                <time dateTime={step.at} className="text-stone-500">
                  {new Date(step.at).toLocaleString()}
                </time>
              </li>
            ))}
          </ol>
        </section>
        <section aria-labelledby="ship-title" className="rounded-xl border border-stone-200 bg-white p-4 text-sm">
          <h2 id="ship-title" className="font-semibold">
            Shipping to
          </h2>
          <address className="mt-2 not-italic">
            {order.shipping_address.name}
            <br />
            {order.shipping_address.line1}
            {order.shipping_address.line2 ? `, ${order.shipping_address.line2}` : ""}
            <br />
            {order.shipping_address.postal_code} {order.shipping_address.city}, {order.shipping_address.country}
          </address>
        </section>
      </div>
      <OrderSummary order={order} />
    </section>
  );
}
