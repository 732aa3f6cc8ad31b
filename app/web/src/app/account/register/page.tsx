import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { RegisterView } from "./view";

export const metadata: Metadata = { title: "Create an account" };

export default function RegisterPage() {
  return (
    <Suspense fallback={<Loading what="the form" />}>
      <RegisterView />
    </Suspense>
  );
}
