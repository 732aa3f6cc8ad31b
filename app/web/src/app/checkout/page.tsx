"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState } from "react";

import { Empty, Loading } from "@/components/states";
import { api, ApiError, unwrap } from "@/lib/api";
import { useCart } from "@/lib/cart";
import { money } from "@/lib/money";
import { track } from "@/telemetry";
import { useCheckoutFlow, useFunnelStep, useRenderTiming } from "@/telemetry/hooks";

import { usePrefill } from "./prefill";

// The lab's payment methods: mock tokens the shop knows (its OpenAPI document lists them).
const PAYMENTS = [
  { id: "card", label: "Card (test token tok_visa)", payment: { method: "card", token: "tok_visa" } },
  { id: "declined", label: "Card that is declined (tok_chargeDeclined)", payment: { method: "card", token: "tok_chargeDeclined" } },
  { id: "wallet", label: "Digital wallet (wal_demo)", payment: { method: "wallet", token: "wal_demo" } },
  { id: "cod", label: "Cash on delivery", payment: { method: "cash_on_delivery" } },
] as const;

function field(f: FormData, name: string): string {
  return String(f.get(name) ?? "").trim();
}

export default function CheckoutPage() {
  const { cart, forget } = useCart();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  // One key per checkout attempt on this page: a retry after a lost answer places no second order.
  const idempotencyKey = useRef<string>(crypto.randomUUID());
  // A logged-in customer's e-mail and default address; a guest's form starts empty.
  const prefill = usePrefill();
  // The form is on screen: the funnel's step, the form's render, and the flow through its sections.
  const form = useRef<HTMLFormElement>(null);
  const shown = cart && cart.items.length > 0 && prefill ? cart.id : null;
  useFunnelStep("checkout_start", shown);
  useRenderTiming("checkout-form", shown);
  const flow = useCheckoutFlow(form, shown !== null);
  if (!cart || cart.items.length === 0)
    return (
      <Empty title="There is nothing to check out.">
        <Link href="/" className="text-emerald-800 underline">Find something first</Link>
      </Empty>
    );
  if (!prefill) return <Loading what="the checkout" />;
  const input = "mt-1 w-full rounded-md border border-stone-300 px-3 py-2 focus:border-emerald-700 focus:outline-none focus:ring-1 focus:ring-emerald-700";
  return (
    <div className="grid gap-8 md:grid-cols-[2fr_1fr]">
      <form
        ref={form}
        aria-label="Checkout"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const payment = PAYMENTS.find((p) => p.id === f.get("payment"))?.payment ?? PAYMENTS[0].payment;
          setBusy(true);
          setError(null);
          try {
            const order = await unwrap(
              api.POST("/api/orders", {
                params: { header: { "Idempotency-Key": idempotencyKey.current } },
                body: {
                  cart_id: cart.id,
                  email: field(f, "email"),
                  coupon_code: field(f, "coupon") || null,
                  shipping_address: {
                    name: field(f, "name"),
                    line1: field(f, "line1"),
                    line2: field(f, "line2"),
                    city: field(f, "city"),
                    postal_code: field(f, "postal_code"),
                    country: field(f, "country").toUpperCase(),
                  },
                  payment,
                },
              }),
            );
            flow.placed();
            track({ kind: "funnel", step: "order_placed" });
            forget();
            router.push(`/order/?id=${order.id}`);
          } catch (err) {
            flow.refused();
            setError(err instanceof ApiError ? err : new ApiError(0, "unexpected", "The order could not be placed."));
            // A refused checkout (a decline, a bad coupon) may be tried again as a new attempt.
            idempotencyKey.current = crypto.randomUUID();
            setBusy(false);
          }
        }}
        className="space-y-6"
      >
        <h1 className="text-2xl font-semibold">Checkout</h1>
        {error && (
          <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900" data-testid="checkout-error">
            {error.message}
            {error.field && <span className="block text-xs">Field: {error.field}</span>}
          </div>
        )}
        <fieldset className="space-y-3" data-telemetry-step="contact">
          <legend className="text-lg font-medium">Contact</legend>
          <label className="block text-sm">
            E-mail
            <input name="email" defaultValue={prefill.email} type="email" autoComplete="email" required maxLength={254} className={input} />
          </label>
        </fieldset>
        <fieldset className="grid gap-3 sm:grid-cols-2" data-telemetry-step="address">
          <legend className="text-lg font-medium">Shipping address</legend>
          <label className="block text-sm sm:col-span-2">
            Full name
            <input name="name" defaultValue={prefill.address.name} autoComplete="name" required maxLength={100} className={input} />
          </label>
          <label className="block text-sm sm:col-span-2">
            Address
            <input name="line1" defaultValue={prefill.address.line1} autoComplete="address-line1" required maxLength={200} className={input} />
          </label>
          <label className="block text-sm sm:col-span-2">
            Address line 2 (optional)
            <input name="line2" defaultValue={prefill.address.line2} autoComplete="address-line2" maxLength={200} className={input} />
          </label>
          <label className="block text-sm">
            City
            <input name="city" defaultValue={prefill.address.city} autoComplete="address-level2" required maxLength={100} className={input} />
          </label>
          <label className="block text-sm">
            Postal code
            <input name="postal_code" defaultValue={prefill.address.postal_code} autoComplete="postal-code" required maxLength={20} className={input} />
          </label>
          <label className="block text-sm">
            Country (two letters)
            <input name="country" autoComplete="country" required minLength={2} maxLength={2} defaultValue={prefill.address.country ?? "JP"} className={input} />
          </label>
        </fieldset>
        <fieldset className="space-y-2" data-telemetry-step="payment">
          <legend className="text-lg font-medium">Payment</legend>
          {PAYMENTS.map((p, i) => (
            <label key={p.id} className="flex items-center gap-2 text-sm">
              <input type="radio" name="payment" value={p.id} defaultChecked={i === 0} />
              {p.label}
            </label>
          ))}
        </fieldset>
        <label className="block text-sm" data-telemetry-step="coupon">
          Coupon (optional)
          <input name="coupon" maxLength={40} className={input} />
        </label>
        <button type="submit" data-telemetry-name="place-order" disabled={busy} className="w-full rounded-md bg-emerald-800 px-5 py-3 font-medium text-white hover:bg-emerald-700 disabled:opacity-60">
          {busy ? "Placing your order…" : "Place order"}
        </button>
      </form>
      <aside aria-label="Order summary" className="h-fit rounded-xl border border-stone-200 bg-white p-4">
        <h2 className="font-semibold">Summary</h2>
        <ul className="mt-3 space-y-2 text-sm">
          {cart.items.map((i) => (
            <li key={i.id} className="flex justify-between gap-3">
              <span>
                {i.quantity} × {i.name}
              </span>
              <span>{money(i.line_total_cents, cart.currency)}</span>
            </li>
          ))}
        </ul>
        <p className="mt-3 flex justify-between border-t border-stone-200 pt-3 font-semibold">
          <span>Subtotal</span>
          <span>{money(cart.subtotal_cents, cart.currency)}</span>
        </p>
        <p className="mt-1 text-xs text-stone-500">Shipping and discounts are worked out when you place the order.</p>
      </aside>
    </div>
  );
}
