"use client";

import Link from "next/link";

import { ProductGrid } from "@/components/product-card";
import { ErrorState, Loading } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

export default function Home() {
  const loaded = useLoad("home", async () => {
    const [categories, featured] = await Promise.all([
      unwrap(api.GET("/api/categories")),
      unwrap(api.GET("/api/products", { params: { query: { sort: "newest", per_page: 8, in_stock: true } } })),
    ]);
    return { categories: categories.items.filter((c) => c.parent_id == null), featured: featured.items };
  });
  return (
    <>
      <section className="rounded-2xl bg-emerald-900 px-6 py-10 text-white">
        <h1 className="text-3xl font-semibold tracking-tight">Everything here is traced.</h1>
        <p className="mt-2 max-w-xl text-emerald-100">
          Browse, buy and watch each request arrive in X-Ray or the collector: the same shop, two telemetry backends.
        </p>
      </section>
      {loaded.state === "loading" && <Loading what="the shop" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" && (
        <>
          <section aria-labelledby="departments" className="mt-8">
            <h2 id="departments" className="text-xl font-semibold">Departments</h2>
            <ul className="mt-3 flex flex-wrap gap-2">
              {loaded.data.categories.map((c) => (
                <li key={c.id}>
                  <Link href={`/category/?id=${c.id}`} className="inline-block rounded-full border border-stone-300 bg-white px-4 py-1.5 text-sm hover:border-emerald-700">
                    {c.name}
                  </Link>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="new" className="mt-8">
            <h2 id="new" className="mb-3 text-xl font-semibold">New in</h2>
            <ProductGrid products={loaded.data.featured} />
          </section>
        </>
      )}
    </>
  );
}
