"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { Listing, useListingQuery } from "@/components/listing";
import { ErrorState } from "@/components/states";
import { api, ApiError, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

export function CategoryView() {
  const id = Number(useSearchParams().get("id"));
  const valid = Number.isInteger(id) && id >= 1;
  const query = useListingQuery(false);
  const category = useLoad(`category-${id}`, async () => {
    const all = await unwrap(api.GET("/api/categories"));
    return all.items.find((c) => c.id === id) ?? null;
  });
  const loaded = useLoad(`products-${id}-${JSON.stringify(query)}`, () =>
    valid
      ? unwrap(api.GET("/api/categories/{id}/products", { params: { path: { id }, query: { ...query, per_page: 24 } } }))
      : Promise.reject(new ApiError(404, "not_found", "There is no such category.")),
  );
  if (!valid) return <ErrorState error={new ApiError(404, "not_found", "There is no such category.")} />;
  const name = category.state === "done" ? (category.data?.name ?? "Unknown category") : "…";
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-stone-500">
        <Link href="/categories/" className="hover:text-emerald-800">Categories</Link> / {name}
      </nav>
      <h1 className="mb-4 text-2xl font-semibold">{name}</h1>
      {category.state === "done" && category.data?.description && <p className="mb-4 text-stone-600">{category.data.description}</p>}
      <Listing loaded={loaded} what="products" query={query} searching={false} />
    </>
  );
}
