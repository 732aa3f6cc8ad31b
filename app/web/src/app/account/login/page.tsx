import type { Metadata } from "next";
import { Suspense } from "react";

import { Loading } from "@/components/states";

import { LoginView } from "./view";

export const metadata: Metadata = { title: "Log in" };

export default function LoginPage() {
  return (
    <Suspense fallback={<Loading what="the login form" />}>
      <LoginView />
    </Suspense>
  );
}
