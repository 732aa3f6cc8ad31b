"use client";

// The catalog's products (`GET /api/admin/products`): search, pages, a link to each product's
// editor, a new product, and the CSV export (`GET /api/admin/catalog/export`).
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { input, PageTitle, primary, Problem, secondary, table } from "@/components/admin/ui";
import { Pagination } from "@/components/pagination";
import { Empty, ErrorState, Loading } from "@/components/states";
import { StockBadge } from "@/components/stock-badge";
import { adminApi, download } from "@/lib/admin";
import { money } from "@/lib/money";
import { useLoad } from "@/lib/use-load";

const PER_PAGE = 20;

export function ProductsView() {
  const params = useSearchParams();
  const router = useRouter();
  const { call } = useAdmin();
  const q = params.get("q") ?? "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const [typed, setTyped] = useState(q);
  const [exportError, setExportError] = useState<unknown>(null);
  const href = (p: number, query = q) => `/admin/products/?${new URLSearchParams({ ...(query ? { q: query } : {}), page: String(p) })}`;
  const loaded = useLoad(`products-${q}-${page}`, () =>
    call(() =>
      adminApi.GET("/api/admin/products", { params: { query: { q: q || undefined, page, per_page: PER_PAGE, sort: q ? undefined : "newest" } } }),
    ),
  );
  return (
    <>
      <PageTitle
        actions={
          <>
            <button
              type="button"
              className={secondary}
              data-telemetry-name="admin-catalog-export"
              onClick={async () => {
                setExportError(null);
                try {
                  const csv = await call(() => adminApi.GET("/api/admin/catalog/export", { parseAs: "blob" }));
                  download(csv, `catalog-${new Date().toISOString().slice(0, 10)}.csv`);
                } catch (e) {
                  setExportError(e);
                }
              }}
            >
              Export CSV
            </button>
            <Link href="/admin/import/" className={secondary}>
              Import CSV
            </Link>
            <Link href="/admin/product/" className={primary}>
              New product
            </Link>
          </>
        }
      >
        Products
      </PageTitle>
      <Problem error={exportError} />
      <form
        role="search"
        className="mb-4 flex max-w-xl gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          router.push(href(1, typed.trim()));
        }}
      >
        <label htmlFor="product-search" className="sr-only">
          Search products
        </label>
        <input
          id="product-search"
          type="search"
          value={typed}
          maxLength={100}
          placeholder="Name, description or SKU words"
          onChange={(e) => setTyped(e.target.value)}
          className={`${input} mt-0`}
        />
        <button type="submit" className={secondary}>
          Search
        </button>
      </form>
      {loaded.state === "loading" && <Loading what="products" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" &&
        (loaded.data.items.length === 0 ? (
          <Empty title={q ? `No product matches “${q}”.` : "The catalog is empty."} />
        ) : (
          <>
            <p className="mb-2 text-sm text-stone-600">{loaded.data.total} products</p>
            <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
              <table className={table} data-testid="admin-products">
                <thead>
                  <tr>
                    <th scope="col">
                      <span className="sr-only">Picture</span>
                    </th>
                    <th scope="col">Name</th>
                    <th scope="col">SKU</th>
                    <th scope="col">Category</th>
                    <th scope="col" className="text-right">
                      Price
                    </th>
                    <th scope="col">Stock</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.data.items.map((p) => (
                    <tr key={p.id}>
                      <td className="w-12">
                        {/* eslint-disable-next-line @next/next/no-img-element */}
                        <img src={p.thumbnail_url} alt="" width={40} height={40} className="h-10 w-10 rounded border border-stone-200" />
                      </td>
                      <td>
                        <Link href={`/admin/product/?id=${p.id}`} className="font-medium text-emerald-800 hover:underline">
                          {p.name}
                        </Link>
                      </td>
                      <td className="font-mono text-xs">{p.sku}</td>
                      <td>{p.category.name}</td>
                      <td className="text-right tabular-nums">{money(p.price_cents, p.currency)}</td>
                      <td>
                        <StockBadge status={p.stock.status} /> <span className="text-xs text-stone-500">{p.stock.quantity}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination page={page} totalPages={loaded.data.total_pages} href={(p) => href(p)} />
          </>
        ))}
    </>
  );
}
