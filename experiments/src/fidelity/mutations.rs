//! Mutation tests of the oracle: an oracle that cannot fail proves nothing.
//!
//! A small, correct fixture is built the way a real run would see it: a
//! ledger of a few sessions (browse, a checkout, a missing product, an
//! injected inventory fault, an unsampled request), the spans the shop makes
//! for them (the trees of [`expected_tree`]) encoded as each backend stores
//! them — X-Ray segment documents with nested subsegments, OTLP/JSON as the
//! capture receiver returns it — and turned back into [`Span`]s and [`Log`]s
//! by [`crate::readback`], and the metric answers a sink would give. Every
//! check must pass at 100 % on it; then each test breaks one thing a sink or
//! a backend could get wrong and asserts that the check responsible for it
//! fails.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::load::SentContext;
use crate::readback::{Captured, cloudwatch_log, xray_spans};
use crate::shop::RUN_ATTRIBUTE;

const BACKENDS: [&str; 2] = ["awssdk", "otel"];
const RUN: &str = "fixture-nominal";

/// Positions of the ledger entries the mutations aim at.
const DETAIL: usize = 1;
const CHECKOUT: usize = 4;
const MISSING: usize = 5;
const POISON: usize = 7;
const UNSAMPLED: usize = 8;

/// A span as the shop made it, before a backend encodes it.
#[derive(Clone, Debug)]
struct Made {
    trace_id: String,
    id: String,
    parent: String,
    service: &'static str,
    kind: &'static str,
    name: &'static str,
    method: Option<&'static str>,
    route: Option<&'static str>,
    /// HTTP status of a server span or of a call to another service.
    status: Option<u16>,
    product: Option<i64>,
    /// The span's status is an error (OTLP `STATUS_CODE_ERROR`).
    failed: bool,
    start: f64,
}

impl Made {
    fn is_sql(&self) -> bool {
        self.kind == "client" && self.method.is_none()
    }
}

/// The ledger: five sessions, nine requests.
fn ledger(backend: &str) -> Vec<Entry> {
    let checkout = Step::Checkout {
        token: "tok_visa",
        email_ok: true,
        lines: 1,
        coupon: false,
    };
    let steps: [(u64, Step, u16, Option<i64>, bool); 9] = [
        (0, Step::ListProducts { page: 2 }, 200, None, true),
        (0, Step::Detail { product: 17 }, 200, None, true),
        (1, Step::CreateCart, 201, None, true),
        (
            1,
            Step::AddItem {
                product: 17,
                quantity: 2,
            },
            201,
            None,
            true,
        ),
        (1, checkout, 201, Some(5998), true),
        (2, Step::DetailMissing { product: 12_345 }, 404, None, true),
        (3, Step::CreateCart, 201, None, true),
        (3, Step::AddPoison, 502, None, true),
        (4, Step::Detail { product: 42 }, 200, None, false),
    ];
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (session, step, status, total_cents, sampled))| {
            let trace_id = format!("6745a0b1{:024x}", 0xfeed_0000 + i as u64);
            let answered = if backend == "awssdk" {
                format!("1-{}-{}", &trace_id[..8], &trace_id[8..])
            } else {
                trace_id.clone()
            };
            Entry {
                session,
                step,
                status,
                latency_us: 4_000 + 250 * i as u64,
                request_id: format!("req-{i}"),
                trace_id: Some(answered),
                sent: Some(SentContext {
                    trace_id,
                    parent_id: format!("{:016x}", 0xc0ff_ee00_u64 + i as u64),
                    sampled,
                }),
                total_cents,
                measured: true,
                signed_in: false,
            }
        })
        .collect()
}

