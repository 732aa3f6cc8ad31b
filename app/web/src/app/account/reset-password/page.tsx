import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { ResetView } from "./view";

// The reset mail's link carries its token in the query (view.tsx takes it out of the address at
// once): no document loaded after this one may be given it as its referrer either way (see
// admin/invitation/page.tsx).
export const metadata: Metadata = { title: "Choose a new password", referrer: "no-referrer" };

export default function ResetPasswordPage() {
  return (
    <Suspense fallback={<Loading what="the form" />}>
      <ResetView />
    </Suspense>
  );
}
