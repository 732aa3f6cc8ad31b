"use client";

// The back office's frame: who is signed in (`GET /api/admin/me`), its navigation, and `call`,
// which every admin page uses to talk to the shop. `call` turns the session's failures into what
// the admin should do: an ended session or a lost CSRF token back to the login page with the
// reason, and `step_up_required` into a prompt for a fresh code, after which the action is tried
// once more.
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";

import { ErrorState, Loading } from "@/components/states";
import { ApiError } from "@/lib/api";
import {
  adminApi,
  csrfToken,
  forgetCsrfToken,
  loginPath,
  type LoginReason,
  type Me,
  mayRead,
  type Section,
  settle,
} from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

import { LiveNotifications } from "./notifications";

type Answer<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

interface AdminContext {
  me: Me;
  /** Runs an API call: its data, or an ApiError (after handling session loss and step-up). */
  call: <T>(request: () => Answer<T>) => Promise<T>;
  /** Asks for a second factor now (a step-up); true once the shop took it. */
  stepUp: () => Promise<boolean>;
}

const Context = createContext<AdminContext | null>(null);

export function useAdmin(): AdminContext {
  const context = useContext(Context);
  if (!context) throw new Error("useAdmin outside the back office's frame");
  return context;
}

/** Pages without a session: the login and the invitation. */
const PUBLIC = ["/admin/login/", "/admin/invitation/"];

export function AdminFrame({ children }: { children: React.ReactNode }) {
  const pathname = usePathname();
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  if (PUBLIC.includes(path)) {
    return (
      <div className="mx-auto max-w-lg px-4 py-10">
        <p className="mb-6 text-lg font-semibold tracking-tight text-emerald-900">Observability Shop · Back office</p>
        <main id="main">{children}</main>
      </div>
    );
  }
  return <SignedIn>{children}</SignedIn>;
}

function SignedIn({ children }: { children: React.ReactNode }) {
  const router = useRouter();
  const leave = useCallback(
    (reason: LoginReason) => {
      forgetCsrfToken();
      router.replace(loginPath(reason));
    },
    [router],
  );
  const loaded = useLoad("me", () => settle(adminApi.GET("/api/admin/me")));
  const problem =
    loaded.state === "error" && loaded.error instanceof ApiError && loaded.error.status === 401
      ? loaded.error.code === "mfa_required"
        ? "mfa"
        : "expired"
      : loaded.state === "done" && !csrfToken()
        ? "csrf"
        : null;
  useEffect(() => {
    if (problem) leave(problem);
  }, [problem, leave]);

  const [asking, setAsking] = useState<((ok: boolean) => void) | null>(null);
  const stepUp = useCallback(() => new Promise<boolean>((resolve) => setAsking(() => resolve)), []);
  const call = useCallback(
    async <T,>(request: () => Answer<T>): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await settle(request());
        } catch (e) {
          if (e instanceof ApiError) {
            if (e.status === 401) leave(e.code === "mfa_required" ? "mfa" : "expired");
            else if (e.status === 403 && e.code === "csrf_failed") leave("csrf");
            else if (e.status === 403 && e.code === "step_up_required" && attempt === 0 && (await stepUp())) continue;
          }
          throw e;
        }
      }
    },
    [leave, stepUp],
  );
  const me = loaded.state === "done" ? loaded.data : null;
  const context = useMemo(() => (me ? { me, call, stepUp } : null), [me, call, stepUp]);

  if (problem || loaded.state === "loading") return <Loading what="the back office" />;
  if (loaded.state === "error") return <ErrorState error={loaded.error} retry={loaded.retry} />;
  if (!context) return null;
  return (
    <Context.Provider value={context}>
      <div className="min-h-screen md:flex">
        <AdminNav me={context.me} onSignOut={leave} call={call} />
        <main id="main" className="min-w-0 flex-1 px-4 py-6 md:px-8">
          {children}
        </main>
      </div>
      <LiveNotifications />
      {asking && (
        <StepUpDialog
          done={(ok) => {
            asking(ok);
            setAsking(null);
          }}
        />
      )}
    </Context.Provider>
  );
}

const LINKS: { href: string; label: string; section?: Section; also?: string }[] = [
  { href: "/admin/", label: "Dashboard" },
  { href: "/admin/products/", label: "Products", section: "catalog", also: "/admin/product/" },
  { href: "/admin/import/", label: "Import CSV", section: "catalog" },
  { href: "/admin/categories/", label: "Categories", section: "catalog" },
  { href: "/admin/inventory/", label: "Inventory", section: "inventory", also: "/admin/stock/" },
  { href: "/admin/orders/", label: "Orders", section: "orders", also: "/admin/order/" },
  { href: "/admin/admins/", label: "Admins", section: "admins" },
  { href: "/admin/audit/", label: "Audit log", section: "audit" },
  { href: "/admin/batch/", label: "Batch jobs", section: "batch" },
  { href: "/admin/sessions/", label: "My sessions" },
];

