import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { InvitationView } from "./view";

export const metadata: Metadata = { title: "Accept an invitation" };

export default function InvitationPage() {
  return (
    <Suspense fallback={<Loading what="the invitation" />}>
      <InvitationView />
    </Suspense>
  );
}
