"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { OrderSummary } from "@/components/order-summary";
import { ErrorState, Loading } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

export function OrderView() {
  const id = useSearchParams().get("id") ?? "";
  const loaded = useLoad(`order-${id}`, () => unwrap(api.GET("/api/orders/{id}", { params: { path: { id } } })));
  if (loaded.state === "loading") return <Loading what="your order" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const order = loaded.data;
  const justPlaced = order.status === "placed" || order.status === "paid";
  return (
    <section aria-labelledby="thanks" className="mx-auto max-w-2xl">
      {/* Checkout lands here, and so do the mails' "follow your order" links, later. */}
      <h1 id="thanks" className="text-2xl font-semibold">
        {justPlaced ? "Thank you: your order is placed." : "Your order"}
      </h1>
      <p className="mt-2 text-stone-600">
        Order <code data-testid="order-id">{order.id}</code> is <strong data-testid="order-status">{order.status.replace("_", " ")}</strong>.
        {justPlaced && ` A confirmation is on its way to ${order.email}.`}
      </p>
      <OrderSummary order={order} />
      <Link href="/" className="mt-8 inline-block text-emerald-800 underline">Continue shopping</Link>
    </section>
  );
}
