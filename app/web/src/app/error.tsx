"use client";

// The pages' error boundary: a render that throws shows this instead of a blank page, and the
// error goes to the browser telemetry (a React render error never reaches the window's `error`
// event, which the telemetry listens to otherwise).
import { useEffect } from "react";

import { reportError } from "@/telemetry";

export default function PageError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => reportError(error), [error]);
  return (
    <div role="alert" className="my-8 rounded-lg border border-red-200 bg-red-50 p-4 text-red-900">
      <h1 className="text-lg font-medium">Something went wrong on this page.</h1>
      <p className="mt-1 text-sm">The error was reported. Try again, or go back to the shop.</p>
      <button type="button" onClick={retry} className="mt-3 rounded-md bg-red-900 px-3 py-1.5 text-sm text-white hover:bg-red-800">
        Try again
      </button>
    </div>
  );
}
