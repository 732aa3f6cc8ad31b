"use client";

// "Mail me when it is back" on a sold-out product (C-NOTIF-03): for a logged-in customer, an
// alert they can ask for and cancel (PUT/DELETE /api/account/stock-alerts/{id}); a guest is asked
// to log in first.
import Link from "next/link";
import { useState } from "react";

import { api, ApiError, done, unwrap } from "@/lib/api";
import { useAccount } from "@/lib/account";
import { useLoad } from "@/lib/use-load";

export function StockAlert({ productId }: { productId: number }) {
  const { who } = useAccount();
  const box = "mt-6 rounded-lg bg-stone-100 p-3 text-sm text-stone-700";
  if (who.state !== "customer")
    return (
      <p className={box}>
        Sold out.{" "}
        {who.state === "guest" && (
          <>
            <Link href={`/account/login/?next=${encodeURIComponent(`/product/?id=${productId}`)}`} className="text-emerald-800 underline">
              Log in
            </Link>{" "}
            to get a mail when it is back.
          </>
        )}
      </p>
    );
  return <CustomerAlert productId={productId} box={box} />;
}

function CustomerAlert({ productId, box }: { productId: number; box: string }) {
  const alerts = useLoad("stock-alerts", () => unwrap(api.GET("/api/account/stock-alerts")));
  const [mine, setMine] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const subscribed = mine ?? (alerts.state === "done" && alerts.data.some((a) => a.product_id === productId));
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const path = { params: { path: { product_id: productId } } };
      if (subscribed) await done(api.DELETE("/api/account/stock-alerts/{product_id}", path));
      else await unwrap(api.PUT("/api/account/stock-alerts/{product_id}", path));
      setMine(!subscribed);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "That did not work. Please try again.");
    }
    setBusy(false);
  };
  return (
    <div className={box}>
      <p role="status" data-testid="stock-alert-state">
        Sold out. {subscribed ? "We will mail you once when it is back in stock." : "Want a mail when it is back?"}
      </p>
      {error && (
        <p role="alert" className="mt-2 text-red-800">
          {error}
        </p>
      )}
      <button
        type="button"
        onClick={() => void toggle()}
        disabled={busy || alerts.state === "loading"}
        data-telemetry-name={subscribed ? "stock-alert-cancel" : "stock-alert"}
        className="mt-2 rounded-md border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-50 disabled:opacity-60"
      >
        {subscribed ? "Cancel the alert" : "Mail me when it is back"}
      </button>
    </div>
  );
}
