"use client";

// Accepting an invitation (`POST /api/admin/invitations/accept`): the token from the link or as
// `shop admin invite` printed it, a name and a password that passes the policy (docs/admin.md,
// "Passwords"). Then the login, where the second factor is set up.
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";

import { Field, input, primary, Problem } from "@/components/admin/ui";
import { ApiError } from "@/lib/api";
import { adminApi, EMAIL_KEY, settle } from "@/lib/admin";

export function InvitationView() {
  const params = useSearchParams();
  const [token, setToken] = useState(() => params.get("token") ?? "");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  if (done)
    return (
      <div className="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
        <h1 className="text-xl font-semibold">Your account is ready</h1>
        <p className="mt-2 text-sm text-stone-600">Log in now: the first time, you set up an authenticator app for two-step login.</p>
        <Link href="/admin/login/" className={`${primary} mt-6 inline-block`}>
          Log in
        </Link>
      </div>
    );

  return (
    <form
      className="rounded-xl border border-stone-200 bg-white p-6 shadow-sm"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        if (password !== repeat) {
          setError(new ApiError(400, "mismatch", "The two passwords differ.", "password"));
          return;
        }
        setBusy(true);
        try {
          const admin = await settle(adminApi.POST("/api/admin/invitations/accept", { body: { token: token.trim(), name: name.trim(), password } }));
          sessionStorage.setItem(EMAIL_KEY, admin.email);
          setDone(true);
        } catch (err) {
          setError(err);
          setBusy(false);
        }
      }}
    >
      <h1 className="text-xl font-semibold">Accept your invitation</h1>
      <p className="mt-2 text-sm text-stone-600">Choose your name as other admins see it, and a password.</p>
      <Field id="invitation-token" label="Invitation token" hint="64 characters, from your invitation.">
        <input
          id="invitation-token"
          required
          autoComplete="off"
          spellCheck={false}
          aria-describedby="invitation-token-hint"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          className={`${input} font-mono text-xs`}
        />
      </Field>
      <Field id="invitation-name" label="Your name">
        <input id="invitation-name" required maxLength={100} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} className={input} />
      </Field>
      <Field
        id="invitation-password"
        label="Password"
        hint="12 to 128 characters, not a common password, hard to guess: a few unrelated words work well."
      >
        <input
          id="invitation-password"
          type="password"
          required
          minLength={12}
          maxLength={128}
          autoComplete="new-password"
          aria-describedby="invitation-password-hint"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className={input}
        />
      </Field>
      <Field id="invitation-repeat" label="The password again">
        <input
          id="invitation-repeat"
          type="password"
          required
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          className={input}
        />
      </Field>
      <Problem error={error} testId="invitation-error" />
      <button type="submit" disabled={busy} data-telemetry-name="admin-accept-invitation" className={`${primary} mt-6 w-full`}>
        Create my account
      </button>
    </form>
  );
}