/// The spans the shop makes for one request: its expected tree, with ids,
/// parents, attributes and statuses as the shop's instrumentation sets them.
fn made_spans(e: &Entry, next_id: &mut u64) -> Vec<Made> {
    let sent = e.sent.as_ref().expect("the fixture sends a context");
    let tree =
        expected_tree(&e.step, e.status, e.signed_in).expect("an oracle for every fixture step");
    let (method, route) = e.step.route();
    // parents[d]: the parent of a span at depth d.
    let mut parents = vec![sent.parent_id.clone()];
    let base = 1_764_000_000.0 + *next_id as f64;
    tree.iter()
        .enumerate()
        .map(|(i, &(depth, service, kind, name))| {
            *next_id += 1;
            let id = format!("{:016x}", 0xa000_0000_0000_0000_u64 + *next_id);
            parents.truncate(depth + 1);
            let parent = parents[depth].clone();
            parents.push(id.clone());
            let root = depth == 0;
            let call = kind == "client" && name.starts_with("POST /api");
            let poisoned = call && matches!(e.step, Step::AddPoison);
            let product = match e.step {
                Step::Detail { product } | Step::DetailMissing { product } if root => Some(product),
                _ => None,
            };
            Made {
                trace_id: sent.trace_id.clone(),
                id,
                parent,
                service,
                kind,
                name,
                method: if root {
                    Some(method)
                } else if call || kind == "server" {
                    Some("POST")
                } else {
                    None
                },
                route: if root {
                    Some(route)
                } else if kind == "server" {
                    Some("/api/inventory/check")
                } else {
                    None
                },
                status: if root {
                    Some(e.status)
                } else if poisoned {
                    Some(500)
                } else if call || kind == "server" {
                    Some(200)
                } else {
                    None
                },
                product,
                failed: (root && e.status >= 500) || poisoned,
                start: base + i as f64 * 0.001,
            }
        })
        .collect()
}

/// A plausible statement for an SQL span named `OPERATION table`.
fn sql_text(name: &str) -> String {
    let (op, table) = name.split_once(' ').unwrap_or((name, ""));
    match op {
        "SELECT" => format!("SELECT * FROM {table} WHERE id = ?"),
        "INSERT" => format!("INSERT INTO {table} VALUES (?, ?, ?)"),
        "UPDATE" => format!("UPDATE {table} SET updated_at = ? WHERE id = ?"),
        _ => op.to_owned(),
    }
}

// ------------------------------------------------------------------ X-Ray

/// One segment (`segment`) or subsegment as the awssdk backend writes it
/// (`telemetry-awssdk/src/traces/segment.rs`), with its same-service
/// children nested.
fn xray_document(spans: &[Made], s: &Made, segment: bool) -> Value {
    let mut doc = json!({
        "id": s.id,
        "start_time": s.start,
        "end_time": s.start + 0.0005,
        "metadata": { "span": { "name": s.name, "kind": s.kind, "scope": "shop" } },
    });
    let mut annotations = serde_json::Map::new();
    if segment {
        doc["name"] = json!(format!("shop-{}", s.service));
        doc["trace_id"] = json!(format!("1-{}-{}", &s.trace_id[..8], &s.trace_id[8..]));
        doc["parent_id"] = json!(s.parent);
        annotations.insert("environment".into(), json!("lab"));
    } else if s.is_sql() {
        doc["name"] = json!("sqlite");
        doc["namespace"] = json!("remote");
        doc["sql"] = json!({
            "database_type": "sqlite",
            "sanitized_query": sql_text(s.name),
            "preparation": "statement",
        });
        let op = s.name.split(' ').next().unwrap_or_default();
        annotations.insert("db_operation".into(), json!(op));
    } else if s.kind == "client" {
        doc["name"] = json!("shop-inventory");
        doc["namespace"] = json!("remote");
    } else {
        doc["name"] = json!(s.name);
    }
    if let Some(method) = s.method {
        let mut http = json!({ "request": { "method": method } });
        if s.kind == "client" {
            http["request"]["traced"] = json!(true);
        }
        if let Some(status) = s.status {
            http["response"] = json!({ "status": status });
        }
        doc["http"] = http;
    }
    match s.status {
        Some(429) => {
            doc["error"] = json!(true);
            doc["throttle"] = json!(true);
        }
        Some(c) if (400..500).contains(&c) => doc["error"] = json!(true),
        Some(c) if c >= 500 => doc["fault"] = json!(true),
        _ if s.failed => doc["fault"] = json!(true),
        _ => {}
    }
    if let Some(route) = s.route {
        annotations.insert("route".into(), json!(route));
    }
    if let Some(p) = s.product {
        annotations.insert("product_id".into(), json!(p));
    }
    doc["annotations"] = Value::Object(annotations);
    let children: Vec<Value> = spans
        .iter()
        .filter(|c| c.parent == s.id && c.service == s.service && c.kind != "server")
        .map(|c| xray_document(spans, c, false))
        .collect();
    if !children.is_empty() {
        doc["subsegments"] = Value::Array(children);
    }
    doc
}

