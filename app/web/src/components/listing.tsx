"use client";

// A paged product listing with sort and filters, kept in the URL's query string so that a
// listing can be linked, reloaded and navigated back to.
import { usePathname, useRouter, useSearchParams } from "next/navigation";

import { Pagination } from "@/components/pagination";
import { ProductGrid } from "@/components/product-card";
import { Empty, ErrorState, Loading } from "@/components/states";
import type { paths } from "@/api/schema";
import type { Schemas } from "@/lib/api";
import type { Loaded } from "@/lib/use-load";

export type Sort = NonNullable<NonNullable<paths["/api/products"]["get"]["parameters"]["query"]>["sort"]>;

// `relevance` ranks by the search words, so only a search has it (the API answers 400 to it without `q`).
const SORTS: [Sort, string][] = [
  ["relevance", "Best match"],
  ["price_asc", "Price: low to high"],
  ["price_desc", "Price: high to low"],
  ["name_asc", "Name: A to Z"],
  ["newest", "Newest"],
];

/** The listing's settings, read from the query string. */
export interface ListingQuery {
  page: number;
  sort: Sort;
  in_stock?: boolean;
  min_price?: number;
  max_price?: number;
}

function dollarsToCents(v: string | null): number | undefined {
  if (v == null || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 100) : undefined;
}

/** The sorts a listing offers: a search's, or (`searching` false) a category's, without `relevance`. */
function sorts(searching: boolean): [Sort, string][] {
  return searching ? SORTS : SORTS.filter(([s]) => s !== "relevance");
}

export function useListingQuery(searching: boolean): ListingQuery {
  const params = useSearchParams();
  const page = Number(params.get("page") ?? "1");
  const sort = sorts(searching).find(([s]) => s === params.get("sort"))?.[0] ?? (searching ? "relevance" : "newest");
  return {
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    sort,
    in_stock: params.get("in_stock") === "true" ? true : undefined,
    min_price: dollarsToCents(params.get("min")),
    max_price: dollarsToCents(params.get("max")),
  };
}

export function Listing({
  loaded,
  what,
  query,
  searching,
}: {
  loaded: Loaded<Schemas["ProductPage"]>;
  what: string;
  query: ListingQuery;
  /** A search (which may sort by relevance), or a category. */
  searching: boolean;
}) {
  const params = useSearchParams();
  const path = usePathname();
  const router = useRouter();
  const href = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(changes)) {
      if (v == null || v === "") next.delete(k);
      else next.set(k, v);
    }
    return `${path}?${next.toString()}`;
  };
  return (
    <>
      <form
        className="mb-6 flex flex-wrap items-end gap-4 rounded-xl border border-stone-200 bg-white p-3 text-sm"
        aria-label="Sort and filter"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          router.push(
            href({
              sort: String(f.get("sort") ?? ""),
              in_stock: f.get("in_stock") ? "true" : null,
              min: String(f.get("min") ?? ""),
              max: String(f.get("max") ?? ""),
              page: null,
            }),
          );
        }}
      >
        <label className="flex flex-col gap-1">
          Sort by
          <select name="sort" defaultValue={query.sort} className="rounded-md border border-stone-300 px-2 py-1.5">
            {sorts(searching).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          Min price ($)
          <input name="min" type="number" min={0} step="0.01" defaultValue={params.get("min") ?? ""} className="w-28 rounded-md border border-stone-300 px-2 py-1.5" />
        </label>
        <label className="flex flex-col gap-1">
          Max price ($)
          <input name="max" type="number" min={0} step="0.01" defaultValue={params.get("max") ?? ""} className="w-28 rounded-md border border-stone-300 px-2 py-1.5" />
        </label>
        <label className="flex items-center gap-2 py-1.5">
          <input name="in_stock" type="checkbox" defaultChecked={params.get("in_stock") === "true"} />
          In stock only
        </label>
        <button type="submit" className="rounded-md bg-stone-800 px-3 py-1.5 text-white hover:bg-stone-700">
          Apply
        </button>
      </form>
      {loaded.state === "loading" && <Loading what={what} />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.items.length === 0 ? (
          <Empty title="No products match.">Try fewer filters, or another search.</Empty>
        ) : (
          <>
            <p className="mb-3 text-sm text-stone-600">{loaded.data.total} products</p>
            <ProductGrid products={loaded.data.items} />
            <Pagination page={loaded.data.page} totalPages={loaded.data.total_pages} href={(p) => href({ page: String(p) })} />
          </>
        ))}
    </>
  );
}
