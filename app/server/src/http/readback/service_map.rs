//! The service map over a time window (O-DASH-02): what X-Ray's console draws
//! from `GetServiceGraph`, computed here from raw traces.
//!
//! moto keeps segments but builds no service graph (docs/lab.md,
//! "moto's X-Ray has no filter expressions and no service graph"), and the
//! collector's store is a plain list of OTLP spans. So the shop reads every
//! trace of the window back from each store — `GetTraceSummaries` then
//! `BatchGetTraces` for X-Ray, the capture receiver's listing for the
//! collector — turns each into the common span model ([`super::model`]) and
//! aggregates them with one pure function, [`aggregate`]: the graph a learner
//! would get from X-Ray in AWS, made by hand where they can see how.
//!
//! How spans become the map (the same rules as the Lab page's map of one trace,
//! `app/web/src/app/lab/trace-model.ts`):
//!
//! - a **service** node for each `service` that recorded spans. Its requests are
//!   its *entry* spans: the spans whose parent is not in the trace (a root, or a
//!   caller outside) or belongs to another service — one per request it served;
//! - an **edge** caller → service where an entry span's parent is in another
//!   service, counted from the caller's client span (the call as the caller saw
//!   it, network included, as X-Ray's edges are);
//! - a **remote** node (a database, an AWS service, a queue, an uninstrumented
//!   service) for each client or producer span that no other service continued,
//!   named from its attributes, with an edge from the service that called it.
//!
//! Each node and edge counts requests, errors (4xx, X-Ray's `error`), faults
//! (5xx, X-Ray's `fault`) and the latency of the spans counted (mean, max, p50,
//! p99, in milliseconds, from the raw durations).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::model::{Outcome, ReadingStatus, StoredSpan};
use super::{ReadbackState, capture, off, xray};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Query;

/// The window when `minutes` is left out: X-Ray's console opens on the last 15 minutes too.
pub const DEFAULT_MINUTES: u32 = 15;
/// At most an hour: every trace of the window is read back one by one, which is what a
/// laptop's emulators can answer while a page waits.
pub const MAX_MINUTES: u32 = 60;
/// The most traces read from one store for one map. Beyond it, the newest are read and the
/// answer says so (`truncated`): a busy lab's hour can hold far more traces than a page should
/// wait for.
pub const MAX_TRACES: usize = 2000;
/// How long one store may take to answer before its reading says it did not.
const STORE_DEADLINE: Duration = Duration::from_secs(30);

/// How far back to look.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// Minutes back from now (a whole number, 1–60; 15 when left out).
    #[param(minimum = 1, maximum = 60)]
    pub minutes: Option<u32>,
}

/// The service map of the window, from each configured store.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceMapReadback {
    /// The window's length.
    pub minutes: u32,
    /// The window: traces that ended from `since_ms` to `until_ms` (Unix ms).
    pub since_ms: i64,
    pub until_ms: i64,
    /// The most traces read from one store (the newest first).
    pub trace_cap: usize,
    pub stores: Vec<StoreMap>,
}

/// One store's map of the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreMap {
    /// `xray` or `collector`.
    pub store: &'static str,
    pub label: &'static str,
    /// `found` with at least one trace, `missing` with none in the window, `unavailable` when the
    /// store did not answer.
    pub status: ReadingStatus,
    /// Why the store could not be read, or what was left out (the cap, failed reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How many traces the store listed in the window.
    pub traces_listed: usize,
    /// How many of them were read back and counted in the map.
    pub traces_read: usize,
    /// True when some listed traces were not read (over the cap, or a read failed): the map
    /// counts fewer requests than the store holds, and `message` says why.
    pub truncated: bool,
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
    /// The shell command that lists the same traces from the same store.
    pub command: String,
}

/// What a node on the map is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// It recorded spans of its own (X-Ray's segments, an OTLP resource's `service.name`).
    Service,
    /// A database the services query (`db.system.name`, X-Ray's `sql` block).
    Database,
    /// An AWS service called through the SDK (`rpc.service`, X-Ray's `aws` block).
    Aws,
    /// A queue or topic written to (`messaging.destination.name`).
    Queue,
    /// Anything else called that recorded no spans here (`peer.service`, `server.address`).
    Remote,
}

