import type { Metadata } from "next";

import { AdminsView } from "./view";

export const metadata: Metadata = { title: "Admins" };

export default function AdminsPage() {
  return <AdminsView />;
}
