// Reading what a store kept, again while it is not all there yet: exports are batched (the
// collector every few seconds, the awssdk backend's queue too), so a first "missing" is not final.
// The last answer stays on screen during the next read; `retry` starts the rounds over.
import { useEffect, useState } from "react";

/** How often, and how many times, an answer some store is missing from is read again. */
export const REREAD_MS = 2500;
export const REREADS = 6;

export interface Reread<T> {
  answer: { data?: T; error?: unknown; round: number } | null;
  retry: () => void;
}

/**
 * `read()` now, then again every REREAD_MS (at most REREADS times) while `incomplete` says so;
 * `onRead` sees every answer. `read` and `onRead` must be stable (a new one reads again).
 */
export function useReread<T>(read: () => Promise<T>, incomplete: (t: T) => boolean, onRead?: (t: T) => void): Reread<T> {
  const [attempt, setAttempt] = useState(0);
  const [answer, setAnswer] = useState<Reread<T>["answer"]>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const once = async (round: number) => {
      try {
        const data = await read();
        if (!live) return;
        setAnswer({ data, round });
        onRead?.(data);
        if (round < REREADS && incomplete(data)) timer = setTimeout(() => void once(round + 1), REREAD_MS);
      } catch (error: unknown) {
        if (live) setAnswer({ error, round });
      }
    };
    void once(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // `incomplete` is a rule, not data: a new function for the same rule must not read again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [read, onRead, attempt]);
  return { answer, retry: () => setAttempt((n) => n + 1) };
}
