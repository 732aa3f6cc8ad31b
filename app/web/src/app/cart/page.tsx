"use client";

import Link from "next/link";
import { useState } from "react";

import { Empty, ErrorState } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { useCart } from "@/lib/cart";
import { money } from "@/lib/money";
import { track } from "@/telemetry";
import { useFunnelStep, useRenderTiming } from "@/telemetry/hooks";

export default function CartPage() {
  const { cart, refresh } = useCart();
  const [error, setError] = useState<unknown>(null);
  const lines = cart && cart.items.length > 0 ? cart.id : null;
  useFunnelStep("cart_view", lines);
  useRenderTiming("cart-table", lines);
  if (!cart || cart.items.length === 0)
    return (
      <>
        <h1 className="text-2xl font-semibold">Your cart</h1>
        <Empty title="Your cart is empty.">
          <Link href="/" className="text-emerald-800 underline">Keep shopping</Link>
        </Empty>
      </>
    );
  const change = async (itemId: number, quantity: number) => {
    setError(null);
    const action = quantity < 1 ? "remove" : "quantity";
    try {
      const path = { id: cart.id, item_id: itemId };
      if (quantity < 1) await unwrap(api.DELETE("/api/carts/{id}/items/{item_id}", { params: { path } }));
      else await unwrap(api.PATCH("/api/carts/{id}/items/{item_id}", { params: { path }, body: { quantity } }));
      track({ kind: "cart", action, outcome: "ok", quantity });
      await refresh();
    } catch (e) {
      track({ kind: "cart", action, outcome: "error", quantity });
      setError(e);
    }
  };
  return (
    <>
      <h1 className="text-2xl font-semibold">Your cart</h1>
      {error != null && <ErrorState error={error} />}
      <table className="mt-6 w-full text-left text-sm">
        <thead className="border-b border-stone-300 text-stone-500">
          <tr>
            <th scope="col" className="py-2">Product</th>
            <th scope="col" className="py-2">Price</th>
            <th scope="col" className="py-2">Quantity</th>
            <th scope="col" className="py-2 text-right">Total</th>
          </tr>
        </thead>
        <tbody>
          {cart.items.map((item) => (
            <tr key={item.id} className="border-b border-stone-200" data-testid="cart-line">
              <td className="py-3">
                <Link href={`/product/?id=${item.product_id}`} className="hover:text-emerald-800">{item.name}</Link>
              </td>
              <td className="py-3">{money(item.unit_price_cents, cart.currency)}</td>
              <td className="py-3">
                <label className="sr-only" htmlFor={`qty-${item.id}`}>Quantity of {item.name}</label>
                <input
                  id={`qty-${item.id}`}
                  type="number"
                  min={1}
                  max={99}
                  defaultValue={item.quantity}
                  onBlur={(e) => {
                    const q = Number(e.target.value);
                    if (Number.isInteger(q) && q !== item.quantity) void change(item.id, q);
                  }}
                  className="w-16 rounded-md border border-stone-300 px-2 py-1"
                />
                <button type="button" data-telemetry-name="cart-remove" onClick={() => void change(item.id, 0)} className="ml-3 text-stone-500 underline hover:text-red-800">
                  Remove
                </button>
              </td>
              <td className="py-3 text-right">{money(item.line_total_cents, cart.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="mt-6 flex items-center justify-end gap-6">
        <p className="text-lg">
          Subtotal <span className="font-semibold" data-testid="subtotal">{money(cart.subtotal_cents, cart.currency)}</span>
        </p>
        <Link href="/checkout/" data-telemetry-name="checkout" className="rounded-md bg-emerald-800 px-5 py-2 font-medium text-white hover:bg-emerald-700">
          Check out
        </Link>
      </div>
    </>
  );
}