/// A request's spans as X-Ray returns them: one segment document per
/// service (each server span is its service's local root), read back.
fn xray_readback(spans: &[Made]) -> Vec<Span> {
    spans
        .iter()
        .filter(|s| s.kind == "server")
        .flat_map(|root| {
            // Through text, as `BatchGetTraces` hands documents over.
            let text = xray_document(spans, root, true).to_string();
            xray_spans(&serde_json::from_str(&text).expect("a document is JSON"))
        })
        .collect()
}

// ------------------------------------------------------------------- OTLP

fn kv(key: &str, value: Value) -> Value {
    json!({ "key": key, "value": value })
}

fn resource(service: &str) -> Value {
    json!({ "attributes": [
        kv("service.name", json!({ "stringValue": format!("shop-{service}") })),
        kv(RUN_ATTRIBUTE, json!({ "stringValue": RUN })),
    ] })
}

/// A request's spans as the capture receiver holds them: one export
/// request per service, read back.
fn otlp_readback(spans: &[Made]) -> Vec<Span> {
    let mut requests = Vec::new();
    for service in ["catalog", "orders", "inventory"] {
        let mine: Vec<Value> = spans
            .iter()
            .filter(|s| s.service == service)
            .map(|s| {
                let mut attributes = Vec::new();
                let mut text =
                    |k: &str, v: &str| attributes.push(kv(k, json!({ "stringValue": v })));
                if let Some(m) = s.method {
                    text("http.request.method", m);
                }
                if let Some(r) = s.route {
                    text("http.route", r);
                }
                if s.is_sql() {
                    text("db.system.name", "sqlite");
                    text("db.query.text", &sql_text(s.name));
                }
                if let Some(code) = s.status {
                    attributes.push(kv(
                        "http.response.status_code",
                        json!({ "intValue": code.to_string() }),
                    ));
                }
                if let Some(p) = s.product {
                    attributes.push(kv("shop.product.id", json!({ "intValue": p.to_string() })));
                }
                let nanos = |t: f64| format!("{}", (t * 1e9) as u64);
                json!({
                    "traceId": s.trace_id,
                    "spanId": s.id,
                    "parentSpanId": s.parent,
                    "name": s.name,
                    "kind": match s.kind { "internal" => 1, "server" => 2, "producer" => 4, "consumer" => 5, _ => 3 },
                    "startTimeUnixNano": nanos(s.start),
                    "endTimeUnixNano": nanos(s.start + 0.0005),
                    "attributes": attributes,
                    "status": if s.failed { json!({ "code": 2 }) } else { json!({}) },
                })
            })
            .collect();
        if !mine.is_empty() {
            requests.push(json!({ "resourceSpans": [{
                "resource": resource(service),
                "scopeSpans": [{ "scope": { "name": "shop" }, "spans": mine }],
            }] }));
        }
    }
    Captured {
        traces: Value::Array(requests),
        metrics: json!([]),
        logs: json!([]),
    }
    .spans()
}

// ------------------------------------------------------------------- logs

/// A log line the shop writes: (service, message, request id, trace id, span id).
type Line = (&'static str, &'static str, String, String, String);

