"use client";

// What the account pages share: labelled fields that show the shop's error for their own field,
// the form-level error, and the "log in first" gate.
import Link from "next/link";
import { usePathname } from "next/navigation";

import { Loading } from "@/components/states";
import { ApiError, type Profile } from "@/lib/api";
import { useAccount } from "@/lib/account";

export const inputClass =
  "mt-1 w-full rounded-md border border-stone-300 px-3 py-2 focus:border-emerald-700 focus:outline-none focus:ring-1 focus:ring-emerald-700 aria-[invalid=true]:border-red-700";
export const buttonClass =
  "rounded-md bg-emerald-800 px-4 py-2 font-medium text-white hover:bg-emerald-700 disabled:opacity-60";
export const secondaryButtonClass =
  "rounded-md border border-stone-300 px-3 py-1.5 text-sm hover:bg-stone-50 disabled:opacity-60";

/** The field an error is about, as the form names it (`address.line1` → `line1`). */
export function fieldOf(error: unknown, prefix = ""): string | null {
  if (!(error instanceof ApiError) || !error.field) return null;
  return prefix && error.field.startsWith(prefix) ? error.field.slice(prefix.length) : error.field;
}

/** The shop's message about the form's field `name`, without the field's name in front. */
export function messageFor(error: unknown, name: string, prefix = ""): string | null {
  if (!(error instanceof ApiError) || fieldOf(error, prefix) !== name) return null;
  const lead = `${error.field}: `;
  const text = error.message.startsWith(lead) ? error.message.slice(lead.length) : error.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An error as a form shows it: the shop's message, or a plain one for anything else. */
export function asApiError(e: unknown, what: string): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, "unexpected", `${what} did not work. Please try again.`);
}

type FieldProps = React.InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  /** The shop's message about this field, if its last answer named it. */
  error?: string | null;
  hint?: string;
  /** Distinguishes two forms' fields on one page. */
  idPrefix?: string;
};

export function Field({ label, name, error, hint, idPrefix = "", className, ...input }: FieldProps) {
  const id = `${idPrefix}${name}`;
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm">
        {label}
      </label>
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={described} className={inputClass} {...input} />
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-stone-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="mt-1 text-sm text-red-800" data-testid={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A form's error that names no field of it (or any error, when `always`). */
export function FormError({ error, fields = [] }: { error: ApiError | null; fields?: string[] }) {
  if (!error || (error.field && fields.includes(error.field))) return null;
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900" data-testid="form-error">
      {error.message}
    </div>
  );
}

/** The page for a logged-in customer, or a way to log in first. */
export function RequireLogin({ children }: { children: (profile: Profile) => React.ReactNode }) {
  const { who } = useAccount();
  const path = usePathname();
  if (who.state === "loading") return <Loading what="your account" />;
  if (who.state === "guest") {
    const next = typeof window === "undefined" ? path : `${path}${window.location.search}`;
    return (
      <div className="mx-auto max-w-md rounded-xl border border-stone-200 bg-white p-6">
        <h1 className="text-xl font-semibold">Log in to see your account</h1>
        <p className="mt-2 text-sm text-stone-600">This page shows what the shop keeps for your account.</p>
        <div className="mt-4 flex gap-3">
          <Link href={`/account/login/?next=${encodeURIComponent(next)}`} className={buttonClass}>
            Log in
          </Link>
          <Link href="/account/register/" className="self-center text-emerald-800 underline">
            Create an account
          </Link>
        </div>
      </div>
    );
  }
  return <>{children(who.profile)}</>;
}
