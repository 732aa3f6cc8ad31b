"use client";

// The Lab page's view of the tab's last requests (recorded by ./recent.ts), as a React store.
import { useSyncExternalStore } from "react";

import { parse, storedRaw, type RecentRequest } from "./recent";

const NONE: RecentRequest[] = [];
let cached: { raw: string | null; list: RecentRequest[] } = { raw: null, list: NONE };

/** The requests, newest first: the same array while the stored list is unchanged. */
function snapshot(): RecentRequest[] {
  const raw = storedRaw();
  if (raw !== cached.raw) cached = { raw, list: parse(raw) };
  return cached.list;
}

/**
 * sessionStorage belongs to this tab, whose other pages record the requests: while the Lab page
 * shows, the list changes only through another frame of the tab, which a storage event reports.
 */
function subscribe(onChange: () => void): () => void {
  window.addEventListener("storage", onChange);
  return () => window.removeEventListener("storage", onChange);
}

/**
 * The tab's last requests, newest first, for a component: none while the page is prerendered
 * (sessionStorage exists only in the browser), then the stored list.
 */
export function useRecentRequests(): RecentRequest[] {
  return useSyncExternalStore(subscribe, snapshot, () => NONE);
}

