// An order's status as a customer reads it (docs/orders.md, "The status machine").
const LABELS: Record<string, string> = {
  placed: "Placed",
  paid: "Paid",
  packed: "Packed",
  shipped: "Shipped",
  delivered: "Delivered",
  cancelled: "Cancelled",
  return_requested: "Return requested",
  returned: "Returned",
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status;
}

export function StatusBadge({ status }: { status: string }) {
  const tone =
    status === "cancelled" || status === "returned"
      ? "bg-stone-200 text-stone-800"
      : status === "return_requested"
        ? "bg-amber-100 text-amber-900"
        : "bg-emerald-100 text-emerald-900";
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${tone}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
