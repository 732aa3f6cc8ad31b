"use client";

import { useSearchParams } from "next/navigation";

import { Listing, useListingQuery } from "@/components/listing";
import { Empty } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

const NOTHING = { items: [], page: 1, per_page: 24, total: 0, total_pages: 0 };

export function SearchView() {
  const q = (useSearchParams().get("q") ?? "").trim().slice(0, 100);
  const query = useListingQuery(true);
  const loaded = useLoad(`search-${q}-${JSON.stringify(query)}`, () =>
    q ? unwrap(api.GET("/api/products/search", { params: { query: { ...query, q, per_page: 24 } } })) : Promise.resolve(NOTHING),
  );
  if (!q) return <Empty title="Search for something.">Type a product name in the search box above.</Empty>;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Results for “{q}”</h1>
      <Listing loaded={loaded} what="results" query={query} searching />
    </>
  );
}
