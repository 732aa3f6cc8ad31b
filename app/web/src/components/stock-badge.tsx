import type { Schemas } from "@/lib/api";

const LABELS: Record<Schemas["StockStatus"], [string, string]> = {
  in_stock: ["In stock", "bg-emerald-50 text-emerald-800"],
  low_stock: ["Only a few left", "bg-amber-50 text-amber-800"],
  out_of_stock: ["Sold out", "bg-stone-100 text-stone-600"],
};

export function StockBadge({ status }: { status: Schemas["StockStatus"] }) {
  const [label, style] = LABELS[status];
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${style}`}>{label}</span>;
}