/// A service, or something the services call.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MapNode {
    pub name: String,
    pub kind: NodeKind,
    /// A service's: the requests it served (its entry spans). Anything else's: the calls made
    /// to it (the callers' client spans).
    pub stats: CallStats,
}

/// Calls from one node to another.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MapEdge {
    /// The caller (a service).
    pub from: String,
    /// The callee (a service, or a remote node).
    pub to: String,
    pub stats: CallStats,
}

/// Counts and latency of a set of spans.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CallStats {
    pub requests: u64,
    /// Client errors: a 4xx (X-Ray's `error` and `throttle`), or an OTLP error status without one.
    pub errors: u64,
    /// Server errors: a 5xx (X-Ray's `fault`).
    pub faults: u64,
    /// Latency in milliseconds over the finished spans (`null` when none had ended).
    pub mean_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Nearest-rank percentiles of the raw durations.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Nodes and edges, in a stable order (nodes by kind then name, edges by caller then callee).
#[derive(Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ServiceMap {
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
}

/// The traces a store gave for a window, before they are aggregated.
#[derive(Debug, Default)]
pub struct WindowTraces {
    /// Each trace's spans.
    pub traces: Vec<Vec<StoredSpan>>,
    /// How many traces the store listed in the window.
    pub listed: usize,
    /// Some listed traces were not read.
    pub truncated: bool,
    /// What was left out and why, in words.
    pub notes: Vec<String>,
}

/// When the trace ended: its last span's end (a span still in progress counts by its start).
pub fn trace_end_ms(spans: &[StoredSpan]) -> f64 {
    spans
        .iter()
        .map(|s| s.end_ms.unwrap_or(s.start_ms))
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The service map of `traces`, each given as its spans. Pure: no store, no clock.
pub fn aggregate<'a>(traces: impl IntoIterator<Item = &'a [StoredSpan]>) -> ServiceMap {
    let mut served: BTreeMap<String, Tally> = BTreeMap::new();
    let mut called: BTreeMap<String, (NodeKind, Tally)> = BTreeMap::new();
    let mut edges: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for spans in traces {
        let by_id: HashMap<&str, &StoredSpan> =
            spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
        // Client spans that another service continued: the call is drawn to that service,
        // not to a remote node of the same call.
        let mut continued: HashSet<&str> = HashSet::new();
        for s in spans {
            let parent = s.parent_id.as_deref().and_then(|p| by_id.get(p));
            if parent.is_some_and(|p| p.service == s.service) {
                continue;
            }
            served.entry(s.service.clone()).or_default().add(s);
            if let Some(caller) = parent {
                continued.insert(caller.span_id.as_str());
                // The caller's client span is the call as the caller saw it; a caller that
                // recorded none (an internal span) leaves the callee's own view.
                let call = if is_outgoing(caller) { caller } else { s };
                edges
                    .entry((caller.service.clone(), s.service.clone()))
                    .or_default()
                    .add(call);
            }
        }
        for s in spans {
            if continued.contains(s.span_id.as_str()) {
                continue;
            }
            let Some((name, kind)) = remote_of(s) else {
                continue;
            };
            let node = called
                .entry(name.clone())
                .or_insert_with(|| (kind, Tally::default()));
            node.1.add(s);
            edges.entry((s.service.clone(), name)).or_default().add(s);
        }
    }
    let mut nodes: Vec<MapNode> = served
        .iter()
        .map(|(name, tally)| MapNode {
            name: name.clone(),
            kind: NodeKind::Service,
            stats: tally.stats(),
        })
        .collect();
    // A name that recorded spans is a service, even where some calls to it were not continued
    // (its spans lost, or not sampled): those calls still count on their edges.
    nodes.extend(
        called
            .into_iter()
            .filter(|(name, _)| !served.contains_key(name))
            .map(|(name, (kind, tally))| MapNode {
                name,
                kind,
                stats: tally.stats(),
            }),
    );
    nodes.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    ServiceMap {
        nodes,
        edges: edges
            .into_iter()
            .map(|((from, to), tally)| MapEdge {
                from,
                to,
                stats: tally.stats(),
            })
            .collect(),
    }
}

