"use client";

// One product in the back office (`/admin/product/?id=`; without an id, a new one): its fields
// (`PATCH` only what changed, or `POST` a new product), its deletion, and its picture.
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useRef, useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, danger, Done, Field, input, PageTitle, primary, Problem, secondary } from "@/components/admin/ui";
import { ErrorState, Loading } from "@/components/states";
import { ApiError, type Category, type Product } from "@/lib/api";
import { adminApi, centsOf, dollarsOf } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";
import { useFormTask } from "@/telemetry/hooks";

import { ImageUpload } from "./image-upload";

export function ProductEditor() {
  const raw = useSearchParams().get("id");
  const id = raw === null ? null : Number(raw);
  const { call } = useAdmin();
  const loaded = useLoad(`admin-product-${raw}`, async () => {
    if (id !== null && !(Number.isInteger(id) && id >= 1)) throw new ApiError(404, "not_found", "There is no such product.");
    const [categories, product] = await Promise.all([
      call(() => adminApi.GET("/api/admin/categories")).then((c) => c.items),
      id === null ? Promise.resolve(null) : call(() => adminApi.GET("/api/admin/products/{id}", { params: { path: { id } } })),
    ]);
    return { categories, product };
  });
  // The product as the shop last answered it (a save, a new picture), over what was loaded.
  const [latest, setLatest] = useState<Product | null>(null);
  if (loaded.state === "loading") return <Loading what="the product" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  const { categories } = loaded.data;
  const product = latest && latest.id === loaded.data.product?.id ? latest : loaded.data.product;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-stone-500">
        <Link href="/admin/products/" className="hover:text-emerald-800">
          Products
        </Link>{" "}
        / {product ? product.name : "New"}
      </nav>
      <PageTitle
        actions={
          product && (
            <>
              <Link href={`/product/?id=${product.id}`} className={secondary}>
                View in the shop
              </Link>
              <Link href={`/admin/stock/?id=${product.id}`} className={secondary}>
                Stock
              </Link>
            </>
          )
        }
      >
        {product ? product.name : "New product"}
      </PageTitle>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <ProductForm key={product?.id ?? "new"} product={product} categories={categories} saved={setLatest} />
        {product && (
          <div className="space-y-6">
            <ImageUpload product={product} uploaded={setLatest} />
            <DeleteProduct product={product} />
          </div>
        )}
      </div>
    </>
  );
}

type Changes = { sku?: string; name?: string; description?: string; price_cents?: number; category_id?: number };

