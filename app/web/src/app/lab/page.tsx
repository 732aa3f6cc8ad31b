import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { LabView } from "./view";

export const metadata: Metadata = { title: "Lab" };

export default function LabPage() {
  // useSearchParams (the trace in the address) needs a Suspense boundary in a static export.
  return (
    <Suspense fallback={<Loading what="the lab" />}>
      <LabView />
    </Suspense>
  );
}
