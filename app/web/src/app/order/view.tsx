"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { ErrorState, Loading } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";

export function OrderView() {
  const id = useSearchParams().get("id") ?? "";
  const loaded = useLoad(`order-${id}`, () => unwrap(api.GET("/api/orders/{id}", { params: { path: { id } } })));
  if (loaded.state === "loading") return <Loading what="your order" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const order = loaded.data;
  return (
    <section aria-labelledby="thanks" className="mx-auto max-w-2xl">
      <h1 id="thanks" className="text-2xl font-semibold">Thank you: your order is placed.</h1>
      <p className="mt-2 text-stone-600">
        Order <code data-testid="order-id">{order.id}</code> is <strong data-testid="order-status">{order.status}</strong>. A confirmation is on
        its way to {order.email}.
      </p>
      <ul className="mt-6 divide-y divide-stone-200 rounded-xl border border-stone-200 bg-white">
        {order.items.map((i) => (
          <li key={i.product_id} className="flex justify-between p-3 text-sm">
            <span>
              {i.quantity} × {i.name}
            </span>
            <span>{money(i.line_total_cents, order.currency)}</span>
          </li>
        ))}
      </ul>
      <dl className="mt-4 space-y-1 text-sm">
        <div className="flex justify-between"><dt>Subtotal</dt><dd>{money(order.subtotal_cents, order.currency)}</dd></div>
        {order.discount_cents > 0 && (
          <div className="flex justify-between"><dt>Discount{order.coupon_code && ` (${order.coupon_code})`}</dt><dd>−{money(order.discount_cents, order.currency)}</dd></div>
        )}
        <div className="flex justify-between"><dt>Shipping</dt><dd>{order.shipping_cents === 0 ? "Free" : money(order.shipping_cents, order.currency)}</dd></div>
        <div className="flex justify-between text-base font-semibold"><dt>Total</dt><dd data-testid="order-total">{money(order.total_cents, order.currency)}</dd></div>
      </dl>
      <Link href="/" className="mt-8 inline-block text-emerald-800 underline">Continue shopping</Link>
    </section>
  );
}
