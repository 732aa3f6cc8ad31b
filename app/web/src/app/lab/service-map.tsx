"use client";

// The service map drawn from stored spans (the emulators build none; X-Ray's console and
// GetServiceGraph do in AWS): services and what they call, left to right, with call and
// fault counts on the edges.
import { columns, serviceMap, type StoredSpan } from "./trace-model";

const W = 150;
const H = 40;
const GAP_X = 70;
const GAP_Y = 24;

export function ServiceMap({ spans }: { spans: StoredSpan[] }) {
  const { nodes, edges } = serviceMap(spans);
  if (nodes.length === 0) return <p className="text-sm text-stone-500">No stored spans yet.</p>;
  const col = columns(nodes, edges);
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const c = col.get(n.id) ?? 0;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    at.set(n.id, { x: 8 + c * (W + GAP_X), y: 8 + r * (H + GAP_Y) });
  }
  const width = 16 + (Math.max(...col.values()) + 1) * (W + GAP_X) - GAP_X;
  const height = 16 + Math.max(...rows.values()) * (H + GAP_Y) - GAP_Y;
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} className="h-auto w-full max-w-3xl" role="img" aria-label={`Service map: ${nodes.map((n) => n.id).join(", ")}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
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
            <g key={`${e.from}->${e.to}`}>
              <line x1={x1} y1={y1} x2={x2} y2={y2} stroke={e.faults ? "#b91c1c" : "#57534e"} strokeWidth="1.5" markerEnd="url(#arrow)" />
              <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} fontSize="10" textAnchor="middle" fill="#44403c">
                {e.calls}
                {e.faults ? ` (${e.faults} failed)` : ""}
              </text>
            </g>
          );
        })}
        {nodes.map((n) => {
          const p = at.get(n.id);
          if (!p) return null;
          return (
            <g key={n.id} data-testid="map-node">
              <rect x={p.x} y={p.y} width={W} height={H} rx={n.kind === "service" ? 8 : 20} fill={n.kind === "service" ? "#ecfdf5" : "#f5f5f4"} stroke={n.faults ? "#b91c1c" : "#047857"} />
              <text x={p.x + W / 2} y={p.y + H / 2 + 4} fontSize="12" textAnchor="middle" fill="#1c1917">
                {n.id.length > 20 ? `${n.id.slice(0, 19)}…` : n.id}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-1 text-xs text-stone-500">
        Rounded boxes are services that recorded spans; pills are what they called. Edges count calls in the traces read back on this page.
      </figcaption>
    </figure>
  );
}
