"use client";

// Where the reset mail's link lands: /account/reset-password/?token=…
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { api, ApiError, done } from "@/lib/api";

import { asApiError, buttonClass, Field, fieldOf, FormError, messageFor } from "../ui";

export function ResetView() {
  const fromLink = useSearchParams().get("token");
  // Read once, then taken out of the address bar (and so out of the history and any later
  // Referer); the page keeps it in memory.
  const [token] = useState(fromLink ?? "");
  useEffect(() => {
    if (fromLink) history.replaceState(null, "", location.pathname);
  }, [fromLink]);
  const [busy, setBusy] = useState(false);
  const [finished, setFinished] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (!token && !finished)
    return (
      <section className="mx-auto max-w-md">
        <h1 className="text-2xl font-semibold">Choose a new password</h1>
        <p role="alert" className="mt-4 text-sm">
          This page needs the link from the reset mail.{" "}
          <Link href="/account/forgot-password/" className="text-emerald-800 underline">
            Ask for a new mail
          </Link>
        </p>
      </section>
    );
  const expired = error?.code === "invalid_reset_token" || fieldOf(error) === "token";
  return (
    <section aria-labelledby="reset-title" className="mx-auto max-w-md">
      <h1 id="reset-title" className="text-2xl font-semibold">
        Choose a new password
      </h1>
      {finished ? (
        <div role="status" className="mt-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5 text-sm" data-testid="reset-done">
          Your password is changed, and every session of your account has ended.{" "}
          <Link href="/account/login/" className="text-emerald-800 underline">
            Log in with the new password
          </Link>
        </div>
      ) : (
        <form
          aria-label="Choose a new password"
          noValidate
          className="mt-6 space-y-4 rounded-xl border border-stone-200 bg-white p-5"
          onSubmit={async (e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const password = String(f.get("password") ?? "");
            if (password !== String(f.get("confirm") ?? "")) {
              setError(new ApiError(0, "mismatch", "The two passwords are not the same.", "confirm"));
              return;
            }
            setBusy(true);
            setError(null);
            try {
              await done(api.POST("/api/auth/password-reset/confirm", { body: { token, password } }));
              setFinished(true);
            } catch (err) {
              setError(asApiError(err, "Changing the password"));
            }
            setBusy(false);
          }}
        >
          {expired ? (
            <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900" data-testid="form-error">
              This link is unknown, used or expired.{" "}
              <Link href="/account/forgot-password/" className="underline">
                Ask for a new mail
              </Link>
            </div>
          ) : (
            <FormError error={error} fields={["password", "confirm"]} />
          )}
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            maxLength={128}
            hint="12 to 128 characters."
            error={messageFor(error, "password")}
          />
          <Field
            label="The same again"
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            maxLength={128}
            error={messageFor(error, "confirm")}
          />
          <button type="submit" data-telemetry-name="password-reset-confirm" disabled={busy} className={`${buttonClass} w-full`}>
            {busy ? "Saving…" : "Save the new password"}
          </button>
        </form>
      )}
    </section>
  );
}
