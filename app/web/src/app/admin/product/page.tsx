import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { ProductEditor } from "./view";

export const metadata: Metadata = { title: "Product" };

export default function AdminProductPage() {
  return (
    <Suspense fallback={<Loading what="the product" />}>
      <ProductEditor />
    </Suspense>
  );
}