function AdminNav({ me, onSignOut, call }: { me: Me; onSignOut: (r: LoginReason) => void; call: AdminContext["call"] }) {
  const pathname = usePathname();
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  const here = (l: (typeof LINKS)[number]) => path === l.href || path === l.also;
  return (
    <aside className="border-b border-stone-200 bg-white md:w-56 md:shrink-0 md:border-b-0 md:border-r">
      <div className="px-4 py-4">
        <Link href="/admin/" className="font-semibold tracking-tight text-emerald-900">
          Back office
        </Link>
        <p className="mt-1 truncate text-xs text-stone-500" title={me.admin.email}>
          {me.admin.name}
        </p>
        <p className="text-xs text-stone-500">{me.admin.roles.join(", ").replaceAll("_", " ")}</p>
      </div>
      <nav aria-label="Back office" className="flex flex-wrap gap-1 px-2 pb-3 md:flex-col">
        {LINKS.filter((l) => !l.section || mayRead(me.admin.roles, l.section)).map((l) => (
          <Link
            key={l.href}
            href={l.href}
            aria-current={here(l) ? "page" : undefined}
            className="rounded-md px-3 py-1.5 text-sm text-stone-700 hover:bg-stone-100 aria-[current=page]:bg-emerald-50 aria-[current=page]:font-medium aria-[current=page]:text-emerald-900"
          >
            {l.label}
          </Link>
        ))}
        <button
          type="button"
          data-telemetry-name="admin-sign-out"
          className="rounded-md px-3 py-1.5 text-left text-sm text-stone-700 hover:bg-stone-100"
          onClick={async () => {
            await call(() => adminApi.POST("/api/admin/logout")).catch(() => undefined);
            onSignOut("signed-out");
          }}
        >
          Sign out
        </button>
        <Link href="/" className="rounded-md px-3 py-1.5 text-sm text-stone-500 hover:bg-stone-100">
          ← The shop
        </Link>
      </nav>
    </aside>
  );
}

/** A modal asking for a code (or a recovery code) for `POST /api/admin/step-up`. */
function StepUpDialog({ done }: { done: (ok: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="step-up-title"
      onCancel={() => done(false)}
      className="m-auto w-[min(28rem,calc(100%-2rem))] rounded-xl border border-stone-200 p-6 shadow-xl backdrop:bg-stone-900/40"
    >
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          const body = recovery ? { recovery_code: value.trim() } : { code: value.trim() };
          try {
            await settle(adminApi.POST("/api/admin/step-up", { body }));
            done(true);
          } catch (err) {
            setError(err instanceof ApiError ? err.message : "The shop did not take the code.");
            setBusy(false);
          }
        }}
      >
        <h2 id="step-up-title" className="text-lg font-semibold">
          Confirm it is you
        </h2>
        <p className="mt-2 text-sm text-stone-600">
          This action needs your second factor given in the last 10 minutes. Enter {recovery ? "a recovery code" : "the code from your authenticator app"}.
        </p>
        <label htmlFor="step-up-code" className="mt-4 block text-sm font-medium">
          {recovery ? "Recovery code" : "Authenticator code"}
        </label>
        <input
          id="step-up-code"
          autoFocus
          required
          value={value}
          onChange={(e) => setValue(e.target.value)}
          inputMode={recovery ? "text" : "numeric"}
          autoComplete="one-time-code"
          pattern={recovery ? undefined : "[0-9]{6}"}
          className="mt-1 w-full rounded-md border border-stone-300 px-3 py-2 font-mono"
        />
        {error && (
          <p role="alert" className="mt-2 text-sm text-red-800">
            {error}
          </p>
        )}
        <button type="button" className="mt-2 text-sm text-emerald-800 underline" onClick={() => setRecovery((r) => !r)}>
          {recovery ? "Use the authenticator app" : "Use a recovery code instead"}
        </button>
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" className="rounded-md border border-stone-300 px-3 py-1.5 text-sm" onClick={() => done(false)}>
            Cancel
          </button>
          <button type="submit" disabled={busy} data-telemetry-name="admin-step-up" className="rounded-md bg-emerald-800 px-3 py-1.5 text-sm text-white disabled:opacity-50">
            Confirm
          </button>
        </div>
      </form>
    </dialog>
  );
}
