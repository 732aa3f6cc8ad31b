import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { BatchView } from "./view";

export const metadata: Metadata = { title: "Batch jobs" };

export default function BatchPage() {
  return (
    <Suspense fallback={<Loading what="batch runs" />}>
      <BatchView />
    </Suspense>
  );
}
