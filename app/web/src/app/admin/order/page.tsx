import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { OrderView } from "./view";

export const metadata: Metadata = { title: "Order" };

export default function AdminOrderPage() {
  return (
    <Suspense fallback={<Loading what="the order" />}>
      <OrderView />
    </Suspense>
  );
}
