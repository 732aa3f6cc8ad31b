import type { Metadata } from "next";

import { FaultsView } from "./view";

export const metadata: Metadata = { title: "Faults" };

export default function FaultsPage() {
  return <FaultsView />;
}
