"use client";

// What checkout can fill in for a logged-in customer: their e-mail and default address. A guest
// gets an empty form, as before.
import { useEffect, useState } from "react";

import { api, unwrap, type Schemas } from "@/lib/api";
import { useAccount } from "@/lib/account";

export interface Prefill {
  email: string;
  address: Partial<Schemas["Address"]>;
}

/** `null` while it is not known yet who is checking out. */
export function usePrefill(): Prefill | null {
  const { who } = useAccount();
  const [address, setAddress] = useState<{ for: string; value: Partial<Schemas["Address"]> } | null>(null);
  const email = who.state === "customer" ? who.profile.email : null;
  useEffect(() => {
    if (!email) return;
    let live = true;
    unwrap(api.GET("/api/account/addresses"))
      .then((book) => book.find((a) => a.is_default)?.address ?? book[0]?.address ?? {})
      // No address book (an error): the customer types the address.
      .catch(() => ({}))
      .then((value) => live && setAddress({ for: email, value }));
    return () => {
      live = false;
    };
  }, [email]);
  if (who.state === "loading") return null;
  if (who.state === "guest") return { email: "", address: {} };
  if (address?.for !== who.profile.email) return null;
  return { email: who.profile.email, address: address.value };
}
