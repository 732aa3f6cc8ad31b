"use client";

import { usePathname } from "next/navigation";

/**
 * The shop's header, main column and footer around a page, except in the back office
 * (`/admin/…`), which has a frame of its own (src/app/admin/layout.tsx).
 */
export function ShopFrame({ header, footer, children }: { header: React.ReactNode; footer: React.ReactNode; children: React.ReactNode }) {
  if (usePathname().startsWith("/admin")) return children;
  return (
    <>
      {header}
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {children}
      </main>
      {footer}
    </>
  );
}
