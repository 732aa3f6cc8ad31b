// Loading, error and empty states: every page that waits for the shop shows one of these rather
// than a blank space.
import { ApiError } from "@/lib/api";

export function Loading({ what }: { what: string }) {
  return (
    <div role="status" aria-live="polite" className="flex items-center gap-3 py-12 text-stone-500">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-stone-300 border-t-emerald-700" aria-hidden />
      Loading {what}…
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const message =
    error instanceof ApiError ? error.message : "Something went wrong on this page. Please try again.";
  return (
    <div role="alert" className="my-8 rounded-lg border border-red-200 bg-red-50 p-4 text-red-900">
      <p className="font-medium">We could not load this.</p>
      <p className="mt-1 text-sm">{message}</p>
      {retry && (
        <button type="button" onClick={retry} className="mt-3 rounded-md bg-red-900 px-3 py-1.5 text-sm text-white hover:bg-red-800">
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="my-8 rounded-lg border border-dashed border-stone-300 p-8 text-center text-stone-600">
      <p className="font-medium text-stone-800">{title}</p>
      {children && <div className="mt-2 text-sm">{children}</div>}
    </div>
  );
}
