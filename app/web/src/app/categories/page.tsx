"use client";

import Link from "next/link";

import { ErrorState, Loading } from "@/components/states";
import { api, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

export default function Categories() {
  const loaded = useLoad("categories", () => unwrap(api.GET("/api/categories")));
  if (loaded.state === "loading") return <Loading what="categories" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const all = loaded.data.items;
  const top = all.filter((c) => c.parent_id == null);
  return (
    <>
      <h1 className="text-2xl font-semibold">Categories</h1>
      <div className="mt-6 grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
        {top.map((dept) => (
          <section key={dept.id} className="rounded-xl border border-stone-200 bg-white p-4">
            <h2 className="font-semibold">
              <Link href={`/category/?id=${dept.id}`} className="hover:text-emerald-800">
                {dept.name}
              </Link>
            </h2>
            <ul className="mt-2 space-y-1 text-sm">
              {all
                .filter((c) => c.parent_id === dept.id)
                .map((c) => (
                  <li key={c.id}>
                    <Link href={`/category/?id=${c.id}`} className="text-stone-700 hover:text-emerald-800">
                      {c.name} <span className="text-stone-400">({c.product_count})</span>
                    </Link>
                  </li>
                ))}
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}
