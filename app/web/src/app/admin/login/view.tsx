"use client";

// The back office's login (docs/admin.md, "Signing in"): the password, then the second factor:
// the first time, TOTP enrolment (the QR code and the secret, confirmed with a first code, then
// the ten recovery codes, shown once); afterwards a code or a recovery code.
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { Field, input, primary, Problem, secondary } from "@/components/admin/ui";
import { ErrorState, Loading } from "@/components/states";
import { adminApi, type AdminSchemas, EMAIL_KEY, forgetCsrfToken, keepCsrfToken, LOGIN_REASONS, type LoginReason, otpSecret, settle } from "@/lib/admin";

type Step = { step: "password" } | { step: "enrol" } | { step: "verify" } | { step: "recovery"; codes: string[] };

export function LoginView() {
  const router = useRouter();
  const reason = useSearchParams().get("reason");
  const notice = reason && reason in LOGIN_REASONS ? LOGIN_REASONS[reason as LoginReason] : null;
  const [step, setStep] = useState<Step>({ step: "password" });
  const enter = () => router.replace("/admin/");

  return (
    <div className="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
      {step.step === "password" && (
        <PasswordStep
          notice={notice}
          next={(next) => setStep({ step: next })}
        />
      )}
      {step.step === "enrol" && <EnrolStep next={(codes) => setStep({ step: "recovery", codes })} />}
      {step.step === "verify" && <VerifyStep next={enter} />}
      {step.step === "recovery" && <RecoveryCodes codes={step.codes} next={enter} />}
    </div>
  );
}

function PasswordStep({ notice, next }: { notice: string | null; next: (step: "enrol" | "verify") => void }) {
  // Offered by the invitation page after an account was made in this tab. (This view renders in
  // the browser only: it reads the query, so the static export leaves it to the client.)
  const [email, setEmail] = useState(() => (typeof window === "undefined" ? "" : (sessionStorage.getItem(EMAIL_KEY) ?? "")));
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          forgetCsrfToken();
          const answer = await settle(adminApi.POST("/api/admin/login", { body: { email: email.trim(), password } }));
          keepCsrfToken(answer.csrf_token);
          sessionStorage.removeItem(EMAIL_KEY);
          next(answer.next);
        } catch (err) {
          setError(err);
          setBusy(false);
        }
      }}
    >
      <h1 className="text-xl font-semibold">Log in to the back office</h1>
      {notice && (
        <p role="status" data-testid="login-notice" className="mt-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {notice}
        </p>
      )}
      <Field id="admin-email" label="E-mail">
        <input id="admin-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} className={input} />
      </Field>
      <Field id="admin-password" label="Password">
        <input
          id="admin-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className={input}
        />
      </Field>
      <Problem error={error} testId="login-error" />
      <button type="submit" disabled={busy} data-telemetry-name="admin-login" className={`${primary} mt-6 w-full`}>
        {busy ? "Checking…" : "Continue"}
      </button>
    </form>
  );
}

function EnrolStep({ next }: { next: (codes: string[]) => void }) {
  const [enrolment, setEnrolment] = useState<AdminSchemas["EnrolmentResponse"] | null>(null);
  const [failed, setFailed] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    settle(adminApi.POST("/api/admin/mfa/enrol")).then(
      (e) => live && setEnrolment(e),
      (e: unknown) => live && setFailed(e),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  if (failed)
    return (
      <ErrorState
        error={failed}
        retry={() => {
          setFailed(null);
          setAttempt((n) => n + 1);
        }}
      />
    );
  if (!enrolment) return <Loading what="your authenticator set-up" />;
  const secret = otpSecret(enrolment.otpauth_uri);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          const answer = await settle(adminApi.POST("/api/admin/mfa/confirm", { body: { code: code.trim() } }));
          next(answer.recovery_codes);
        } catch (err) {
          setError(err);
          setBusy(false);
        }
      }}
    >
      <h1 className="text-xl font-semibold">Set up your authenticator</h1>
      <p className="mt-2 text-sm text-stone-600">
        Scan this code with an authenticator app (any TOTP app), or type the secret into it. It is shown only now.
      </p>
      {/* The shop's QR code, as an image: an SVG in an <img> runs nothing. */}
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img
        src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qr_svg)}`}
        alt="QR code of your authenticator set-up"
        width={200}
        height={200}
        className="mx-auto mt-4 h-48 w-48"
      />
      {secret && (
        <p className="mt-3 text-sm">
          Secret: <code data-testid="totp-secret" className="break-all rounded bg-stone-100 px-1.5 py-0.5 font-mono">{secret}</code>
        </p>
      )}
      <details className="mt-2 text-xs text-stone-500">
        <summary className="cursor-pointer">The set-up link</summary>
        <code className="break-all">{enrolment.otpauth_uri}</code>
      </details>
      <Field id="enrol-code" label="The code your app shows now" hint="Six digits.">
        <input
          id="enrol-code"
          required
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          aria-describedby="enrol-code-hint"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          className={`${input} font-mono`}
        />
      </Field>
      <Problem error={error} testId="enrol-error" />
      <button type="submit" disabled={busy} data-telemetry-name="admin-mfa-confirm" className={`${primary} mt-6 w-full`}>
        Turn on two-step login
      </button>
    </form>
  );
}

function VerifyStep({ next }: { next: () => void }) {
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await settle(adminApi.POST("/api/admin/mfa/verify", { body: recovery ? { recovery_code: value.trim() } : { code: value.trim() } }));
          next();
        } catch (err) {
          setError(err);
          setBusy(false);
        }
      }}
    >
      <h1 className="text-xl font-semibold">Your second factor</h1>
      <Field id="verify-code" label={recovery ? "Recovery code" : "Authenticator code"} hint={recovery ? "xxxx-xxxx-xxxx-xxxx; each works once." : "Six digits from your app."}>
        <input
          id="verify-code"
          required
          autoFocus
          inputMode={recovery ? "text" : "numeric"}
          autoComplete="one-time-code"
          pattern={recovery ? undefined : "[0-9]{6}"}
          aria-describedby="verify-code-hint"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          className={`${input} font-mono`}
        />
      </Field>
      <button
        type="button"
        className="mt-2 text-sm text-emerald-800 underline"
        onClick={() => {
          setRecovery((r) => !r);
          setValue("");
        }}
      >
        {recovery ? "Use the authenticator app" : "Use a recovery code instead"}
      </button>
      <Problem error={error} testId="verify-error" />
      <button type="submit" disabled={busy} data-telemetry-name="admin-mfa-verify" className={`${primary} mt-6 w-full`}>
        Log in
      </button>
    </form>
  );
}

function RecoveryCodes({ codes, next }: { codes: string[]; next: () => void }) {
  return (
    <div>
      <h1 className="text-xl font-semibold">Your recovery codes</h1>
      <p className="mt-2 text-sm text-stone-600">
        Two-step login is on. If you lose your phone, each of these codes logs you in once. Store them offline now: they are not shown
        again.
      </p>
      <ol data-testid="recovery-codes" className="mt-4 grid grid-cols-1 gap-1 rounded-lg bg-stone-100 p-3 font-mono text-sm sm:grid-cols-2">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ol>
      <div className="mt-6 flex flex-wrap gap-2">
        <button type="button" className={secondary} onClick={() => void navigator.clipboard?.writeText(codes.join("\n")).catch(() => undefined)}>
          Copy them
        </button>
        <button type="button" data-telemetry-name="admin-recovery-stored" className={`${primary} ml-auto`} onClick={next}>
          I have stored them: continue
        </button>
      </div>
    </div>
  );
}