/// The lines the shop logs for one request: the access line of each server
/// span (inventory's under its own request id: the call does not carry the
/// caller's), and the domain lines of a cart addition and a placed order.
fn lines_of(e: &Entry, made: &[Made]) -> Vec<Line> {
    let mut out = Vec::new();
    for s in made.iter().filter(|s| s.kind == "server") {
        let status = s.status.unwrap_or(200);
        let message = match status {
            500.. => "request failed",
            400..500 => "request rejected",
            _ => "request completed",
        };
        let request_id = if s.service == "inventory" {
            format!("inv-{}", s.id)
        } else {
            e.request_id.clone()
        };
        let is_root = s.parent == e.sent.as_ref().map_or("", |c| c.parent_id.as_str());
        // The domain line comes before the access line, in the root's span.
        let domain = match (&e.step, e.status) {
            (Step::AddItem { .. }, 201) if is_root => Some("item added to cart"),
            (Step::Checkout { .. }, 201) if is_root => Some("order placed"),
            _ => None,
        };
        for message in domain.into_iter().chain([message]) {
            out.push((
                s.service,
                message,
                request_id.clone(),
                s.trace_id.clone(),
                s.id.clone(),
            ));
        }
    }
    out
}

/// CloudWatch Logs events (JSON lines with the X-Ray trace id), read back.
fn cloudwatch_readback(lines: &[Line]) -> Vec<Log> {
    lines
        .iter()
        .map(|(service, message, request_id, trace_id, span_id)| {
            let line = json!({
                "timestamp": "2026-12-01T20:00:00.000000Z",
                "level": "INFO",
                "message": message,
                "target": "shop",
                "service": format!("shop-{service}"),
                "request_id": request_id,
                "trace_id": format!("1-{}-{}", &trace_id[..8], &trace_id[8..]),
                "span_id": span_id,
                "trace_sampled": true,
            })
            .to_string();
            cloudwatch_log(&line).expect("a JSON line")
        })
        .collect()
}

/// OTLP log records as the capture receiver holds them, read back.
fn otlp_logs_readback(lines: &[Line]) -> Vec<Log> {
    let records: Vec<Value> = lines
        .iter()
        .map(|(service, message, request_id, trace_id, span_id)| {
            json!({ "resourceLogs": [{
                "resource": resource(service),
                "scopeLogs": [{ "logRecords": [{
                    "timeUnixNano": "1764619200000000000",
                    "severityText": "INFO",
                    "body": { "stringValue": message },
                    "attributes": [kv("shop.request.id", json!({ "stringValue": request_id }))],
                    "traceId": trace_id,
                    "spanId": span_id,
                }] }],
            }] })
        })
        .collect();
    Captured {
        traces: json!([]),
        metrics: json!([]),
        logs: Value::Array(records),
    }
    .logs()
}

// ---------------------------------------------------------------- metrics

/// What a sink answers to `q`, counted from the ledger independently of
/// [`metric_totals`]: the requests the shop served, their server-side
/// durations (a little under what the client measured), the orders, the
/// revenue and the units added to carts.
fn answer(q: &MetricQuery, entries: &[Entry]) -> MetricAnswer {
    let served = entries.iter().filter(|e| e.status != 0);
    match q.name {
        "shop.orders" => {
            let n = served
                .filter(|e| matches!((&e.step, e.status), (Step::Checkout { .. }, 201)))
                .count() as f64;
            (n, 0.0)
        }
        "shop.revenue" => (
            served.filter_map(|e| e.total_cents).sum::<i64>() as f64,
            0.0,
        ),
        "shop.cart.additions" => {
            let registered = q
                .attributes
                .iter()
                .any(|(k, v)| k == "shop.user.type" && v == "registered");
            let units = served
                .filter(|e| e.signed_in == registered)
                .filter_map(|e| match (&e.step, e.status) {
                    (Step::AddItem { quantity, .. }, 201) => Some(*quantity),
                    _ => None,
                })
                .sum::<i64>();
            (units as f64, 0.0)
        }
        _ => {
            let attr = |k: &str| {
                q.attributes
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.as_str())
            };
            let mine: Vec<&Entry> = served
                .filter(|e| {
                    let (method, route) = e.step.route();
                    let service = match e.step.service() {
                        crate::scenario::Service::Catalog => "catalog",
                        crate::scenario::Service::Orders => "orders",
                    };
                    service == q.service
                        && attr("http.request.method") == Some(method)
                        && attr("http.route") == Some(route)
                        && attr("http.response.status_code") == Some(&e.status.to_string())
                })
                .collect();
            let n = mine.len() as f64;
            if q.histogram {
                let server: f64 = mine.iter().map(|e| e.latency_us as f64 * 0.8 / 1e6).sum();
                (n, server)
            } else {
                (n, 0.0)
            }
        }
    }
}

