import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { AccountOrderView } from "./view";

export const metadata: Metadata = { title: "Your order" };

export default function AccountOrderPage() {
  return (
    <Suspense fallback={<Loading what="your order" />}>
      <AccountOrderView />
    </Suspense>
  );
}