fn is_outgoing(span: &StoredSpan) -> bool {
    span.kind == "client" || span.kind == "producer"
}

/// What an outgoing span called, and what kind of thing it is: the AWS service, the database,
/// the queue, the named peer or host, else the first word of the span's name. `None` for spans
/// that call nothing (server, internal, consumer).
pub fn remote_of(span: &StoredSpan) -> Option<(String, NodeKind)> {
    if !is_outgoing(span) {
        return None;
    }
    let text = |key: &str| {
        span.attributes
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let first_word = |s: &str| s.split(' ').next().unwrap_or(s).to_owned();
    if let Some(service) = text("rpc.service") {
        let kind = if text("rpc.system") == Some("aws-api") {
            NodeKind::Aws
        } else {
            NodeKind::Remote
        };
        return Some((service.to_owned(), kind));
    }
    if text("aws.operation").is_some() {
        // X-Ray's AWS subsegments are named for the service (`S3`, or `S3.PutObject` elsewhere).
        let name = span.name.split('.').next().unwrap_or(&span.name);
        return Some((name.to_owned(), NodeKind::Aws));
    }
    for key in ["db.system.name", "db.system", "sql.database_type"] {
        if let Some(system) = text(key) {
            return Some((system.to_owned(), NodeKind::Database));
        }
    }
    if let Some(peer) = text("peer.service") {
        return Some((peer.to_owned(), NodeKind::Remote));
    }
    if let Some(destination) = text("messaging.destination.name") {
        return Some((destination.to_owned(), NodeKind::Queue));
    }
    if let Some(host) = text("server.address") {
        return Some((host.to_owned(), NodeKind::Remote));
    }
    Some((first_word(&span.name), NodeKind::Remote))
}

/// Counts and durations, summed up into [`CallStats`].
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    errors: u64,
    faults: u64,
    durations: Vec<f64>,
}

impl Tally {
    fn add(&mut self, span: &StoredSpan) {
        self.requests += 1;
        match span.outcome {
            Outcome::Ok => {}
            Outcome::Error => self.errors += 1,
            Outcome::Fault => self.faults += 1,
        }
        if let Some(end) = span.end_ms {
            self.durations.push((end - span.start_ms).max(0.0));
        }
    }

    fn stats(&self) -> CallStats {
        let mut sorted = self.durations.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let at = |p: f64| {
            // Nearest rank: the smallest duration with at least p % of them at or below it.
            let rank = (p / 100.0 * n as f64).ceil() as usize;
            round(sorted[rank.clamp(1, n) - 1])
        };
        let any = n > 0;
        CallStats {
            requests: self.requests,
            errors: self.errors,
            faults: self.faults,
            mean_ms: any.then(|| round(sorted.iter().sum::<f64>() / n as f64)),
            max_ms: sorted.last().copied().map(round),
            p50_ms: any.then(|| at(50.0)),
            p99_ms: any.then(|| at(99.0)),
        }
    }
}

/// Microsecond precision is all a millisecond figure needs (and keeps float noise out of the JSON).
fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// A store's reading of the window as the page gets it: the map, or why there is none.
fn store_map(
    store: &'static str,
    label: &'static str,
    command: String,
    read: Result<WindowTraces, String>,
) -> StoreMap {
    let w = match read {
        Ok(w) => w,
        Err(message) => {
            return StoreMap {
                store,
                label,
                status: ReadingStatus::Unavailable,
                message: Some(message),
                traces_listed: 0,
                traces_read: 0,
                truncated: false,
                nodes: Vec::new(),
                edges: Vec::new(),
                command,
            };
        }
    };
    let map = aggregate(w.traces.iter().map(Vec::as_slice));
    let status = if w.traces.is_empty() {
        ReadingStatus::Missing
    } else {
        ReadingStatus::Found
    };
    let mut notes = w.notes;
    if status == ReadingStatus::Missing && notes.is_empty() {
        notes.push(
            "no trace ended in this window here: nothing was sampled, or the exports have not arrived yet (flush: POST /api/telemetry/flush)"
                .to_owned(),
        );
    }
    StoreMap {
        store,
        label,
        status,
        message: (!notes.is_empty()).then(|| notes.join("; ")),
        traces_listed: w.listed,
        traces_read: w.traces.len(),
        truncated: w.truncated,
        nodes: map.nodes,
        edges: map.edges,
        command,
    }
}

