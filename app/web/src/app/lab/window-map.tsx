"use client";

// The service map over a time window (O-DASH-02): what X-Ray's console draws from
// GetServiceGraph in AWS. moto builds no service graph, so the shop reads every trace that ended
// in the window back from each store and counts nodes and edges itself
// (`GET /api/lab/service-map?minutes=N`, app/server/src/http/readback/service_map.rs); this
// panel draws each store's answer with its counts, failures and mean latency.
import { useState } from "react";

import { ErrorState, Loading } from "@/components/states";
import { api, type Schemas, unwrap } from "@/lib/api";
import { useLoad } from "@/lib/use-load";

import { MapDrawing } from "./service-map";
import { drawnMap } from "./trace-model";
import { Command } from "./waterfall";

type StoreMap = Schemas["StoreMap"];

/** The windows offered (the shop takes any whole number of minutes from 1 to 60). */
export const WINDOWS = [5, 15, 30, 60] as const;

function StoreWindow({ reading }: { reading: StoreMap }) {
  const map = drawnMap(reading);
  return (
    <section aria-label={reading.label} className="min-w-0" data-testid={`window-map-store-${reading.store}`}>
      <h3 className="font-medium">{reading.label}</h3>
      <p className="text-xs text-stone-600" data-testid="window-map-status">
        {reading.status === "unavailable"
          ? "unavailable"
          : `${reading.traces_read} trace${reading.traces_read === 1 ? "" : "s"} read${reading.traces_listed !== reading.traces_read ? ` of ${reading.traces_listed} listed` : ""}`}
      </p>
      {reading.truncated && (
        <p className="mt-1 text-xs text-amber-800" role="note">
          Not every trace of the window was read: the counts below are of the ones that were.
        </p>
      )}
      {reading.message && <p className="mt-1 text-xs text-stone-600">{reading.message}</p>}
      {map.nodes.length > 0 && (
        <MapDrawing
          map={map}
          testId="window-map-node"
          showLatency
          caption="Rounded boxes are services that recorded spans, with the requests they served; pills are what they called (databases, AWS services, queues, other hosts). Edges count the calls, their errors (4xx, amber) and faults (5xx, red), and their mean latency; hover for details."
        />
      )}
      <Command command={reading.command} />
    </section>
  );
}

/** The panel: a window to pick, and each store's map of it. */
export function WindowMap() {
  const [minutes, setMinutes] = useState<number>(15);
  const [round, setRound] = useState(0);
  const [picked, setPicked] = useState<string | null>(null);
  const loaded = useLoad(`${minutes}#${round}`, () => unwrap(api.GET("/api/lab/service-map", { params: { query: { minutes } } })));
  const stores = loaded.state === "done" ? loaded.data.stores : [];
  const shown = stores.find((s) => s.store === picked) ?? stores[0];
  return (
    <section aria-labelledby="window-map" className="rounded-lg border border-stone-200 p-4" data-testid="window-map">
      <h2 id="window-map" className="mb-2 font-semibold">
        Service map (last {minutes} minutes)
      </h2>
      <p className="mb-2 max-w-3xl text-sm text-stone-600">
        Every trace that ended in the window, read back raw from the store and counted by the shop: moto builds no service
        graph, so this stands in for X-Ray&apos;s <code>GetServiceGraph</code>. Other shops writing to the same store are on it too.
      </p>
      <div className="mb-3 flex flex-wrap items-center gap-2 text-sm">
        <label htmlFor="window-minutes">Window</label>
        <select
          id="window-minutes"
          value={minutes}
          onChange={(e) => setMinutes(Number(e.target.value))}
          className="rounded-md border border-stone-300 px-2 py-1"
          data-testid="window-map-minutes"
        >
          {WINDOWS.map((m) => (
            <option key={m} value={m}>
              last {m} minutes
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setRound((n) => n + 1)} className="rounded-md border border-stone-300 px-3 py-1 hover:bg-stone-50" data-testid="window-map-reread">
          Read again
        </button>
        {stores.length > 1 && (
          <div className="flex gap-2" role="group" aria-label="Store">
            {stores.map((s) => (
              <button key={s.store} type="button" aria-pressed={s === shown} onClick={() => setPicked(s.store)} className="rounded border border-stone-300 px-2 py-0.5 hover:bg-stone-50">
                {s.store}
              </button>
            ))}
          </div>
        )}
      </div>
      {loaded.state === "loading" && <Loading what="the traces of the window" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {shown && <StoreWindow key={shown.store} reading={shown} />}
    </section>
  );
}
