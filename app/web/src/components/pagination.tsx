import Link from "next/link";

/** Previous / next links for a paged listing; `href(page)` builds each link. */
export function Pagination({ page, totalPages, href }: { page: number; totalPages: number; href: (page: number) => string }) {
  if (totalPages <= 1) return null;
  const link = "rounded-md border border-stone-300 px-3 py-1.5 text-sm hover:bg-stone-50";
  return (
    <nav aria-label="Pages" className="mt-8 flex items-center justify-center gap-3">
      {page > 1 ? <Link className={link} href={href(page - 1)} rel="prev">Previous</Link> : <span className={`${link} opacity-40`} aria-disabled>Previous</span>}
      <span className="text-sm text-stone-600" aria-current="page">
        Page {page} of {totalPages}
      </span>
      {page < totalPages ? <Link className={link} href={href(page + 1)} rel="next">Next</Link> : <span className={`${link} opacity-40`} aria-disabled>Next</span>}
    </nav>
  );
}
