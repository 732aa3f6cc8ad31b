"use client";

// Who is shopping: a guest, or a logged-in customer (the session is an HttpOnly cookie this code
// never sees; `GET /api/account` says whose it is). Logging in and out happen here, so the header,
// the checkout and the account pages agree. The CSRF token is csrf.ts's.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";

import { api, ApiError, done, unwrap, type Profile } from "@/lib/api";
import { CART_KEY, useCart } from "@/lib/cart";
import { csrfToken, renewCsrfToken, setCsrfToken } from "@/lib/csrf";

export type Who = { state: "loading" } | { state: "guest" } | { state: "customer"; profile: Profile };

interface AccountState {
  who: Who;
  logIn(email: string, password: string): Promise<Profile>;
  logOut(everywhere?: boolean): Promise<void>;
  /** Reads the profile again (after a login elsewhere, a name change, a social login). */
  refresh(): Promise<void>;
  /** Sets the profile the shop answered (after a change). */
  update(profile: Profile): void;
}

const AccountContext = createContext<AccountState | null>(null);

async function whoIsThere(): Promise<Who> {
  // A guest is an answer (`user: null`), not a 401.
  const { user } = await unwrap(api.GET("/api/auth/session"));
  if (!user) {
    setCsrfToken(null);
    return { state: "guest" };
  }
  // A session this tab has no token for (a new browser session, a social login): get one now,
  // rather than at the first refused change.
  if (!csrfToken()) await renewCsrfToken();
  return { state: "customer", profile: user };
}

export function AccountProvider({ children }: { children: React.ReactNode }) {
  const { refresh: refreshCart, forget: forgetCart } = useCart();
  const [who, setWho] = useState<Who>({ state: "loading" });

  const refresh = useCallback(async () => {
    // An unreachable shop leaves the header as it was: it is not a logout.
    const next = await whoIsThere().catch(() => null);
    if (next) setWho(next);
  }, []);

  useEffect(() => {
    let live = true;
    void whoIsThere()
      .catch((): Who => ({ state: "guest" }))
      .then((next) => live && setWho(next));
    return () => {
      live = false;
    };
  }, []);

  const logIn = useCallback(
    async (email: string, password: string) => {
      const guestCart = localStorage.getItem(CART_KEY);
      const answer = await unwrap(
        api.POST("/api/auth/login", { body: { email, password, cart_id: guestCart ?? undefined } }),
      );
      setCsrfToken(answer.csrf_token);
      // The customer's cart, with the guest cart's lines merged in.
      localStorage.setItem(CART_KEY, answer.cart_id);
      await refreshCart();
      setWho({ state: "customer", profile: answer.user });
      return answer.user;
    },
    [refreshCart],
  );

  const logOut = useCallback(
    async (everywhere = false) => {
      try {
        await done(api.POST(everywhere ? "/api/auth/logout-everywhere" : "/api/auth/logout"));
      } catch (e) {
        // No session any more (it expired, or ended on another device): logged out all the same.
        if (!(e instanceof ApiError && e.status === 401)) throw e;
      }
      setCsrfToken(null);
      // The cart was the customer's: a guest starts a new one.
      forgetCart();
      setWho({ state: "guest" });
    },
    [forgetCart],
  );

  const update = useCallback((profile: Profile) => setWho({ state: "customer", profile }), []);

  const value = useMemo(() => ({ who, logIn, logOut, refresh, update }), [who, logIn, logOut, refresh, update]);
  return <AccountContext.Provider value={value}>{children}</AccountContext.Provider>;
}

export function useAccount(): AccountState {
  const state = useContext(AccountContext);
  if (!state) throw new Error("useAccount outside AccountProvider");
  return state;
}

/** A path of this site to go to after logging in (`?next=`), never another origin. */
export function safeNext(next: string | null, fallback = "/account/"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/api/")) return fallback;
  return next;
}
