import { Suspense } from "react";

import { Loading } from "@/components/states";

import { OrderView } from "./view";

export default function OrderPage() {
  return (
    <Suspense fallback={<Loading what="your order" />}>
      <OrderView />
    </Suspense>
  );
}
