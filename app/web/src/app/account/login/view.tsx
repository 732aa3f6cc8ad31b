"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { api, ApiError, unwrap } from "@/lib/api";
import { safeNext, useAccount } from "@/lib/account";
import { CART_KEY } from "@/lib/cart";
import { useLoad } from "@/lib/use-load";

import { asApiError, buttonClass, Field, FormError } from "../ui";

/** Where a social login sends the person back to (read by the account page it lands on). */
export const AFTER_SOCIAL_LOGIN = "shop.after-login";

// What the identity provider's callback may report (`/account/login/?error=<code>`): a fixed set,
// so nothing from the URL is shown as such.
const SOCIAL_ERRORS: Record<string, string> = {
  oidc_refused: "You did not finish signing in with the identity provider.",
  oidc_rejected: "The identity provider's answer could not be verified. Please try again.",
  oidc_state_unknown: "That sign-in has expired or was already used. Please start again.",
  email_taken: "An account with this e-mail address already exists: log in with its password.",
  oidc_email_unverified: "The identity provider has not verified your e-mail address, so the shop cannot use it.",
  social_login_not_configured: "Signing in with an identity provider is not available on this shop.",
  validation_failed: "The identity provider's answer was incomplete. Please start again.",
};

export function LoginView() {
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const socialError = params.get("error");
  const router = useRouter();
  const { who, logIn } = useAccount();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  // Older shops have no /api/auth/methods: then only the password form.
  const methods = useLoad("auth-methods", () => unwrap(api.GET("/api/auth/methods")));
  const social = methods.state === "done" && methods.data.social_login;

  const socialHref = () => {
    const cart = typeof window === "undefined" ? null : localStorage.getItem(CART_KEY);
    return cart ? `/api/auth/oidc/login?cart_id=${encodeURIComponent(cart)}` : "/api/auth/oidc/login";
  };

  return (
    <section aria-labelledby="login-title" className="mx-auto max-w-md">
      <h1 id="login-title" className="text-2xl font-semibold">
        Log in
      </h1>
      {who.state === "customer" && (
        <p className="mt-2 text-sm text-stone-600" role="status">
          You are logged in as {who.profile.name}. <Link href="/account/" className="text-emerald-800 underline">Your account</Link>
        </p>
      )}
      {socialError && (
        <div role="alert" className="mt-4 rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900" data-testid="social-error">
          {SOCIAL_ERRORS[socialError] ?? "Signing in with the identity provider did not work. Please try again."}
        </div>
      )}
      <form
        aria-label="Log in"
        noValidate
        className="mt-6 space-y-4 rounded-xl border border-stone-200 bg-white p-5"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          setBusy(true);
          setError(null);
          try {
            await logIn(String(f.get("email") ?? "").trim(), String(f.get("password") ?? ""));
            router.push(next);
          } catch (err) {
            setError(asApiError(err, "Logging in"));
            setBusy(false);
          }
        }}
      >
        <FormError error={error} />
        <Field label="E-mail" name="email" type="email" autoComplete="email" required maxLength={254} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required maxLength={128} />
        <button type="submit" data-telemetry-name="log-in" disabled={busy} className={`${buttonClass} w-full`}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="text-sm">
          <Link href="/account/forgot-password/" className="text-emerald-800 underline">
            Forgot your password?
          </Link>
        </p>
      </form>
      {social && (
        <div className="mt-4">
          <a
            href={socialHref()}
            data-telemetry-name="social-login"
            onClick={() => sessionStorage.setItem(AFTER_SOCIAL_LOGIN, next)}
            className="block w-full rounded-md border border-stone-300 bg-white px-4 py-2 text-center font-medium hover:bg-stone-50"
          >
            Sign in with the lab&apos;s identity provider
          </a>
        </div>
      )}
      <p className="mt-6 text-sm">
        New here?{" "}
        <Link href={`/account/register/?next=${encodeURIComponent(next)}`} className="text-emerald-800 underline">
          Create an account
        </Link>
      </p>
    </section>
  );
}
