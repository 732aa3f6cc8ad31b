"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { Empty, ErrorState, Loading } from "@/components/states";
import { api, ApiError, done, unwrap, type Profile, type SavedAddress } from "@/lib/api";
import { safeNext, useAccount } from "@/lib/account";
import { renewCsrfToken } from "@/lib/csrf";
import { useLoad } from "@/lib/use-load";

import { AFTER_SOCIAL_LOGIN } from "./login/view";
import { asApiError, buttonClass, Field, FormError, messageFor, RequireLogin, secondaryButtonClass } from "./ui";

export function AccountView() {
  const social = useSearchParams().get("login") === "social";
  const router = useRouter();
  const { refresh } = useAccount();
  // The end of a social login: the session is in the cookie, and its CSRF token is asked for
  // (it never travels in a URL); then on to where the person started.
  useEffect(() => {
    if (!social) return;
    void renewCsrfToken()
      .then(refresh)
      .then(() => {
        const next = safeNext(sessionStorage.getItem(AFTER_SOCIAL_LOGIN));
        sessionStorage.removeItem(AFTER_SOCIAL_LOGIN);
        router.replace(next);
      });
  }, [social, refresh, router]);
  return <RequireLogin>{(profile) => <Account profile={profile} />}</RequireLogin>;
}

function Account({ profile }: { profile: Profile }) {
  const { logOut } = useAccount();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const out = async (everywhere: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await logOut(everywhere);
      router.push("/");
    } catch (e) {
      setError(asApiError(e, "Logging out"));
      setBusy(false);
    }
  };
  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-baseline justify-between gap-4">
        <h1 className="text-2xl font-semibold">Your account</h1>
        <nav aria-label="Account" className="flex flex-wrap gap-3 text-sm">
          <Link href="/account/orders/" className="rounded-md bg-emerald-800 px-3 py-1.5 text-white hover:bg-emerald-700" data-testid="orders-link">
            Your orders
          </Link>
          <button type="button" onClick={() => void out(false)} disabled={busy} data-telemetry-name="log-out" className={secondaryButtonClass}>
            Log out
          </button>
          <button type="button" onClick={() => void out(true)} disabled={busy} data-telemetry-name="log-out-everywhere" className={secondaryButtonClass}>
            Log out everywhere
          </button>
        </nav>
      </div>
      <FormError error={error} />
      <ProfileSection profile={profile} />
      <Addresses />
    </div>
  );
}

function ProfileSection({ profile }: { profile: Profile }) {
  const { update } = useAccount();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <section aria-labelledby="profile-title" className="rounded-xl border border-stone-200 bg-white p-5">
      <h2 id="profile-title" className="text-lg font-semibold">
        Profile
      </h2>
      <p className="mt-1 text-sm text-stone-600">
        E-mail: <span data-testid="profile-email">{profile.email}</span> · member since {new Date(profile.created_at).toLocaleDateString()}
      </p>
      <form
        aria-label="Profile"
        noValidate
        className="mt-4 grid gap-4 sm:grid-cols-[1fr_auto] sm:items-end"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          setBusy(true);
          setSaved(false);
          setError(null);
          try {
            update(await unwrap(api.PATCH("/api/account", { body: { name: String(f.get("name") ?? ""), sale_notices: f.get("sale_notices") === "on" } })));
            setSaved(true);
          } catch (err) {
            setError(asApiError(err, "Saving"));
          }
          setBusy(false);
        }}
      >
        <div className="space-y-3">
          <FormError error={error} fields={["name"]} />
          <Field label="Display name" name="name" idPrefix="profile-" defaultValue={profile.name} required maxLength={100} autoComplete="name" error={messageFor(error, "name")} />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="sale_notices" defaultChecked={profile.sale_notices} />
            Mail me when something I might like is on sale
          </label>
        </div>
        <div className="flex items-center gap-3">
          <button type="submit" data-telemetry-name="save-profile" disabled={busy} className={buttonClass}>
            {busy ? "Saving…" : "Save"}
          </button>
          {saved && (
            <span role="status" className="text-sm text-emerald-800">
              Saved
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

function Addresses() {
  // Read again after each change (`changed`), whatever the list's state was when it was made.
  const [changed, setChanged] = useState(0);
  const loaded = useLoad(`addresses-${changed}`, () => unwrap(api.GET("/api/account/addresses")));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: string, call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      setChanged((n) => n + 1);
    } catch (e) {
      setError(asApiError(e, what));
    }
    setBusy(false);
  };
  return (
    <section aria-labelledby="addresses-title" className="rounded-xl border border-stone-200 bg-white p-5">
      <h2 id="addresses-title" className="text-lg font-semibold">
        Addresses
      </h2>
      {loaded.state === "loading" && <Loading what="your addresses" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" && (
        <>
          <FormError error={error} />
          {loaded.data.length === 0 ? (
            <Empty title="No saved addresses yet.">Add one below, and checkout fills it in.</Empty>
          ) : (
            <ul className="mt-3 divide-y divide-stone-200" data-testid="addresses">
              {loaded.data.map((a) => (
                <AddressRow
                  key={a.id}
                  saved={a}
                  busy={busy}
                  onDefault={() => act("Making it the default", () => unwrap(api.POST("/api/account/addresses/{id}/default", { params: { path: { id: a.id } } })))}
                  onDelete={() => act("Deleting the address", () => done(api.DELETE("/api/account/addresses/{id}", { params: { path: { id: a.id } } })))}
                />
              ))}
            </ul>
          )}
          <NewAddressForm onSaved={loaded.reload} first={loaded.data.length === 0} />
        </>
      )}
    </section>
  );
}