/// `read`, or a reading that says the store took too long.
async fn within(
    read: impl Future<Output = Result<WindowTraces, String>>,
) -> Result<WindowTraces, String> {
    tokio::time::timeout(STORE_DEADLINE, read)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the store did not answer within {} s",
                STORE_DEADLINE.as_secs()
            ))
        })
}

/// The services, and what they call, in the traces of the last `minutes`, from each store.
#[utoipa::path(get, path = "/api/lab/service-map", tag = "telemetry", operation_id = "lab_service_map",
    params(WindowQuery),
    responses(
        (status = 200, body = ServiceMapReadback),
        (status = 400, description = "`minutes` is not a whole number from 1 to 60", body = crate::http::error::ErrorBody),
        (status = 404, description = "Read-back is off (`readback_off`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn service_map(
    State(state): State<ReadbackState>,
    Query(query): Query<WindowQuery>,
) -> ApiResult<Json<ServiceMapReadback>> {
    if !state.settings.enabled() {
        return Err(off());
    }
    let minutes = query.minutes.unwrap_or(DEFAULT_MINUTES);
    if !(1..=MAX_MINUTES).contains(&minutes) {
        return Err(ApiError::Validation {
            field: "minutes".to_owned(),
            message: format!("a whole number from 1 to {MAX_MINUTES} (got {minutes})"),
        });
    }
    let until_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let since_ms = until_ms - i64::from(minutes) * 60_000;
    let from_xray = async {
        if !state.settings.xray {
            return None;
        }
        let (client, _) = state.aws().await;
        let read = within(xray::read_window(client, since_ms, until_ms, MAX_TRACES)).await;
        Some(store_map(
            "xray",
            xray::LABEL,
            xray::window_command(since_ms, until_ms),
            read,
        ))
    };
    let from_capture = async {
        let base = state.settings.capture.as_deref()?;
        let read = within(capture::read_window(
            &state.http,
            base,
            since_ms,
            MAX_TRACES,
        ))
        .await;
        Some(store_map(
            "collector",
            capture::LABEL,
            capture::window_command(base),
            read,
        ))
    };
    let (a, b) = tokio::join!(from_xray, from_capture);
    Ok(Json(ServiceMapReadback {
        minutes,
        since_ms,
        until_ms,
        trace_cap: MAX_TRACES,
        stores: a.into_iter().chain(b).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A span of `service`, `ms` long, starting at 1000 ms.
    fn span(
        id: &str,
        parent: Option<&str>,
        service: &str,
        kind: &str,
        ms: f64,
        outcome: Outcome,
        attributes: Value,
    ) -> StoredSpan {
        StoredSpan {
            span_id: id.to_owned(),
            parent_id: parent.map(str::to_owned),
            service: service.to_owned(),
            name: format!("{kind} {id}"),
            kind: kind.to_owned(),
            start_ms: 1000.0,
            end_ms: Some(1000.0 + ms),
            outcome,
            attributes: serde_json::from_value(attributes).unwrap(),
            events: Vec::new(),
        }
    }

    /// A checkout in the split topology, with ids made unique by `t`: orders serves it, queries
    /// its database, calls inventory, which queries the database too.
    fn checkout(t: &str, call_ms: f64, call: Outcome, served: Outcome) -> Vec<StoredSpan> {
        let id = |s: &str| format!("{t}-{s}");
        vec![
            span(
                &id("root"),
                None,
                "orders",
                "server",
                100.0,
                served,
                json!({}),
            ),
            span(
                &id("sql"),
                Some(&id("root")),
                "orders",
                "client",
                2.0,
                Outcome::Ok,
                json!({"db.system.name": "sqlite"}),
            ),
            span(
                &id("call"),
                Some(&id("root")),
                "orders",
                "client",
                call_ms,
                call,
                json!({"peer.service": "shop-inventory", "server.address": "127.0.0.1"}),
            ),
            span(
                &id("inv"),
                Some(&id("call")),
                "inventory",
                "server",
                call_ms - 1.0,
                call,
                json!({}),
            ),
            span(
                &id("inv-sql"),
                Some(&id("inv")),
                "inventory",
                "client",
                4.0,
                Outcome::Ok,
                json!({"db.system.name": "sqlite"}),
            ),
            span(
                &id("pay"),
                Some(&id("root")),
                "orders",
                "internal",
                1.0,
                Outcome::Ok,
                json!({}),
            ),
        ]
    }

    fn node<'a>(map: &'a ServiceMap, name: &str) -> &'a MapNode {
        map.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node {name} in {map:#?}"))
    }

    fn edge<'a>(map: &'a ServiceMap, from: &str, to: &str) -> &'a MapEdge {
        map.edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .unwrap_or_else(|| panic!("no edge {from} -> {to} in {map:#?}"))
    }

    #[test]
    fn two_traces_through_two_services_and_a_database() {
        let traces = [
            checkout("a", 10.0, Outcome::Ok, Outcome::Ok),
            checkout("b", 30.0, Outcome::Ok, Outcome::Ok),
        ];
        let map = aggregate(traces.iter().map(Vec::as_slice));
        let names: Vec<(&str, NodeKind)> = map
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("inventory", NodeKind::Service),
                ("orders", NodeKind::Service),
                ("sqlite", NodeKind::Database),
            ],
            "the call inventory continued is drawn to inventory, not to a `shop-inventory` peer"
        );
        let pairs: Vec<(&str, &str)> = map
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("inventory", "sqlite"),
                ("orders", "inventory"),
                ("orders", "sqlite")
            ]
        );
        let orders = &node(&map, "orders").stats;
        assert_eq!((orders.requests, orders.errors, orders.faults), (2, 0, 0));
        assert_eq!((orders.mean_ms, orders.max_ms), (Some(100.0), Some(100.0)));
        let db = &node(&map, "sqlite").stats;
        assert_eq!(
            db.requests, 4,
            "two queries per trace, one from each service"
        );
        // The edge is timed by the caller's client span: 10 ms and 30 ms.
        let call = &edge(&map, "orders", "inventory").stats;
        assert_eq!(call.requests, 2);
        assert_eq!(
            (call.mean_ms, call.max_ms, call.p50_ms, call.p99_ms),
            (Some(20.0), Some(30.0), Some(10.0), Some(30.0))
        );
        // The service node by its own entry spans: 9 ms and 29 ms.
        let inventory = &node(&map, "inventory").stats;
        assert_eq!((inventory.requests, inventory.mean_ms), (2, Some(19.0)));
        assert_eq!(edge(&map, "inventory", "sqlite").stats.requests, 2);
        assert_eq!(edge(&map, "orders", "sqlite").stats.requests, 2);
    }

    #[test]
    fn an_error_and_a_fault_count_on_the_edge_they_crossed() {
        let traces = [
            checkout("ok", 10.0, Outcome::Ok, Outcome::Ok),
            // Inventory answered 404: an error on orders → inventory; orders still served.
            checkout("err", 10.0, Outcome::Error, Outcome::Ok),
            // Inventory answered 503, and orders failed with it.
            checkout("fault", 10.0, Outcome::Fault, Outcome::Fault),
        ];
        let map = aggregate(traces.iter().map(Vec::as_slice));
        let call = &edge(&map, "orders", "inventory").stats;
        assert_eq!((call.requests, call.errors, call.faults), (3, 1, 1));
        let orders = &node(&map, "orders").stats;
        assert_eq!((orders.requests, orders.errors, orders.faults), (3, 0, 1));
        let inventory = &node(&map, "inventory").stats;
        assert_eq!(
            (inventory.requests, inventory.errors, inventory.faults),
            (3, 1, 1)
        );
        for (from, to) in [("orders", "sqlite"), ("inventory", "sqlite")] {
            let db = &edge(&map, from, to).stats;
            assert_eq!(
                (db.requests, db.errors, db.faults),
                (3, 0, 0),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn an_empty_window_is_an_empty_map() {
        assert_eq!(aggregate(std::iter::empty()), ServiceMap::default());
        let none: [Vec<StoredSpan>; 1] = [Vec::new()];
        assert_eq!(
            aggregate(none.iter().map(Vec::as_slice)),
            ServiceMap::default()
        );
    }

    #[test]
    fn a_call_nobody_continued_is_a_remote_node_named_from_its_attributes() {
        // Inventory down: the orders call has no server span under it.
        let spans = vec![
            span(
                "root",
                None,
                "orders",
                "server",
                50.0,
                Outcome::Fault,
                json!({}),
            ),
            span(
                "call",
                Some("root"),
                "orders",
                "client",
                1.0,
                Outcome::Fault,
                json!({"peer.service": "shop-inventory"}),
            ),
            span(
                "s3",
                Some("root"),
                "orders",
                "client",
                3.0,
                Outcome::Ok,
                json!({"rpc.system": "aws-api", "rpc.service": "S3"}),
            ),
            span(
                "xray-sqs",
                Some("root"),
                "orders",
                "client",
                3.0,
                Outcome::Ok,
                json!({"aws.operation": "SendMessage"}),
            ),
            span(
                "outbox",
                Some("root"),
                "orders",
                "producer",
                1.0,
                Outcome::Ok,
                json!({"messaging.destination.name": "outbox"}),
            ),
        ];
        let mut spans = spans;
        spans[3].name = "SQS".to_owned();
        let map = aggregate([spans.as_slice()]);
        let kinds: Vec<(&str, NodeKind)> = map
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("orders", NodeKind::Service),
                ("S3", NodeKind::Aws),
                ("SQS", NodeKind::Aws),
                ("outbox", NodeKind::Queue),
                ("shop-inventory", NodeKind::Remote),
            ]
        );
        let down = &edge(&map, "orders", "shop-inventory").stats;
        assert_eq!((down.requests, down.faults), (1, 1));
    }

    #[test]
    fn latency_is_left_out_for_spans_still_in_progress_and_percentiles_are_nearest_rank() {
        let mut spans: Vec<StoredSpan> = (1..=100)
            .map(|i| {
                span(
                    &format!("s{i}"),
                    None,
                    "shop",
                    "server",
                    f64::from(i),
                    Outcome::Ok,
                    json!({}),
                )
            })
            .collect();
        spans[0].end_ms = None;
        let traces: Vec<Vec<StoredSpan>> = spans.into_iter().map(|s| vec![s]).collect();
        let map = aggregate(traces.iter().map(Vec::as_slice));
        let s = &node(&map, "shop").stats;
        assert_eq!(s.requests, 100, "counted, in progress or not");
        // The 99 finished ones: 2..=100 ms.
        assert_eq!(
            (s.p50_ms, s.p99_ms, s.max_ms, s.mean_ms),
            (Some(51.0), Some(100.0), Some(100.0), Some(51.0))
        );
        assert!(aggregate([&traces[0][..]]).nodes[0].stats.mean_ms.is_none());
    }

    #[test]
    fn a_trace_ends_with_its_last_span() {
        let mut spans = checkout("t", 10.0, Outcome::Ok, Outcome::Ok);
        spans[1].end_ms = None;
        spans[1].start_ms = 5000.0;
        assert_eq!(trace_end_ms(&spans), 5000.0);
        assert_eq!(trace_end_ms(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn a_store_that_did_not_answer_is_said_so_and_an_empty_window_is_missing() {
        let down = store_map("xray", "X", "cmd".to_owned(), Err("refused".to_owned()));
        assert_eq!(down.status, ReadingStatus::Unavailable);
        assert_eq!(down.message.as_deref(), Some("refused"));
        let empty = store_map("xray", "X", "cmd".to_owned(), Ok(WindowTraces::default()));
        assert_eq!(empty.status, ReadingStatus::Missing);
        assert!(empty.message.is_some() && empty.nodes.is_empty());
        let capped = store_map(
            "collector",
            "C",
            "cmd".to_owned(),
            Ok(WindowTraces {
                traces: vec![checkout("t", 10.0, Outcome::Ok, Outcome::Ok)],
                listed: 3,
                truncated: true,
                notes: vec!["the newest 1 of 3".to_owned()],
            }),
        );
        assert_eq!(
            (
                capped.status,
                capped.traces_listed,
                capped.traces_read,
                capped.truncated
            ),
            (ReadingStatus::Found, 3, 1, true)
        );
        assert_eq!(capped.message.as_deref(), Some("the newest 1 of 3"));
    }
}
