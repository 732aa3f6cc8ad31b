import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { InventoryView } from "./view";

export const metadata: Metadata = { title: "Inventory" };

export default function InventoryPage() {
  return (
    <Suspense fallback={<Loading what="stock levels" />}>
      <InventoryView />
    </Suspense>
  );
}
