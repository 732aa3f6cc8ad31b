"use client";

// A session's recording, played back (F-RUM-03): the chunks the recorder sent, read back by the
// shop from the replay bucket (`GET /api/lab/sessions/{id}/replay`) and played by rrweb's
// Replayer in a sandboxed frame. What the shopper typed shows as `*`, and the text of the
// account, checkout and order pages too: the recorder and the intake masked it.
import "rrweb/dist/style.css";

import { useEffect, useRef, useState } from "react";

import { ApiError, api, type Schemas, unwrap } from "@/lib/api";

import { Command } from "./waterfall";

type SessionReplay = Schemas["SessionReplay"];
type Player = { play: (t?: number) => void; pause: (t?: number) => void; getCurrentTime: () => number; destroy: () => void };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function Stage({ replay }: { replay: SessionReplay }) {
  const root = useRef<HTMLDivElement>(null);
  const player = useRef<Player | null>(null);
  const [state, setState] = useState<{ total: number; at: number; playing: boolean } | { error: string } | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setInterval> | undefined;
    void import("rrweb")
      .then(({ Replayer }) => {
        if (!live || !root.current) return;
        const r = new Replayer(replay.events as unknown as ConstructorParameters<typeof Replayer>[0], {
          root: root.current,
          skipInactive: true,
          mouseTail: false,
          showWarning: false,
        });
        player.current = r;
        const total = r.getMetaData().totalTime;
        r.play();
        setState({ total, at: 0, playing: true });
        timer = setInterval(() => {
          const at = Math.min(r.getCurrentTime(), total);
          setState((s) => (s && "total" in s ? { ...s, at, playing: s.playing && at < total } : s));
        }, 250);
      })
      .catch((e: unknown) => live && setState({ error: `the player did not load: ${String(e)}` }));
    return () => {
      live = false;
      clearInterval(timer);
      player.current?.destroy();
      player.current = null;
    };
  }, [replay]);
  return (
    <div>
      {state && "error" in state && (
        <p role="alert" className="text-sm text-red-800">
          {state.error}
        </p>
      )}
      {state && "total" in state && (
        <div className="mb-2 flex items-center gap-3 text-sm">
          <button
            type="button"
            className="rounded-md border border-stone-300 px-3 py-1 hover:bg-stone-50"
            onClick={() => {
              const r = player.current;
              if (!r) return;
              if (state.playing) r.pause();
              else r.play(state.at >= state.total ? 0 : state.at);
              setState({ ...state, playing: !state.playing });
            }}
          >
            {state.playing ? "Pause" : "Play"}
          </button>
          <span className="tabular-nums text-stone-600" data-testid="replay-time">
            {seconds(state.at)} of {seconds(state.total)}
          </span>
        </div>
      )}
      {/* The replayer draws the recorded page at its recorded size in a frame; scaled down to fit. */}
      <div className="overflow-auto rounded border border-stone-200 bg-stone-100" style={{ maxHeight: 480 }}>
        <div ref={root} className="origin-top-left scale-50" data-testid="replay-stage" />
      </div>
    </div>
  );
}

/** The recording of session `id`, loaded when asked (it can be large). */
export function ReplayPanel({ id }: { id: string }) {
  const [answer, setAnswer] = useState<{ replay?: SessionReplay; error?: string; loading?: boolean } | null>(null);
  const load = () => {
    setAnswer({ loading: true });
    unwrap(api.GET("/api/lab/sessions/{session_id}/replay", { params: { path: { session_id: id } } })).then(
      (replay) => setAnswer({ replay }),
      (e: unknown) =>
        setAnswer({
          error:
            e instanceof ApiError && e.code === "replay_off"
              ? "This shop keeps no recordings: start it with --rum-replay-bucket (make lab does)."
              : e instanceof ApiError
                ? e.message
                : "The recording could not be read.",
        }),
    );
  };
  return (
    <section aria-labelledby="replay" className="mt-4 rounded-lg border border-stone-200 p-3" data-testid="session-replay">
      <h3 id="replay" className="font-medium">
        The session, replayed
      </h3>
      <p className="mb-2 text-xs text-stone-600">
        What the page looked like and what the shopper did, recorded in the browser (rrweb) and kept in its own S3 bucket. Inputs,
        and the text of the account, checkout and order pages, were masked before they left the browser; the back office is not
        recorded.
      </p>
      {!answer?.replay && (
        <button
          type="button"
          onClick={load}
          disabled={answer?.loading}
          className="rounded-md border border-stone-300 px-3 py-1 text-sm hover:bg-stone-50 disabled:opacity-50"
          data-testid="replay-load"
        >
          {answer?.loading ? "Loading the recording…" : "Load the recording"}
        </button>
      )}
      {answer?.error && <p className="mt-2 text-sm text-stone-700">{answer.error}</p>}
      {answer?.replay && answer.replay.chunks === 0 && (
        <p className="mt-2 text-sm text-stone-700" data-testid="replay-none">
          No recording of this session: sessions are drawn for recording (<code>--rum-replay-sample-ratio</code>), or its
          chunks have not arrived yet.{" "}
          <button type="button" className="underline" onClick={load}>
            Look again
          </button>
        </p>
      )}
      {answer?.replay && answer.replay.chunks > 0 && (
        <>
          <p className="mb-2 text-xs text-stone-600" data-testid="replay-summary">
            {answer.replay.events.length} events in {answer.replay.chunks} chunks.
          </p>
          <Stage replay={answer.replay} />
        </>
      )}
      {answer?.replay && <Command command={answer.replay.command} />}
    </section>
  );
}
