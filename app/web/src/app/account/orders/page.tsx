"use client";

import Link from "next/link";

import { Empty, ErrorState, Loading } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";
import { useRenderTiming } from "@/telemetry/hooks";

import { RequireLogin } from "../ui";
import { StatusBadge } from "../order/status";

export default function OrdersPage() {
  return <RequireLogin>{() => <Orders />}</RequireLogin>;
}

function Orders() {
  const loaded = useLoad("account-orders", () => unwrap(api.GET("/api/account/orders")));
  useRenderTiming("order-history", loaded.state === "done" ? "orders" : null);
  return (
    <section aria-labelledby="orders-title" className="mx-auto max-w-3xl">
      <p className="text-sm">
        <Link href="/account/" className="text-emerald-800 underline">
          Your account
        </Link>
      </p>
      <h1 id="orders-title" className="mt-2 text-2xl font-semibold">
        Your orders
      </h1>
      {loaded.state === "loading" && <Loading what="your orders" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.length === 0 ? (
          <Empty title="No orders yet.">
            <Link href="/" className="text-emerald-800 underline">
              Find something you like
            </Link>
          </Empty>
        ) : (
          <ul className="mt-4 divide-y divide-stone-200 rounded-xl border border-stone-200 bg-white" data-testid="order-history">
            {loaded.data.map((o) => (
              <li key={o.id}>
                <Link href={`/account/order/?id=${o.id}`} className="flex flex-wrap items-center justify-between gap-3 p-4 hover:bg-stone-50">
                  <span>
                    <span className="block font-medium">{new Date(o.created_at).toLocaleString()}</span>
                    <span className="block text-xs text-stone-500">
                      Order <code>{o.id.slice(0, 8)}</code> · {o.item_count} {o.item_count === 1 ? "item" : "items"}
                    </span>
                  </span>
                  <span className="flex items-center gap-3">
                    <StatusBadge status={o.status} />
                    <span className="font-medium">{money(o.total_cents, o.currency)}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
