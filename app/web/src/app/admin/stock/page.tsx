import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { StockView } from "./view";

export const metadata: Metadata = { title: "Stock" };

export default function StockPage() {
  return (
    <Suspense fallback={<Loading what="the stock" />}>
      <StockView />
    </Suspense>
  );
}
