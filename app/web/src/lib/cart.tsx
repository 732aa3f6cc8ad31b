"use client";

// The shopper's cart: a server-side cart (POST /api/carts) whose id this browser keeps in
// localStorage, and its item count for the header. Everything about the cart's contents is the
// shop's answer; the browser keeps only the id.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";

import { api, ApiError, unwrap, type Cart } from "@/lib/api";

const KEY = "shop.cart";
/** Where the cart's id is kept (a login hands the customer's cart over: src/lib/account.tsx). */
export const CART_KEY = KEY;

interface CartState {
  cart: Cart | null;
  /** Adds `quantity` of a product, creating the cart first when there is none (or it was checked out). */
  add(productId: number, quantity: number): Promise<Cart>;
  /** Reads the cart again (after a change elsewhere). */
  refresh(): Promise<void>;
  /** Forgets the cart (after a checkout). */
  forget(): void;
}

const CartContext = createContext<CartState | null>(null);

async function load(id: string): Promise<Cart | null> {
  try {
    const cart = await unwrap(api.GET("/api/carts/{id}", { params: { path: { id } } }));
    return cart.status === "open" ? cart : null;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return null;
    throw e;
  }
}

async function create(): Promise<Cart> {
  const cart = await unwrap(api.POST("/api/carts"));
  localStorage.setItem(KEY, cart.id);
  return cart;
}

export function CartProvider({ children }: { children: React.ReactNode }) {
  const [cart, setCart] = useState<Cart | null>(null);

  const refresh = useCallback(async () => {
    const id = localStorage.getItem(KEY);
    if (!id) return setCart(null);
    const found = await load(id).catch(() => null);
    if (!found) localStorage.removeItem(KEY);
    setCart(found);
  }, []);

  // The cart this browser had, read once when the page loads.
  useEffect(() => {
    const id = localStorage.getItem(KEY);
    if (!id) return;
    let live = true;
    void load(id)
      .catch(() => null)
      .then((found) => {
        if (!live) return;
        if (!found) localStorage.removeItem(KEY);
        setCart(found);
      });
    return () => {
      live = false;
    };
  }, []);

  const add = useCallback(async (productId: number, quantity: number) => {
    const id = localStorage.getItem(KEY);
    let current = id ? await load(id) : null;
    current ??= await create();
    const updated = await unwrap(
      api.POST("/api/carts/{id}/items", {
        params: { path: { id: current.id } },
        body: { product_id: productId, quantity },
      }),
    );
    setCart(updated);
    return updated;
  }, []);

  const forget = useCallback(() => {
    localStorage.removeItem(KEY);
    setCart(null);
  }, []);

  const value = useMemo(() => ({ cart, add, refresh, forget }), [cart, add, refresh, forget]);
  return <CartContext.Provider value={value}>{children}</CartContext.Provider>;
}

export function useCart(): CartState {
  const state = useContext(CartContext);
  if (!state) throw new Error("useCart outside CartProvider");
  return state;
}
