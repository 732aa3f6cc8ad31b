// An order's lines and totals, as the customer reads them: on the confirmation page a guest (or a
// mail's link) opens, and on the order in the customer's account.
import type { Order } from "@/lib/api";
import { money } from "@/lib/money";

export function OrderSummary({ order }: { order: Order }) {
  return (
    <>
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
        {(order.refunded_cents ?? 0) > 0 && (
          <div className="flex justify-between"><dt>Refunded</dt><dd>{money(order.refunded_cents ?? 0, order.currency)}</dd></div>
        )}
      </dl>
    </>
  );
}