// ---------------------------------------------------------------- fixture

/// What one backend's sinks hold for the ledger, read back.
struct Fixture {
    backend: &'static str,
    entries: Vec<Entry>,
    spans: Vec<Span>,
    /// The spans the shop made for the unsampled request (not stored).
    unsampled: Vec<Span>,
    logs: Vec<Log>,
    totals: MetricTotals,
    answers: Vec<MetricAnswer>,
    stats: BTreeMap<String, SignalStats>,
}

impl Fixture {
    fn new(backend: &'static str) -> Fixture {
        let entries = ledger(backend);
        let mut next_id = 0;
        let (mut spans, mut unsampled, mut lines) = (Vec::new(), Vec::new(), Vec::new());
        for e in &entries {
            let made = made_spans(e, &mut next_id);
            lines.extend(lines_of(e, &made));
            let read = if backend == "awssdk" {
                xray_readback(&made)
            } else {
                otlp_readback(&made)
            };
            assert_eq!(read.len(), made.len(), "the read-back keeps every span");
            if e.sent.as_ref().is_some_and(|s| s.sampled) {
                spans.extend(read);
            } else {
                unsampled.extend(read);
            }
        }
        let logs = if backend == "awssdk" {
            cloudwatch_readback(&lines)
        } else {
            otlp_logs_readback(&lines)
        };
        let totals = metric_totals(&entries);
        let answers = metric_queries(&totals)
            .iter()
            .map(|q| answer(q, &entries))
            .collect();
        let stats = BTreeMap::from([
            ("spans".to_owned(), delivered(spans.len())),
            ("logs".to_owned(), delivered(logs.len())),
            ("metrics".to_owned(), delivered(40)),
        ]);
        Fixture {
            backend,
            entries,
            spans,
            unsampled,
            logs,
            totals,
            answers,
            stats,
        }
    }

    /// Every check the runner makes of a nominal run, on what the fixture holds.
    fn checks(&self) -> Vec<Check> {
        let mut c = traces(self.backend, &self.entries, &self.spans);
        c.extend(metrics(&self.totals, &self.answers));
        c.extend(logs(&self.entries, &self.logs, &self.spans));
        c.push(accounting(&self.stats));
        c
    }

    fn trace_of(&self, entry: usize) -> &str {
        &self.entries[entry].sent.as_ref().expect("sent").trace_id
    }

    /// The stored span named `name` in the trace of `entry` (the first, in start order).
    fn span(&mut self, entry: usize, name: &str) -> &mut Span {
        let trace = self.trace_of(entry).to_owned();
        self.spans
            .iter_mut()
            .filter(|s| s.trace_id == trace && s.name == name)
            .min_by(|a, b| a.start.total_cmp(&b.start))
            .unwrap_or_else(|| panic!("no span {name} in the trace of entry {entry}"))
    }

    /// The index of `entry`'s log line with `message`.
    fn line(&self, entry: usize, message: &str) -> usize {
        let id = &self.entries[entry].request_id;
        self.logs
            .iter()
            .position(|l| l.request_id.as_ref() == Some(id) && l.message == message)
            .unwrap_or_else(|| panic!("no line {message:?} for entry {entry}"))
    }

