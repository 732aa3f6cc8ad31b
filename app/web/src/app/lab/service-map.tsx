"use client";

// Service maps (the emulators build none; X-Ray's console and GetServiceGraph do in AWS):
// services and what they call, left to right, with call, error and fault counts on the edges.
// `ServiceMap` draws the traces read on this page (counted here, from their spans);
// `MapDrawing` draws any nodes and edges, such as the shop's map of a time window (window-map.tsx).
import { useId } from "react";

import { columns, type DrawnMap, type MapEdge, type MapNode, serviceMap, type StoredSpan } from "./trace-model";

const W = 160;
const H = 44;
const GAP_X = 90;
const GAP_Y = 26;

const FAULT = "#b91c1c";
const ERROR = "#b45309";

/** "12 calls · 1 error · 2 faults · 8.4 ms": what an edge or a node carries, in words. */
export function countsText(c: { calls: number; errors: number; faults: number; meanMs?: number | null }, noun: string): string {
  const parts = [`${c.calls} ${noun}${c.calls === 1 ? "" : "s"}`];
  if (c.errors) parts.push(`${c.errors} error${c.errors === 1 ? "" : "s"}`);
  if (c.faults) parts.push(`${c.faults} fault${c.faults === 1 ? "" : "s"}`);
  if (c.meanMs !== undefined && c.meanMs !== null) parts.push(`${c.meanMs < 10 ? c.meanMs.toFixed(1) : Math.round(c.meanMs)} ms`);
  return parts.join(" · ");
}

/** The colour of what failed most: faults red, errors amber, else none. */
function failure(c: { errors: number; faults: number }): string | undefined {
  return c.faults ? FAULT : c.errors ? ERROR : undefined;
}

function shortName(id: string): string {
  return id.length > 22 ? `${id.slice(0, 21)}…` : id;
}

export function ServiceMap({ spans }: { spans: StoredSpan[] }) {
  const map = serviceMap(spans);
  if (map.nodes.length === 0) return <p className="text-sm text-stone-500">No stored spans yet.</p>;
  return (
    <MapDrawing
      map={map}
      testId="map-node"
      caption="Rounded boxes are services that recorded spans; pills are what they called. Edges count calls in the traces read back on this page."
    />
  );
}

/** A map's nodes in columns (callers left of what they call) and its edges with their counts. */
export function MapDrawing({ map, caption, testId, showLatency = false }: { map: DrawnMap; caption: string; testId: string; showLatency?: boolean }) {
  // Two maps on one page: each needs its own arrow marker id.
  const arrow = `arrow-${useId().replace(/[^a-zA-Z0-9_-]/g, "")}`;
  const { nodes, edges } = map;
  const col = columns(nodes, edges);
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const c = col.get(n.id) ?? 0;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    at.set(n.id, { x: 8 + c * (W + GAP_X), y: 8 + r * (H + GAP_Y) });
  }
  const width = 16 + (Math.max(0, ...col.values()) + 1) * (W + GAP_X) - GAP_X;
  const height = 16 + Math.max(1, ...rows.values()) * (H + GAP_Y) - GAP_Y;
  const edgeLabel = (e: MapEdge) => (showLatency ? countsText(e, "call") : `${e.calls}${e.errors + e.faults ? ` (${e.errors + e.faults} failed)` : ""}`);
  const nodeLabel = (n: MapNode) => countsText({ ...n, meanMs: showLatency ? n.meanMs : undefined }, n.kind === "service" ? "request" : "call");
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} className="h-auto w-full max-w-4xl" role="img" aria-label={`Service map: ${nodes.map((n) => n.id).join(", ")}`}>
        <defs>
          <marker id={arrow} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#57534e" />
          </marker>
        </defs>
        {edges.map((e) => {
          const a = at.get(e.from);
          const b = at.get(e.to);
          if (!a || !b || e.from === e.to) return null;
          const x1 = a.x + W;
          const y1 = a.y + H / 2;
          const x2 = b.x;
          const y2 = b.y + H / 2;
          return (
            <g key={`${e.from}->${e.to}`} data-testid={`${testId}-edge`}>
              <title>{`${e.from} → ${e.to}: ${countsText(e, "call")}`}</title>
              <line x1={x1} y1={y1} x2={x2} y2={y2} stroke={failure(e) ?? "#57534e"} strokeWidth="1.5" markerEnd={`url(#${arrow})`} />
              <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} fontSize="9" textAnchor="middle" fill={failure(e) ?? "#44403c"}>
                {edgeLabel(e)}
              </text>
            </g>
          );
        })}
        {nodes.map((n) => {
          const p = at.get(n.id);
          if (!p) return null;
          const service = n.kind === "service";
          return (
            <g key={n.id}>
              <title>{`${n.id} (${n.kind}): ${countsText(n, service ? "request" : "call")}`}</title>
              <rect x={p.x} y={p.y} width={W} height={H} rx={service ? 8 : 20} fill={service ? "#ecfdf5" : "#f5f5f4"} stroke={failure(n) ?? "#047857"} strokeWidth={failure(n) ? 2 : 1} />
              {/* The test id on the name alone: its text is the (shortened) name. */}
              <text x={p.x + W / 2} y={p.y + 18} fontSize="12" textAnchor="middle" fill="#1c1917" data-testid={testId}>
                {shortName(n.id)}
              </text>
              <text x={p.x + W / 2} y={p.y + 33} fontSize="9" textAnchor="middle" fill={failure(n) ?? "#57534e"}>
                {nodeLabel(n)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-1 text-xs text-stone-500">{caption}</figcaption>
    </figure>
  );
}
