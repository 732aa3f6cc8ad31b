"use client";

import { useCallback, useEffect, useState } from "react";

/** What a page loaded from the shop: its data, or the error, and a way to try again. */
export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; error: unknown; retry: () => void }
  | { state: "done"; data: T; reload: () => void };

/**
 * Runs `load` when `key` changes (and on retry). An answer counts only for the key and attempt
 * it was asked for, so a slow answer to an old key never replaces a newer one, and a new key
 * shows "loading" until its own answer comes.
 */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [attempt, setAttempt] = useState(0);
  const again = useCallback(() => setAttempt((n) => n + 1), []);
  const asked = `${attempt}#${key}`;
  const [answer, setAnswer] = useState<{ asked: string; value: Loaded<T> } | null>(null);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setAnswer({ asked, value: { state: "done", data, reload: again } }),
      (error: unknown) => live && setAnswer({ asked, value: { state: "error", error, retry: again } }),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure every render; `asked` names what it loads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [asked, again]);
  return answer?.asked === asked ? answer.value : { state: "loading" };
}