    /// The position of the answer to the `nth` query named `name`.
    fn query(&self, name: &str, nth: usize) -> usize {
        metric_queries(&self.totals)
            .iter()
            .enumerate()
            .filter(|(_, q)| q.name == name)
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("no query {name} #{nth}"))
    }
}

fn delivered(n: usize) -> SignalStats {
    SignalStats {
        received: n as u64,
        sent: n as u64,
        api_calls: 3,
        ..Default::default()
    }
}

/// Asserts that the check whose name starts with `name` failed (some item
/// failed, score under 100 %), and shows every check if not.
fn assert_caught(checks: &[Check], name: &str, mutation: &str) {
    let c = checks
        .iter()
        .find(|c| c.name.starts_with(name))
        .unwrap_or_else(|| panic!("{mutation}: no check named {name:?}"));
    assert!(
        c.total > 0 && c.passed < c.total && c.score().is_some_and(|s| s < 1.0),
        "{mutation} went unnoticed by {:?}: {}/{}; all checks: {:#?}",
        c.name,
        c.passed,
        c.total,
        checks
            .iter()
            .map(|c| format!("{} {}/{}", c.name, c.passed, c.total))
            .collect::<Vec<_>>()
    );
    assert!(
        !c.failures.is_empty(),
        "{mutation}: a failure names what went wrong"
    );
}

#[test]
fn the_fixture_passes_every_check_on_both_backends() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        assert_eq!(
            f.unsampled.len(),
            2,
            "{backend}: the unsampled detail made two spans"
        );
        for c in f.checks() {
            assert!(
                c.total > 0 && c.passed == c.total,
                "{backend}: {} {}/{}: {:#?}",
                c.name,
                c.passed,
                c.total,
                c.failures
            );
        }
    }
}

#[test]
fn a_dropped_span_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        let id = f.span(CHECKOUT, "INSERT orders").id.clone();
        f.spans.retain(|s| s.id != id);
        assert_caught(
            &f.checks(),
            "span tree exact",
            &format!("{backend}: a dropped span"),
        );
    }
}

#[test]
fn a_duplicated_span_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        // The same span stored twice (an export retried after the sink had
        // already taken it): same id, same everything.
        let twice = f.span(CHECKOUT, "payment.authorize").clone();
        f.spans.push(twice);
        assert_caught(
            &f.checks(),
            "span tree exact",
            &format!("{backend}: a duplicated span"),
        );
    }
}

#[test]
fn a_wrong_parent_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        let payment = f.span(CHECKOUT, "payment.authorize").id.clone();
        f.span(CHECKOUT, "BEGIN").parent = payment;
        assert_caught(
            &f.checks(),
            "span tree exact",
            &format!("{backend}: a wrong parent"),
        );
    }
}

#[test]
fn a_wrong_span_name_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        f.span(CHECKOUT, "INSERT order_items").name = "INSERT order_item".into();
        assert_caught(
            &f.checks(),
            "span tree exact",
            &format!("{backend}: a wrong name"),
        );
    }
}

#[test]
fn a_wrong_xray_namespace_is_caught() {
    // X-Ray only: OTLP has span kinds, which the tree check compares.
    for (what, namespace) in [
        ("an SQL call marked aws", Some("aws")),
        ("an SQL call without a namespace", None),
    ] {
        let mut f = Fixture::new("awssdk");
        f.span(CHECKOUT, "SELECT carts").namespace = namespace.map(str::to_owned);
        assert_caught(&f.checks(), "X-Ray namespaces", what);
    }
    let mut f = Fixture::new("awssdk");
    f.span(CHECKOUT, "payment.authorize").namespace = Some("remote".into());
    assert_caught(
        &f.checks(),
        "X-Ray namespaces",
        "a local step marked remote",
    );
    let mut f = Fixture::new("awssdk");
    f.span(CHECKOUT, "POST /api/inventory/check").namespace = None;
    assert_caught(
        &f.checks(),
        "X-Ray namespaces",
        "a service call without a namespace",
    );
}

