import type { Metadata } from "next";

import { SessionsView } from "./view";

export const metadata: Metadata = { title: "My sessions" };

export default function SessionsPage() {
  return <SessionsView />;
}
