// Small building blocks the back office's pages share: headings, fields, buttons, messages.
import Link from "next/link";

import { ApiError } from "@/lib/api";

export const input =
  "mt-1 w-full rounded-md border border-stone-300 bg-white px-3 py-2 text-sm focus:border-emerald-700 focus:outline-none focus:ring-1 focus:ring-emerald-700";
export const primary =
  "rounded-md bg-emerald-800 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-700 disabled:cursor-not-allowed disabled:opacity-50";
export const secondary = "rounded-md border border-stone-300 bg-white px-3 py-1.5 text-sm hover:bg-stone-50 disabled:opacity-50";
export const danger = "rounded-md bg-red-800 px-3 py-1.5 text-sm text-white hover:bg-red-700 disabled:opacity-50";
export const card = "rounded-xl border border-stone-200 bg-white p-4";
export const table = "w-full border-collapse text-left text-sm [&_td]:border-t [&_td]:border-stone-100 [&_td]:px-2 [&_td]:py-2 [&_th]:px-2 [&_th]:py-2 [&_th]:font-medium [&_th]:text-stone-600";

export function PageTitle({ children, actions }: { children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-center gap-3">
      <h1 className="text-2xl font-semibold">{children}</h1>
      {actions && <div className="ml-auto flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}

/** What the shop said about a refused action, as the admin should read it. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.field ? `${error.message} (${error.field})` : error.message;
  return "Something went wrong. Please try again.";
}

export function Problem({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <p role="alert" data-testid={testId} className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
      {messageOf(error)}
    </p>
  );
}

export function Done({ children, testId }: { children: React.ReactNode; testId?: string }) {
  return (
    <p role="status" data-testid={testId} className="mt-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
      {children}
    </p>
  );
}

export function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: React.ReactNode }) {
  return (
    <div className="mt-4">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-stone-500">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A list's filters as links (orders by status, stock by level, runs by job): the current one marked. */
export function FilterLinks({ label, links, capitalize }: { label: string; links: { href: string; text: string; current: boolean }[]; capitalize?: boolean }) {
  return (
    <nav aria-label={label} className="mb-4 flex flex-wrap gap-2">
      {links.map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={l.current ? "page" : undefined}
          className={`rounded-full border border-stone-300 px-3 py-1 text-sm hover:bg-stone-100 aria-[current=page]:border-emerald-800 aria-[current=page]:bg-emerald-800 aria-[current=page]:text-white ${capitalize ? "capitalize" : ""}`}
        >
          {l.text}
        </Link>
      ))}
    </nav>
  );
}
