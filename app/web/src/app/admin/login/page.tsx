import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { LoginView } from "./view";

export const metadata: Metadata = { title: "Log in" };

export default function AdminLoginPage() {
  return (
    <Suspense fallback={<Loading what="the login" />}>
      <LoginView />
    </Suspense>
  );
}
