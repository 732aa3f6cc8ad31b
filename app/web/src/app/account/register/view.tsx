"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { api, ApiError, unwrap } from "@/lib/api";
import { safeNext, useAccount } from "@/lib/account";

import { asApiError, buttonClass, Field, FormError, messageFor } from "../ui";

const FIELDS = ["name", "email", "password"];

export function RegisterView() {
  const next = safeNext(useSearchParams().get("next"));
  const router = useRouter();
  const { logIn } = useAccount();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const on = (name: string) => messageFor(error, name);
  return (
    <section aria-labelledby="register-title" className="mx-auto max-w-md">
      <h1 id="register-title" className="text-2xl font-semibold">
        Create an account
      </h1>
      <p className="mt-2 text-sm text-stone-600">Follow your orders, keep your addresses, and check out faster.</p>
      <form
        aria-label="Create an account"
        noValidate
        className="mt-6 space-y-4 rounded-xl border border-stone-200 bg-white p-5"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const email = String(f.get("email") ?? "").trim();
          const password = String(f.get("password") ?? "");
          setBusy(true);
          setError(null);
          try {
            await unwrap(api.POST("/api/auth/register", { body: { email, password, name: String(f.get("name") ?? "") } }));
          } catch (err) {
            const refused = asApiError(err, "Creating the account");
            // A taken e-mail is about the e-mail field.
            setError(refused.code === "email_taken" ? new ApiError(refused.status, refused.code, refused.message, "email") : refused);
            setBusy(false);
            return;
          }
          try {
            await logIn(email, password);
            router.push(next);
          } catch (err) {
            setError(asApiError(err, "Logging in"));
            setBusy(false);
          }
        }}
      >
        <FormError error={error} fields={FIELDS} />
        <Field label="Your name" name="name" autoComplete="name" required maxLength={100} error={on("name")} />
        <Field label="E-mail" name="email" type="email" autoComplete="email" required maxLength={254} error={on("email")} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          maxLength={128}
          hint="12 to 128 characters; a few words make a good one."
          error={on("password")}
        />
        <button type="submit" data-telemetry-name="register" disabled={busy} className={`${buttonClass} w-full`}>
          {busy ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p className="mt-6 text-sm">
        Already have one?{" "}
        <Link href={`/account/login/?next=${encodeURIComponent(next)}`} className="text-emerald-800 underline">
          Log in
        </Link>
      </p>
    </section>
  );
}
