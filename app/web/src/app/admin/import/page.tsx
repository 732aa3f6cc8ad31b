import type { Metadata } from "next";

import { ImportView } from "./view";

export const metadata: Metadata = { title: "Import CSV" };

export default function ImportPage() {
  return <ImportView />;
}
