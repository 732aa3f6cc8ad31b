"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { useAccount } from "@/lib/account";
import { useCart } from "@/lib/cart";

export function Header() {
  const { cart } = useCart();
  const { who } = useAccount();
  const router = useRouter();
  const [q, setQ] = useState("");
  const count = cart?.item_count ?? 0;
  return (
    <header className="border-b border-stone-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
        <Link href="/" className="text-lg font-semibold tracking-tight text-emerald-900">
          Observability Shop
        </Link>
        <form
          role="search"
          className="order-3 flex w-full gap-2 sm:order-none sm:ml-4 sm:w-auto sm:flex-1"
          onSubmit={(e) => {
            e.preventDefault();
            const query = q.trim();
            if (query) router.push(`/search/?q=${encodeURIComponent(query)}`);
          }}
        >
          <label htmlFor="search" className="sr-only">
            Search products
          </label>
          <input
            id="search"
            type="search"
            value={q}
            maxLength={100}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Search products"
            className="w-full rounded-md border border-stone-300 px-3 py-1.5 text-sm focus:border-emerald-700 focus:outline-none focus:ring-1 focus:ring-emerald-700"
          />
          <button type="submit" data-telemetry-name="search" className="rounded-md bg-emerald-800 px-3 py-1.5 text-sm text-white hover:bg-emerald-700">
            Search
          </button>
        </form>
        <nav aria-label="Shop" className="ml-auto flex items-center gap-4 text-sm">
          <Link href="/categories/" className="hover:text-emerald-800">
            Categories
          </Link>
          {who.state === "customer" ? (
            <Link href="/account/" className="max-w-40 truncate hover:text-emerald-800" data-testid="account-link" title="Your account">
              {who.profile.name || "Account"}
            </Link>
          ) : (
            <Link href="/account/login/" className="hover:text-emerald-800" data-testid="account-link" aria-busy={who.state === "loading"}>
              Log in
            </Link>
          )}
          <Link href="/cart/" className="rounded-md border border-stone-300 px-3 py-1.5 hover:bg-stone-50" data-testid="cart-link">
            Cart{count > 0 && <span className="ml-1 rounded-full bg-emerald-800 px-1.5 text-xs text-white" aria-label={`${count} items`}>{count}</span>}
          </Link>
        </nav>
      </div>
    </header>
  );
}
