"use client";

// The category tree (`/api/admin/categories`): departments and their categories, two levels
// (docs/admin.md, "Catalog"). Add, rename, move under another department, delete an empty one.
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Field, input, PageTitle, primary, Problem, secondary } from "@/components/admin/ui";
import { Empty, ErrorState, Loading } from "@/components/states";
import type { Category } from "@/lib/api";
import { adminApi } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

export function CategoriesView() {
  const { call } = useAdmin();
  const loaded = useLoad("admin-categories", () => call(() => adminApi.GET("/api/admin/categories")).then((c) => c.items));
  return (
    <>
      <PageTitle>Categories</PageTitle>
      {loaded.state === "loading" && <Loading what="categories" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" && (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
          <Tree categories={loaded.data} changed={loaded.reload} />
          <CategoryForm categories={loaded.data} changed={loaded.reload} />
        </div>
      )}
    </>
  );
}

function Tree({ categories, changed }: { categories: Category[]; changed: () => void }) {
  const departments = categories.filter((c) => c.parent_id == null);
  if (departments.length === 0) return <Empty title="No categories yet." />;
  return (
    <ul className="space-y-4" data-testid="category-tree">
      {departments.map((d) => (
        <li key={d.id} className={card}>
          <CategoryRow category={d} categories={categories} changed={changed} />
          <ul className="mt-2 space-y-1 border-l border-stone-200 pl-4">
            {categories
              .filter((c) => c.parent_id === d.id)
              .map((c) => (
                <li key={c.id}>
                  <CategoryRow category={c} categories={categories} changed={changed} />
                </li>
              ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

function CategoryRow({ category, categories, changed }: { category: Category; categories: Category[]; changed: () => void }) {
  const { call } = useAdmin();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const department = category.parent_id == null;
  if (editing)
    return (
      <CategoryForm
        categories={categories}
        category={category}
        changed={() => {
          setEditing(false);
          changed();
        }}
        cancel={() => setEditing(false)}
      />
    );
  return (
    <div>
      <div className="flex flex-wrap items-center gap-2">
        <span className={department ? "font-semibold" : ""}>{category.name}</span>
        <span className="font-mono text-xs text-stone-500">{category.slug}</span>
        <span className="text-xs text-stone-500">{category.product_count} products</span>
        <span className="ml-auto flex gap-2">
          <button type="button" className={secondary} onClick={() => setEditing(true)} aria-label={`Edit ${category.name}`}>
            Edit
          </button>
          <button
            type="button"
            className={secondary}
            aria-label={`Delete ${category.name}`}
            onClick={async () => {
              setError(null);
              if (!window.confirm(`Delete the category “${category.name}”?`)) return;
              try {
                await call(() => adminApi.DELETE("/api/admin/categories/{id}", { params: { path: { id: category.id } } }));
                changed();
              } catch (e) {
                setError(e);
              }
            }}
          >
            Delete
          </button>
        </span>
      </div>
      <Problem error={error} />
    </div>
  );
}

function CategoryForm({
  categories,
  category,
  changed,
  cancel,
}: {
  categories: Category[];
  category?: Category;
  changed: () => void;
  cancel?: () => void;
}) {
  const { call } = useAdmin();
  const [name, setName] = useState(category?.name ?? "");
  const [slug, setSlug] = useState(category?.slug ?? "");
  const [description, setDescription] = useState(category?.description ?? "");
  const [parent, setParent] = useState(category ? String(category.parent_id ?? "") : "");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const prefix = category ? `category-${category.id}` : "new-category";
  const departments = categories.filter((c) => c.parent_id == null && c.id !== category?.id);
  return (
    <form
      className={category ? "rounded-lg bg-stone-50 p-3" : `${card} self-start`}
      aria-label={category ? `Edit ${category.name}` : "New category"}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const parentId = parent === "" ? null : Number(parent);
        try {
          if (category) {
            await call(() =>
              adminApi.PATCH("/api/admin/categories/{id}", {
                params: { path: { id: category.id } },
                body: {
                  ...(name !== category.name ? { name } : {}),
                  ...(slug !== category.slug ? { slug } : {}),
                  ...(description !== category.description ? { description } : {}),
                  ...(parentId !== (category.parent_id ?? null) ? { parent_id: parentId } : {}),
                },
              }),
            );
          } else {
            await call(() => adminApi.POST("/api/admin/categories", { body: { name, slug, description, parent_id: parentId } }));
            setName("");
            setSlug("");
            setDescription("");
          }
          changed();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      {!category && <h2 className="text-lg font-semibold">New category</h2>}
      <Field id={`${prefix}-name`} label="Name">
        <input
          id={`${prefix}-name`}
          required
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            if (!category) setSlug(e.target.value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, ""));
          }}
          className={input}
        />
      </Field>
      <Field id={`${prefix}-slug`} label="Slug" hint="Lower-case letters, digits and dashes: its address in the shop.">
        <input id={`${prefix}-slug`} required value={slug} onChange={(e) => setSlug(e.target.value)} className={`${input} font-mono`} />
      </Field>
      <Field id={`${prefix}-description`} label="Description">
        <input id={`${prefix}-description`} value={description} onChange={(e) => setDescription(e.target.value)} className={input} />
      </Field>
      <Field id={`${prefix}-parent`} label="Department">
        <select id={`${prefix}-parent`} value={parent} onChange={(e) => setParent(e.target.value)} className={input}>
          <option value="">None: this is a department</option>
          {departments.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </Field>
      <Problem error={error} />
      <div className="mt-4 flex gap-2">
        <button type="submit" disabled={busy} className={category ? secondary : primary} data-telemetry-name={category ? "admin-category-save" : "admin-category-create"}>
          {category ? "Save" : "Add category"}
        </button>
        {cancel && (
          <button type="button" className={secondary} onClick={cancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