function AddressRow({ saved, busy, onDefault, onDelete }: { saved: SavedAddress; busy: boolean; onDefault: () => void; onDelete: () => void }) {
  const a = saved.address;
  const label = `${a.name}, ${a.line1}, ${a.city}`;
  return (
    <li className="flex flex-wrap items-start justify-between gap-3 py-3 text-sm">
      <address className="not-italic">
        <span className="font-medium">{a.name}</span>
        {saved.is_default && <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900">Default</span>}
        <br />
        {a.line1}
        {a.line2 ? `, ${a.line2}` : ""}
        <br />
        {a.postal_code} {a.city}, {a.country}
      </address>
      <div className="flex gap-2">
        {!saved.is_default && (
          <button type="button" disabled={busy} onClick={onDefault} className={secondaryButtonClass} aria-label={`Make ${label} the default`}>
            Make default
          </button>
        )}
        <button type="button" disabled={busy} onClick={onDelete} className={secondaryButtonClass} aria-label={`Delete ${label}`}>
          Delete
        </button>
      </div>
    </li>
  );
}

const ADDRESS_FIELDS = ["name", "line1", "line2", "city", "postal_code", "country"];

function NewAddressForm({ onSaved, first }: { onSaved: () => void; first: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const on = (name: string) => messageFor(error, name, "address.");
  return (
    <form
      aria-label="Add an address"
      noValidate
      className="mt-6 grid gap-3 border-t border-stone-200 pt-4 sm:grid-cols-2"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const f = new FormData(form);
        const v = (n: string) => String(f.get(n) ?? "").trim();
        setBusy(true);
        setError(null);
        try {
          await unwrap(
            api.POST("/api/account/addresses", {
              body: {
                address: { name: v("name"), line1: v("line1"), line2: v("line2"), city: v("city"), postal_code: v("postal_code"), country: v("country").toUpperCase() },
                is_default: f.get("is_default") === "on",
              },
            }),
          );
          form.reset();
          onSaved();
        } catch (err) {
          setError(asApiError(err, "Saving the address"));
        }
        setBusy(false);
      }}
    >
      <h3 className="font-medium sm:col-span-2">Add an address</h3>
      <div className="sm:col-span-2">
        <FormError error={error} fields={ADDRESS_FIELDS.map((n) => `address.${n}`)} />
      </div>
      <Field label="Full name" name="name" idPrefix="address-" autoComplete="name" required maxLength={100} error={on("name")} className="sm:col-span-2" />
      <Field label="Address" name="line1" idPrefix="address-" autoComplete="address-line1" required maxLength={200} error={on("line1")} className="sm:col-span-2" />
      <Field label="Address line 2 (optional)" name="line2" idPrefix="address-" autoComplete="address-line2" maxLength={200} error={on("line2")} className="sm:col-span-2" />
      <Field label="City" name="city" idPrefix="address-" autoComplete="address-level2" required maxLength={100} error={on("city")} />
      <Field label="Postal code" name="postal_code" idPrefix="address-" autoComplete="postal-code" required maxLength={20} error={on("postal_code")} />
      <Field label="Country (two letters)" name="country" idPrefix="address-" autoComplete="country" required minLength={2} maxLength={2} defaultValue="JP" error={on("country")} />
      <label className="flex items-center gap-2 self-end text-sm">
        <input type="checkbox" name="is_default" defaultChecked={first} disabled={first} />
        Use it by default
      </label>
      <div className="sm:col-span-2">
        <button type="submit" data-telemetry-name="add-address" disabled={busy} className={buttonClass}>
          {busy ? "Saving…" : "Save address"}
        </button>
      </div>
    </form>
  );
}
