import type { Metadata } from "next";

import { AdminFrame } from "@/components/admin/shell";

export const metadata: Metadata = {
  title: { default: "Back office", template: "%s · Back office" },
  robots: { index: false },
};

// The back office: its own navigation, no shop header or cart (the root layout leaves them out
// under /admin).
export default function AdminLayout({ children }: { children: React.ReactNode }) {
  return <AdminFrame>{children}</AdminFrame>;
}
