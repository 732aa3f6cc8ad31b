import type { Metadata } from "next";
import Link from "next/link";

import "./globals.css";
import { Header } from "@/components/header";
import { ShopFrame } from "@/components/shop-frame";
import { AccountProvider } from "@/lib/account";
import { CartProvider } from "@/lib/cart";
import { Telemetry } from "@/telemetry/telemetry";

export const metadata: Metadata = {
  title: { default: "Observability Shop", template: "%s · Observability Shop" },
  description: "The Observability Shop Lab: a shop whose every request is traced, two ways.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <Telemetry />
        <CartProvider>
          <AccountProvider>
          <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
            Skip to content
          </a>
          <ShopFrame
            header={<Header />}
            footer={
              <footer className="mx-auto max-w-6xl px-4 py-8 text-xs text-stone-500">
                A lab shop: nothing is for sale. Payments are mock tokens (<code>tok_visa</code>).{" "}
                <Link href="/lab/" className="underline hover:text-emerald-800">
                  Lab: see the traces of your requests
                </Link>
              </footer>
            }
          >
            {children}
          </ShopFrame>
          </AccountProvider>
        </CartProvider>
      </body>
    </html>
  );
}
