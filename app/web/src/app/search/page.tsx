import { Suspense } from "react";

import { Loading } from "@/components/states";

import { SearchView } from "./view";

export default function SearchPage() {
  return (
    <Suspense fallback={<Loading what="the search" />}>
      <SearchView />
    </Suspense>
  );
}
