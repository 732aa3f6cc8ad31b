// The Lab page's view of a stored trace: the shapes the shop's read-back answers with
// (`GET /api/lab/traces/{id}`, app/server/src/http/readback), and what the page derives from
// them (depths for the waterfall, the service map's nodes and edges; the window map's come
// counted from the shop, `GET /api/lab/service-map`).
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

/** What a map node is: a service that recorded spans, or what the services call. */
export type NodeKind = Schemas["NodeKind"];

/**
 * What an outgoing (client or producer) span calls, and its kind: the AWS service, the database,
 * the queue, the named peer or host, else the first word of the span's name. The shop names the
 * window map's nodes by the same rules (app/server/src/http/readback/service_map.rs).
 */
export function remoteOf(span: StoredSpan): { name: string; kind: NodeKind } | null {
  if (span.kind !== "client" && span.kind !== "producer") return null;
  const a = span.attributes as Record<string, unknown>;
  const text = (key: string) => {
    const v = a[key];
    return typeof v === "string" && v ? v : undefined;
  };
  const rpc = text("rpc.service");
  if (rpc) return { name: rpc, kind: text("rpc.system") === "aws-api" ? "aws" : "remote" };
  if (text("aws.operation")) return { name: span.name.split(".")[0] ?? span.name, kind: "aws" };
  for (const key of ["db.system.name", "db.system", "sql.database_type"]) {
    const system = text(key);
    if (system) return { name: system, kind: "database" };
  }
  const peer = text("peer.service");
  if (peer) return { name: peer, kind: "remote" };
  const destination = text("messaging.destination.name");
  if (destination) return { name: destination, kind: "queue" };
  const host = text("server.address");
  if (host) return { name: host, kind: "remote" };
  return { name: span.name.split(" ")[0] ?? span.name, kind: "remote" };
}

/** A node as the map draws it: counts, and the mean latency where it is known. */
export type MapNode = { id: string; kind: NodeKind; calls: number; errors: number; faults: number; meanMs?: number | null };
export type MapEdge = { from: string; to: string; calls: number; errors: number; faults: number; meanMs?: number | null };
export type DrawnMap = { nodes: MapNode[]; edges: MapEdge[] };

/**
 * A service map from stored spans, as X-Ray's console draws one (the emulator builds none):
 * a service for each `service` that recorded spans, counting the spans it was entered by (its
 * parent elsewhere, or in another service); an edge where a span's parent belongs to another
 * service; and for a client span no other service continued, a node for what it called (a
 * database, an AWS service). The shop's window map counts the same way, over many traces.
 */
export function serviceMap(spans: StoredSpan[]): DrawnMap {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const nodes = new Map<string, MapNode>();
  const edges = new Map<string, MapEdge>();
  const count = (c: { calls: number; errors: number; faults: number }, s: StoredSpan) => {
    c.calls += 1;
    if (s.outcome === "error") c.errors += 1;
    if (s.outcome === "fault") c.faults += 1;
  };
  const node = (id: string, kind: NodeKind) => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { id, kind, calls: 0, errors: 0, faults: 0 }));
    // A name that recorded spans is a service, whatever else called it.
    if (kind === "service") n.kind = kind;
    return n;
  };
  const edge = (from: string, to: string, s: StoredSpan) => {
    const key = `${from}\u0000${to}`;
    let e = edges.get(key);
    if (!e) edges.set(key, (e = { from, to, calls: 0, errors: 0, faults: 0 }));
    count(e, s);
  };
  const continued = new Set<string>();
  for (const s of spans) {
    const parent = s.parent_id ? byId.get(s.parent_id) : undefined;
    if (parent && parent.service === s.service) continue;
    count(node(s.service, "service"), s);
    if (parent) {
      continued.add(parent.span_id);
      edge(parent.service, s.service, parent.kind === "client" || parent.kind === "producer" ? parent : s);
    }
  }
  for (const s of spans) {
    if (continued.has(s.span_id)) continue;
    const remote = remoteOf(s);
    if (!remote) continue;
    const n = node(remote.name, remote.kind);
    if (n.kind !== "service") count(n, s);
    edge(s.service, remote.name, s);
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** The shop's window map of one store (`GET /api/lab/service-map`) in the shape the map draws. */
export function drawnMap(map: { nodes: Schemas["MapNode"][]; edges: Schemas["MapEdge"][] }): DrawnMap {
  return {
    nodes: map.nodes.map((n) => ({ id: n.name, kind: n.kind, calls: n.stats.requests, errors: n.stats.errors, faults: n.stats.faults, meanMs: n.stats.mean_ms })),
    edges: map.edges.map((e) => ({ from: e.from, to: e.to, calls: e.stats.requests, errors: e.stats.errors, faults: e.stats.faults, meanMs: e.stats.mean_ms })),
  };
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
