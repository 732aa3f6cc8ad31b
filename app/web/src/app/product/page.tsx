import { Suspense } from "react";

import { Loading } from "@/components/states";

import { ProductView } from "./view";

export default function ProductPage() {
  return (
    <Suspense fallback={<Loading what="the product" />}>
      <ProductView />
    </Suspense>
  );
}