function ProductForm({ product, categories, saved }: { product: Product | null; categories: Category[]; saved: (product: Product) => void }) {
  const { call } = useAdmin();
  const router = useRouter();
  const [sku, setSku] = useState(product?.sku ?? "");
  const [name, setName] = useState(product?.name ?? "");
  const [description, setDescription] = useState(product?.description ?? "");
  const [price, setPrice] = useState(product ? dollarsOf(product.price_cents) : "");
  const [categoryId, setCategoryId] = useState(product ? String(product.category.id) : "");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const departments = categories.filter((c) => c.parent_id == null);
  const form = useRef<HTMLFormElement>(null);
  const task = useFormTask(product ? "product_edit" : "product_create", form);
  return (
    <form
      ref={form}
      className={card}
      aria-labelledby="product-form-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setDone(null);
        const cents = centsOf(price);
        if (cents === null) {
          setError(new ApiError(400, "validation_failed", "Give the price in dollars, like 12.50.", "price"));
          task.refused();
          return;
        }
        const all: Required<Changes> = { sku: sku.trim(), name: name.trim(), description, price_cents: cents, category_id: Number(categoryId) };
        setBusy(true);
        try {
          if (product) {
            const changes: Changes = {};
            if (all.sku !== product.sku) changes.sku = all.sku;
            if (all.name !== product.name) changes.name = all.name;
            if (all.description !== product.description) changes.description = all.description;
            if (all.price_cents !== product.price_cents) changes.price_cents = all.price_cents;
            if (all.category_id !== product.category.id) changes.category_id = all.category_id;
            if (Object.keys(changes).length === 0) {
              setDone("Nothing changed.");
            } else {
              const updated = await call(() => adminApi.PATCH("/api/admin/products/{id}", { params: { path: { id: product.id } }, body: changes }));
              setDone("Saved.");
              task.completed();
              saved(updated);
            }
          } else {
            const created = await call(() => adminApi.POST("/api/admin/products", { body: all }));
            task.completed();
            router.replace(`/admin/product/?id=${created.id}`);
          }
        } catch (err) {
          task.refused();
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="product-form-title" className="text-lg font-semibold">
        Details
      </h2>
      <div className="grid gap-x-4 sm:grid-cols-2">
        <Field id="product-name" label="Name">
          <input id="product-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} className={input} />
        </Field>
        <Field id="product-sku" label="SKU" hint="2–32 of A–Z, 0–9 and -, unique.">
          <input
            id="product-sku"
            required
            pattern="[A-Z0-9][A-Z0-9\-]{1,31}"
            aria-describedby="product-sku-hint"
            value={sku}
            onChange={(e) => setSku(e.target.value.toUpperCase())}
            className={`${input} font-mono`}
          />
        </Field>
        <Field id="product-price" label="Price (USD)" hint="In dollars, like 12.50.">
          <input
            id="product-price"
            required
            inputMode="decimal"
            aria-describedby="product-price-hint"
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            className={`${input} tabular-nums`}
          />
        </Field>
        <Field id="product-category" label="Category">
          <select id="product-category" required value={categoryId} onChange={(e) => setCategoryId(e.target.value)} className={input}>
            <option value="" disabled>
              Choose a category
            </option>
            {departments.map((d) => (
              <optgroup key={d.id} label={d.name}>
                {categories
                  .filter((c) => c.parent_id === d.id)
                  .map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
        </Field>
      </div>
      <Field id="product-description" label="Description">
        <textarea id="product-description" rows={5} maxLength={5000} value={description} onChange={(e) => setDescription(e.target.value)} className={input} />
      </Field>
      {!product && <p className="mt-3 text-xs text-stone-500">A new product starts with no stock (receive some under Stock) and a drawn picture.</p>}
      <Problem error={error} testId="product-error" />
      {done && <Done testId="product-saved">{done}</Done>}
      <button type="submit" disabled={busy} data-telemetry-name={product ? "admin-product-save" : "admin-product-create"} className={`${primary} mt-5`}>
        {product ? "Save changes" : "Create product"}
      </button>
    </form>
  );
}

function DeleteProduct({ product }: { product: Product }) {
  const { call } = useAdmin();
  const router = useRouter();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <section aria-labelledby="delete-title" className={card}>
      <h2 id="delete-title" className="text-lg font-semibold">
        Delete
      </h2>
      <p className="mt-1 text-sm text-stone-600">Only a product that was never ordered can be deleted; to take one off sale, set its stock to 0.</p>
      {!asking ? (
        <button type="button" className={`${secondary} mt-3`} onClick={() => setAsking(true)}>
          Delete this product…
        </button>
      ) : (
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <span className="text-sm font-medium">Delete “{product.name}” for good?</span>
          <button
            type="button"
            className={danger}
            data-telemetry-name="admin-product-delete"
            onClick={async () => {
              setError(null);
              try {
                await call(() => adminApi.DELETE("/api/admin/products/{id}", { params: { path: { id: product.id } } }));
                router.push("/admin/products/");
              } catch (e) {
                setError(e);
              }
            }}
          >
            Delete
          </button>
          <button type="button" className={secondary} onClick={() => setAsking(false)}>
            Cancel
          </button>
        </div>
      )}
      <Problem error={error} />
    </section>
  );
}
