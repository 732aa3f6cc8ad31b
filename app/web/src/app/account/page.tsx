import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { AccountView } from "./view";

export const metadata: Metadata = { title: "Your account" };

export default function AccountPage() {
  return (
    <Suspense fallback={<Loading what="your account" />}>
      <AccountView />
    </Suspense>
  );
}
