"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";

import { ProductGrid } from "@/components/product-card";
import { ErrorState, Loading } from "@/components/states";
import { StockAlert } from "@/components/stock-alert";
import { StockBadge } from "@/components/stock-badge";
import { api, ApiError, unwrap } from "@/lib/api";
import { useCart } from "@/lib/cart";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";
import { track } from "@/telemetry";
import { useFunnelStep, useRenderTiming } from "@/telemetry/hooks";

export function ProductView() {
  const id = Number(useSearchParams().get("id"));
  const valid = Number.isInteger(id) && id >= 1;
  const loaded = useLoad(`product-${id}`, async () => {
    if (!valid) throw new ApiError(404, "not_found", "There is no such product.");
    const [product, related, reviews] = await Promise.all([
      unwrap(api.GET("/api/products/{id}", { params: { path: { id } } })),
      // Bought together first, then the same category (the shop's order), four in all.
      unwrap(api.GET("/api/products/{id}/related", { params: { path: { id } } }))
        .then((r) => [...r.bought_together.map((b) => b.product), ...r.same_category].slice(0, 4))
        .catch(() => null),
      unwrap(api.GET("/api/products/{id}/reviews", { params: { path: { id } } })).catch(() => null),
    ]);
    return { product, related, reviews };
  });
  const shown = loaded.state === "done" ? String(loaded.data.product.id) : null;
  useFunnelStep("product_view", shown);
  useRenderTiming("product-detail", shown);
  if (loaded.state === "loading") return <Loading what="the product" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const { product, related, reviews } = loaded.data;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-4 text-sm text-stone-500">
        <Link href={`/category/?id=${product.category.id}`} className="hover:text-emerald-800">
          {product.category.name}
        </Link>{" "}
        / {product.name}
      </nav>
      <div className="grid gap-8 md:grid-cols-2">
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={product.image_url} alt={product.name} width={600} height={600} className="w-full rounded-2xl border border-stone-200 bg-white" />
        <div>
          <h1 className="text-2xl font-semibold">{product.name}</h1>
          <p className="mt-1 text-sm text-stone-500">SKU {product.sku}</p>
          <p className="mt-4 text-2xl font-semibold" data-testid="price">{money(product.price_cents, product.currency)}</p>
          <div className="mt-2">
            <StockBadge status={product.stock.status} />
          </div>
          {product.rating.count > 0 && product.rating.average != null && (
            <p className="mt-2 text-sm text-stone-600">
              ★ {product.rating.average.toFixed(1)} from {product.rating.count} reviews
            </p>
          )}
          <p className="mt-4 text-stone-700">{product.description}</p>
          {product.stock.status === "out_of_stock" ? (
            <StockAlert productId={product.id} />
          ) : (
            <AddToCart productId={product.id} max={Math.min(99, product.stock.quantity)} />
          )}
        </div>
      </div>
      {reviews && reviews.items.length > 0 && (
        <section aria-labelledby="reviews" className="mt-10">
          <h2 id="reviews" className="text-xl font-semibold">Reviews</h2>
          <ul className="mt-3 space-y-3">
            {reviews.items.map((r) => (
              <li key={r.id} className="rounded-lg border border-stone-200 bg-white p-3">
                <p className="text-sm font-medium">
                  <span aria-label={`${r.rating} of 5 stars`}>{"★".repeat(r.rating)}{"☆".repeat(5 - r.rating)}</span>{" "}
                  <span className="text-stone-500">{r.author}{r.verified_purchase && " · verified purchase"}</span>
                </p>
                <p className="mt-1 whitespace-pre-line text-sm text-stone-700">{r.text}</p>
              </li>
            ))}
          </ul>
        </section>
      )}
      {related && related.length > 0 && (
        <section aria-labelledby="related" className="mt-10">
          <h2 id="related" className="mb-3 text-xl font-semibold">You may also like</h2>
          <ProductGrid products={related} />
        </section>
      )}
    </>
  );
}

function AddToCart({ productId, max }: { productId: number; max: number }) {
  const { add } = useCart();
  const [quantity, setQuantity] = useState(1);
  const [state, setState] = useState<{ kind: "idle" | "busy" | "added" } | { kind: "failed"; error: unknown }>({ kind: "idle" });
  return (
    <form
      className="mt-6 flex items-end gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setState({ kind: "busy" });
        try {
          await add(productId, quantity);
          setState({ kind: "added" });
          track({ kind: "cart", action: "add", outcome: "ok", quantity });
          track({ kind: "funnel", step: "cart_add" });
        } catch (error) {
          setState({ kind: "failed", error });
          track({ kind: "cart", action: "add", outcome: "error", quantity });
        }
      }}
    >
      <label className="flex flex-col gap-1 text-sm">
        Quantity
        <input type="number" min={1} max={max} value={quantity} onChange={(e) => setQuantity(Math.max(1, Math.min(max, Number(e.target.value) || 1)))} className="w-20 rounded-md border border-stone-300 px-2 py-1.5" />
      </label>
      <button type="submit" data-telemetry-name="add-to-cart" disabled={state.kind === "busy"} className="rounded-md bg-emerald-800 px-5 py-2 font-medium text-white hover:bg-emerald-700 disabled:opacity-60">
        {state.kind === "busy" ? "Adding…" : "Add to cart"}
      </button>
      <p role="status" aria-live="polite" className="text-sm">
        {state.kind === "added" && (
          <span className="text-emerald-800">
            Added. <Link href="/cart/" className="underline">View cart</Link>
          </span>
        )}
        {state.kind === "failed" && <span className="text-red-800">{state.error instanceof ApiError ? state.error.message : "Could not add it."}</span>}
      </p>
    </form>
  );
}
