import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { ResetView } from "./view";

export const metadata: Metadata = { title: "Choose a new password" };

export default function ResetPasswordPage() {
  return (
    <Suspense fallback={<Loading what="the form" />}>
      <ResetView />
    </Suspense>
  );
}
