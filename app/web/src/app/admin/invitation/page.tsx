import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { InvitationView } from "./view";

// The link in the invitation mail carries its token in the query: no document loaded after this
// one may be given this address as its referrer (which telemetry records: CloudWatch RUM's client
// puts the referrer in its page views once it may use cookies, src/telemetry/cloudwatch-rum.ts).
export const metadata: Metadata = { title: "Accept an invitation", referrer: "no-referrer" };

export default function InvitationPage() {
  return (
    <Suspense fallback={<Loading what="the invitation" />}>
      <InvitationView />
    </Suspense>
  );
}
