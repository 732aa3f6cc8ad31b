import Link from "next/link";

import type { Product } from "@/lib/api";
import { money } from "@/lib/money";
import { StockBadge } from "@/components/stock-badge";
import { useRenderTiming } from "@/telemetry/hooks";

export function ProductCard({ product }: { product: Product }) {
  return (
    <li className="group rounded-xl border border-stone-200 bg-white p-3 shadow-sm transition hover:shadow-md">
      <Link href={`/product/?id=${product.id}`} className="block focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-700" data-testid="product-card">
        {/* The shop serves its own 200 × 200 thumbnails; nothing for next/image to optimise. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={product.thumbnail_url} alt="" width={200} height={200} loading="lazy" className="mx-auto aspect-square w-full rounded-lg bg-stone-100 object-cover" />
        <h3 className="mt-3 line-clamp-2 text-sm font-medium text-stone-900 group-hover:text-emerald-800">{product.name}</h3>
        <div className="mt-1 flex items-center justify-between">
          <span className="font-semibold text-stone-900">{money(product.price_cents, product.currency)}</span>
          <StockBadge status={product.stock.status} />
        </div>
      </Link>
    </li>
  );
}

export function ProductGrid({ products }: { products: Product[] }) {
  // A grid is timed once for each list of products it shows.
  useRenderTiming("product-grid", products.map((p) => p.id).join(","));
  return (
    <ul className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4">
      {products.map((p) => (
        <ProductCard key={p.id} product={p} />
      ))}
    </ul>
  );
}