#[test]
fn a_counter_off_by_one_is_caught() {
    for (name, nth) in [
        ("http.server.requests", 0),
        ("http.server.errors", 0),
        ("shop.orders", 0),
        ("shop.revenue", 0),
        ("shop.cart.additions", 0),
        ("shop.registrations", 0),
        ("shop.logins", 0),
        ("shop.coupon.redemptions", 0),
        ("shop.reviews", 0),
    ] {
        for delta in [1.0, -1.0] {
            let mut f = Fixture::new("otel");
            let i = f.query(name, nth);
            f.answers[i].0 += delta;
            assert_caught(&f.checks(), "counters exact", &format!("{name} {delta:+}"));
        }
    }
}

#[test]
fn a_histogram_count_off_by_one_is_caught() {
    for delta in [1.0, -1.0] {
        let mut f = Fixture::new("awssdk");
        let i = f.query("http.server.request.duration", 2);
        f.answers[i].0 += delta;
        assert_caught(
            &f.checks(),
            "histogram counts exact",
            &format!("count {delta:+}"),
        );
    }
}

#[test]
fn a_log_line_without_its_trace_id_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        let i = f.line(CHECKOUT, "order placed");
        f.logs[i].trace_id = None;
        assert_caught(
            &f.checks(),
            "log lines join",
            &format!("{backend}: no trace id"),
        );
        // A span id that is not in the trace does not join either.
        let mut f = Fixture::new(backend);
        let i = f.line(POISON, "request failed");
        f.logs[i].span_id = Some("0123456789abcdef".into());
        assert_caught(
            &f.checks(),
            "log lines join",
            &format!("{backend}: a stray span id"),
        );
    }
}

#[test]
fn a_missing_access_line_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        let i = f.line(MISSING, "request rejected");
        f.logs.remove(i);
        assert_caught(
            &f.checks(),
            "one access line",
            &format!("{backend}: no access line"),
        );
        // The unsampled request's access line counts too.
        let mut f = Fixture::new(backend);
        let i = f.line(UNSAMPLED, "request completed");
        f.logs.remove(i);
        assert_caught(
            &f.checks(),
            "one access line",
            &format!("{backend}: unsampled"),
        );
    }
}

#[test]
fn a_missing_sampled_trace_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        let trace = f.trace_of(DETAIL).to_owned();
        f.spans.retain(|s| s.trace_id != trace);
        assert_caught(
            &f.checks(),
            "sampled traces arrived",
            &format!("{backend}: a lost trace"),
        );
    }
}

#[test]
fn an_unsampled_trace_that_arrived_is_caught() {
    for backend in BACKENDS {
        let mut f = Fixture::new(backend);
        let unsampled = std::mem::take(&mut f.unsampled);
        f.spans.extend(unsampled);
        assert_caught(
            &f.checks(),
            "unsampled traces absent",
            &format!("{backend}: an unsampled trace stored"),
        );
    }
}

