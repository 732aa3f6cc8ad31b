import { Suspense } from "react";

import { Loading } from "@/components/states";

import { CategoryView } from "./view";

export default function CategoryPage() {
  // The id is in the query string, which a static export only knows in the browser.
  return (
    <Suspense fallback={<Loading what="the category" />}>
      <CategoryView />
    </Suspense>
  );
}
