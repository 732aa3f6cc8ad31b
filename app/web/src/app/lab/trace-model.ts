// The Lab page's view of a stored trace: the shapes the shop's read-back answers with
// (`GET /api/lab/traces/{id}`, app/server/src/http/readback), and what the page derives from
// them (depths for the waterfall, the service map's nodes and edges).
import type { Schemas } from "@/lib/api";

export type TraceReadback = Schemas["TraceReadback"];
export type StoreReading = Schemas["StoreReading"];
export type StoredSpan = Schemas["StoredSpan"];
export type StoredLog = Schemas["StoredLog"];

/** Each span's depth under the trace's roots (a span whose parent is elsewhere is a root). */
export function depths(spans: StoredSpan[]): Map<string, number> {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const depth = new Map<string, number>();
  const of = (s: StoredSpan, seen: Set<string>): number => {
    const known = depth.get(s.span_id);
    if (known !== undefined) return known;
    const parent = s.parent_id ? byId.get(s.parent_id) : undefined;
    // A cycle (bad data) stops at the span seen twice.
    const d = parent && !seen.has(parent.span_id) ? of(parent, seen.add(s.span_id)) + 1 : 0;
    depth.set(s.span_id, d);
    return d;
  };
  for (const s of spans) of(s, new Set());
  return depth;
}

/** What a client span calls: the AWS service, the database, or the host. */
export function peerOf(span: StoredSpan): string | null {
  if (span.kind !== "client" && span.kind !== "producer") return null;
  const a = span.attributes as Record<string, unknown>;
  for (const key of ["rpc.service", "aws.operation", "db.system.name", "db.system", "sql.database_type", "server.address"]) {
    const v = a[key];
    if (typeof v === "string" && v) return key === "aws.operation" ? span.name.split(".")[0] ?? v : v;
  }
  return span.name.split(" ")[0] ?? span.name;
}

export type MapNode = { id: string; kind: "service" | "peer"; calls: number; faults: number };
export type MapEdge = { from: string; to: string; calls: number; faults: number };

/**
 * A service map from stored spans, as X-Ray's console draws one (the emulator builds none):
 * a service for each `service` that recorded spans, an edge where a span's parent belongs to
 * another service, and a node for what a client span called (a database, an AWS service).
 */
export function serviceMap(spans: StoredSpan[]): { nodes: MapNode[]; edges: MapEdge[] } {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const nodes = new Map<string, MapNode>();
  const edges = new Map<string, MapEdge>();
  const node = (id: string, kind: MapNode["kind"]) => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { id, kind, calls: 0, faults: 0 }));
    return n;
  };
  const edge = (from: string, to: string, failed: boolean) => {
    const key = `${from}\u0000${to}`;
    let e = edges.get(key);
    if (!e) edges.set(key, (e = { from, to, calls: 0, faults: 0 }));
    e.calls += 1;
    if (failed) e.faults += 1;
  };
  for (const s of spans) {
    const failed = s.outcome !== "ok";
    const parent = s.parent_id ? byId.get(s.parent_id) : undefined;
    if (!parent || parent.service !== s.service) {
      const n = node(s.service, "service");
      n.calls += 1;
      if (failed) n.faults += 1;
      if (parent) edge(parent.service, s.service, failed);
    }
    const peer = peerOf(s);
    if (peer) {
      const target = `${peer}`;
      const n = node(target, "peer");
      n.calls += 1;
      if (failed) n.faults += 1;
      edge(s.service, target, failed);
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** Columns for the map: a node's column is one more than the deepest node calling it. */
export function columns(nodes: MapNode[], edges: MapEdge[]): Map<string, number> {
  const col = new Map(nodes.map((n) => [n.id, 0]));
  // Longest path by relaxation; at most |nodes| rounds, so a cycle cannot loop forever.
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      const next = (col.get(e.from) ?? 0) + 1;
      if (e.from !== e.to && next > (col.get(e.to) ?? 0) && next < nodes.length) {
        col.set(e.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return col;
}