#[test]
fn a_flipped_error_or_fault_flag_is_caught() {
    type Flip = fn(&mut Fixture);
    let both: [(&str, Flip); 3] = [
        ("the 502's root not failed", |f| {
            f.span(POISON, "POST /api/carts/{id}/items").failed = false;
        }),
        ("the failing call to inventory not failed", |f| {
            f.span(POISON, "POST /api/inventory/check").failed = false;
        }),
        ("a good SQL call failed", |f| {
            f.span(CHECKOUT, "COMMIT").failed = true;
        }),
    ];
    let xray: [(&str, Flip); 4] = [
        ("the 404's root without error", |f| {
            f.span(MISSING, "GET /api/products/{id}").error_flag = false;
        }),
        ("a 200's root with error", |f| {
            f.span(DETAIL, "GET /api/products/{id}").error_flag = true;
        }),
        (
            "the failing call to inventory with error (a 500 is a fault)",
            |f| {
                f.span(POISON, "POST /api/inventory/check").error_flag = true;
            },
        ),
        ("the 404's root throttled", |f| {
            f.span(MISSING, "GET /api/products/{id}").throttle_flag = true;
        }),
    ];
    let otel: [(&str, Flip); 1] = [(
        "the 404's root failed (OTLP leaves a 4xx server span unset)",
        |f| {
            f.span(MISSING, "GET /api/products/{id}").failed = true;
        },
    )];
    for backend in BACKENDS {
        let own: &[(&str, Flip)] = if backend == "awssdk" { &xray } else { &otel };
        for (what, flip) in both.iter().chain(own) {
            let mut f = Fixture::new(backend);
            flip(&mut f);
            assert_caught(
                &f.checks(),
                "error/fault flags",
                &format!("{backend}: {what}"),
            );
        }
    }
}

/// An outage on the fixture: the checkout's trace and the missing product's
/// access line are lost; `reported` are the shop's drops (spans, logs) and
/// `refused` the pass-through's refusals, both per signal.
fn outage(
    backend: &'static str,
    reported: (i64, i64),
    refused: (u64, u64),
) -> BTreeMap<String, LossAccount> {
    let mut f = Fixture::new(backend);
    let trace = f.trace_of(CHECKOUT).to_owned();
    let before = f.spans.len();
    f.spans.retain(|s| s.trace_id != trace);
    let lost_spans = (before - f.spans.len()) as i64;
    let i = f.line(MISSING, "request rejected");
    f.logs.remove(i);
    // The shop also drops lines the ledger does not track (a warning, say):
    // its log drops may exceed the lost access lines.
    let extra_lines = 2;
    BTreeMap::from([
        (
            "spans".to_owned(),
            loss_account(
                expected_span_count(&f.entries),
                arrived_span_count(&f.entries, &f.spans),
                (lost_spans + reported.0) as u64,
                refused.0,
            ),
        ),
        (
            "logs".to_owned(),
            loss_account(
                expected_access_lines(&f.entries),
                arrived_access_lines(&f.entries, &f.logs),
                (1 + extra_lines + reported.1) as u64,
                refused.1,
            ),
        ),
    ])
}

#[test]
fn the_loss_of_an_outage_adds_up_on_both_backends() {
    for backend in BACKENDS {
        let accounts = outage(backend, (0, 0), (2, 1));
        assert!(
            accounts["spans"].measured_missing > 0,
            "{backend}: spans lost"
        );
        assert_eq!(accounts["logs"].measured_missing, 1, "{backend}");
        let c = loss(&accounts);
        assert!(c.total == 4 && c.passed == 4, "{backend}: {c:#?}");
    }
}

#[test]
fn a_loss_that_does_not_add_up_is_caught() {
    const NAME: &str = "ledger loss = reported drops";
    for backend in BACKENDS {
        // A lost span the shop did not count, and one it counted that arrived.
        for off in [-1, 1] {
            assert_caught(
                &[loss(&outage(backend, (off, 0), (2, 1)))],
                NAME,
                &format!("{backend}: span drops off by {off}"),
            );
        }
        // A lost access line the shop did not count (it reported only the
        // lines the ledger does not track).
        assert_caught(
            &[loss(&outage(backend, (0, -1 - 2), (2, 1)))],
            NAME,
            &format!("{backend}: a lost access line uncounted"),
        );
        // Loss where the pass-through refused nothing: lost somewhere unseen.
        assert_caught(
            &[loss(&outage(backend, (0, 0), (0, 1)))],
            NAME,
            &format!("{backend}: spans lost without a refusal"),
        );
        assert_caught(
            &[loss(&outage(backend, (0, 0), (2, 0)))],
            NAME,
            &format!("{backend}: logs lost without a refusal"),
        );
    }
}
