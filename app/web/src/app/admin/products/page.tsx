import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { ProductsView } from "./view";

export const metadata: Metadata = { title: "Products" };

export default function AdminProductsPage() {
  return (
    <Suspense fallback={<Loading what="products" />}>
      <ProductsView />
    </Suspense>
  );
}
