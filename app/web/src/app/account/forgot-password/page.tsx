"use client";

import Link from "next/link";
import { useState } from "react";

import { api, ApiError, done } from "@/lib/api";

import { asApiError, buttonClass, Field, FormError, messageFor } from "../ui";

export default function ForgotPasswordPage() {
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <section aria-labelledby="forgot-title" className="mx-auto max-w-md">
      <h1 id="forgot-title" className="text-2xl font-semibold">
        Forgot your password?
      </h1>
      {sent ? (
        <div role="status" className="mt-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5 text-sm" data-testid="reset-sent">
          If an account has this e-mail address, a mail with a link to choose a new password is on its way. The link works for 30
          minutes, once.
          <p className="mt-3">
            <Link href="/account/login/" className="text-emerald-800 underline">
              Back to log in
            </Link>
          </p>
        </div>
      ) : (
        <form
          aria-label="Ask for a password reset"
          noValidate
          className="mt-6 space-y-4 rounded-xl border border-stone-200 bg-white p-5"
          onSubmit={async (e) => {
            e.preventDefault();
            const email = String(new FormData(e.currentTarget).get("email") ?? "").trim();
            setBusy(true);
            setError(null);
            try {
              await done(api.POST("/api/auth/password-reset", { body: { email } }));
              setSent(true);
            } catch (err) {
              setError(asApiError(err, "Asking for a reset"));
            }
            setBusy(false);
          }}
        >
          <p className="text-sm text-stone-600">We will mail you a link to choose a new one.</p>
          <FormError error={error} fields={["email"]} />
          <Field label="E-mail" name="email" type="email" autoComplete="email" required maxLength={254} error={messageFor(error, "email")} />
          <button type="submit" data-telemetry-name="password-reset" disabled={busy} className={`${buttonClass} w-full`}>
            {busy ? "Sending…" : "Send the link"}
          </button>
        </form>
      )}
    </section>
  );
}
