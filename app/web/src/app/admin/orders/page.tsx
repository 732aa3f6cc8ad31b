import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { OrdersView } from "./view";

export const metadata: Metadata = { title: "Orders" };

export default function OrdersPage() {
  return (
    <Suspense fallback={<Loading what="orders" />}>
      <OrdersView />
    </Suspense>
  );
}
