"use client";

// The back office's live notifications (F-LAMBDA-01): a new order, a product running low, the
// stock report ready, the image-resize function done with a picture. The shop keeps every such
// event in its outbox; this follows them with a long poll (`GET /api/admin/notifications`: the
// first call gives the cursor, each next one answers as soon as something happens after it, or
// after 20 s), and shows each as a toast for a while. Each notification shown is reported
// (`track`: a `browser.notification` event and its delay since the change) in the trace of the
// change itself, so a learner can follow a checkout or a function's run to the admin's screen.
import Link from "next/link";
import { useEffect, useState } from "react";

import { ApiError } from "@/lib/api";
import { adminApi, settle } from "@/lib/admin";
import { track } from "@/telemetry";
import { isNotificationType } from "@/telemetry/catalogue";

import type { AdminSchemas } from "@/lib/admin";

type Notification = AdminSchemas["Notification"];
type Notifications = AdminSchemas["Notifications"];

/** How long a toast stays, and how many at most. */
const SHOWN_MS = 20_000;
const MAX_SHOWN = 4;
/** After a failed call, the next one waits this long (an outage must not become a busy loop). */
const BACKOFF_MS = 5_000;

function text(n: Notification): { title: string; href?: string; link?: string } {
  const d = n.data as Record<string, unknown>;
  const product = typeof d.product_id === "number" ? d.product_id : null;
  switch (n.type) {
    case "order.placed": {
      const total =
        typeof d.total_cents === "number" && typeof d.currency === "string"
          ? `: ${new Intl.NumberFormat("en", { style: "currency", currency: d.currency }).format(d.total_cents / 100)}`
          : "";
      return { title: `New order${total}`, href: `/admin/order/?id=${String(d.order_id)}`, link: "Open the order" };
    }
    case "inventory.low_stock":
      return {
        title: `Low stock: product #${String(product)}, ${String(d.quantity)} left (threshold ${String(d.threshold)})`,
        href: `/admin/stock/?id=${String(product)}`,
        link: "See its stock",
      };
    case "inventory.stock_report":
      return { title: "The stock report is ready", href: "/admin/batch/", link: "Batch jobs" };
    case "catalog.image.processed":
      return d.status === "done"
        ? { title: `The picture of product #${String(product)} is ready`, href: `/admin/product/?id=${String(product)}`, link: "Open the product" }
        : { title: `The picture of product #${String(product)} was refused (${String(d.reason)})`, href: `/admin/product/?id=${String(product)}`, link: "Open the product" };
    default:
      return { title: n.type };
  }
}

export function LiveNotifications() {
  const [shown, setShown] = useState<(Notification & { until: number })[]>([]);
  useEffect(() => {
    const stop = new AbortController();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    void (async () => {
      let cursor: number | null = null;
      while (!stop.signal.aborted) {
        try {
          const answer: Notifications = await settle(
            adminApi.GET("/api/admin/notifications", {
              params: { query: cursor === null ? {} : { after: cursor, wait: 20 } },
              signal: stop.signal,
            }),
          );
          cursor = answer.cursor;
          if (answer.items.length > 0) {
            const now = Date.now();
            for (const n of answer.items) {
              if (isNotificationType(n.type)) track({ kind: "notification", type: n.type, occurredAt: n.occurred_at, trace: n.trace, time: now });
            }
            setShown((old) => [...old, ...answer.items.map((n) => ({ ...n, until: now + SHOWN_MS }))].slice(-MAX_SHOWN));
          }
        } catch (e) {
          if (stop.signal.aborted) return;
          // An ended session: the frame sends the admin to the login page; stop here.
          if (e instanceof ApiError && e.status === 401) return;
          await sleep(BACKOFF_MS);
        }
      }
    })();
    return () => stop.abort();
  }, []);
  useEffect(() => {
    if (shown.length === 0) return;
    const next = Math.min(...shown.map((n) => n.until)) - Date.now();
    const t = setTimeout(() => setShown((old) => old.filter((n) => n.until > Date.now())), Math.max(0, next));
    return () => clearTimeout(t);
  }, [shown]);
  return (
    <div aria-live="polite" className="pointer-events-none fixed bottom-4 right-4 z-40 flex w-80 flex-col gap-2" data-testid="admin-notifications">
      {shown.map((n) => {
        const t = text(n);
        return (
          <div key={n.id} role="status" className="pointer-events-auto rounded-lg border border-emerald-200 bg-white p-3 text-sm shadow-lg" data-testid="admin-notification" data-type={n.type}>
            <p className="font-medium text-stone-900">{t.title}</p>
            <div className="mt-1 flex items-center justify-between gap-2 text-xs">
              {t.href && (
                <Link href={t.href} className="text-emerald-800 underline">
                  {t.link}
                </Link>
              )}
              <button type="button" className="ml-auto text-stone-500 hover:text-stone-800" onClick={() => setShown((old) => old.filter((o) => o.id !== n.id))}>
                Dismiss
              </button>
            </div>
          </div>
        );
      })}
    </div>
  );
}
