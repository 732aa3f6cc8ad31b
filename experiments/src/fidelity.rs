//! The fidelity oracle: the ledger of what the load generator did, against
//! what the sinks hold. Each check counts items passed out of items checked
//! and keeps a few failures for a learner to look at.
//!
//! The same checks run for both backends on the neutral shapes of
//! [`crate::readback`]; only where a backend's model differs does the
//! expectation differ (X-Ray marks a 4xx with `error`, OTLP leaves a 4xx
//! server span unset; only X-Ray has subsegment namespaces), and that is
//! said next to the check.
//!
//! The checks are themselves tested by mutation (`fidelity/mutations.rs`):
//! a correct fixture passes every one, and each kind of damage a sink or a
//! backend could do makes the check responsible for it fail.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::load::Entry;
use crate::readback::{Log, Span, normalise_trace_id};
use crate::results::{Check, LossAccount, SignalStats};
use crate::scenario::{Step, expected_tree, render};

#[cfg(test)]
mod mutations;

const EXAMPLES: usize = 5;

/// The name of the logs check that every answered request has its access line.
pub const ACCESS_LINE_CHECK: &str = "one access line per request";

fn check(signal: &str, name: &str) -> Check {
    Check {
        signal: signal.to_owned(),
        name: name.to_owned(),
        passed: 0,
        total: 0,
        failures: Vec::new(),
        gap: None,
    }
}

fn tally(c: &mut Check, ok: bool, failure: impl FnOnce() -> String) {
    c.total += 1;
    if ok {
        c.passed += 1;
    } else if c.failures.len() < EXAMPLES {
        c.failures.push(failure());
    }
}

/// The spans of one trace rendered as the scenario renders expected trees:
/// starting at the span whose parent is `root_parent`, children in start
/// order. Spans not reachable from that root are listed after `orphans:`,
/// and a span id stored more than once after `duplicates:` (a sink that
/// took the same export twice: the walk shows each span once, so without
/// this line a copy would go unseen).
pub fn render_trace(spans: &[&Span], root_parent: &str) -> String {
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    fn walk<'a>(
        out: &mut String,
        seen: &mut BTreeSet<&'a str>,
        spans: &[&'a Span],
        parent: &str,
        depth: usize,
    ) {
        let mut children: Vec<&&Span> = spans.iter().filter(|s| s.parent == parent).collect();
        children.sort_by(|a, b| a.start.total_cmp(&b.start));
        for s in children {
            if !seen.insert(s.id.as_str()) {
                continue;
            }
            out.push_str(&format!(
                "{}{} {} {}\n",
                "  ".repeat(depth),
                s.service,
                s.kind,
                s.name
            ));
            walk(out, seen, spans, &s.id, depth + 1);
        }
    }
    walk(&mut out, &mut seen, spans, root_parent, 0);
    let orphans: Vec<String> = spans
        .iter()
        .filter(|s| !seen.contains(s.id.as_str()))
        .map(|s| format!("{} {} {} (parent {})", s.service, s.kind, s.name, s.parent))
        .collect();
    if !orphans.is_empty() {
        out.push_str(&format!("orphans: {}\n", orphans.join("; ")));
    }
    let mut copies: BTreeMap<&str, (usize, &Span)> = BTreeMap::new();
    for s in spans {
        copies.entry(s.id.as_str()).or_insert((0, s)).0 += 1;
    }
    let duplicates: Vec<String> = copies
        .values()
        .filter(|(n, _)| *n > 1)
        .map(|(n, s)| format!("{} {} {} ×{n}", s.service, s.kind, s.name))
        .collect();
    if !duplicates.is_empty() {
        out.push_str(&format!("duplicates: {}\n", duplicates.join("; ")));
    }
    out
}

/// The X-Ray rule for a subsegment's or segment's flags, and OTLP's for a
/// span status, given the HTTP status of the request it served.
fn flags_right(backend: &str, s: &Span, status: u16, failing_client: bool) -> bool {
    let is_root = s.kind == "server" && s.service != "inventory";
    if backend == "awssdk" {
        if is_root {
            s.failed == (status >= 500)
                && s.error_flag == (400..500).contains(&status)
                && s.throttle_flag == (status == 429)
        } else if failing_client {
            // The call answered 5xx (or not at all): a fault, not an error.
            s.failed && !s.error_flag
        } else {
            !s.failed && !s.error_flag
        }
    } else if is_root {
        s.failed == (status >= 500)
    } else {
        s.failed == failing_client
    }
}

/// The client span of a step's tree that fails: the call to inventory the
/// pass-through refuses.
fn failing_client_span(step: &Step) -> Option<&'static str> {
    matches!(step, Step::AddPoison).then_some("POST /api/inventory/check")
}

/// The `namespace` X-Ray wants on a subsegment: `remote` on a call to
/// something outside the service (every client span the shop makes is an
/// SQL statement or a call to another service), none on a segment or a
/// local step (`telemetry-awssdk/src/traces/segment.rs` writes them so).
fn xray_namespace(s: &Span) -> Option<&'static str> {
    (s.kind == "client").then_some("remote")
}

/// Trace checks: which expected traces arrived, with exactly the expected
/// tree, attributes and error flags (and, on X-Ray, subsegment namespaces);
/// unsampled ones must not arrive.
pub fn traces(backend: &str, entries: &[Entry], spans: &[Span]) -> Vec<Check> {
    let mut by_trace: HashMap<&str, Vec<&Span>> = HashMap::new();
    for s in spans {
        by_trace.entry(s.trace_id.as_str()).or_default().push(s);
    }
    let mut arrived = check("traces", "sampled traces arrived");
    let mut exact = check("traces", "span tree exact (parent/child, names, kinds)");
    let mut attrs = check(
        "traces",
        "attributes survive (method, route, status, product id, SQL)",
    );
    let mut flags = check("traces", "error/fault flags right");
    let mut namespaces = check(
        "traces",
        "X-Ray namespaces right (remote on SQL and service calls, none on local spans)",
    );
    let mut absent = check("traces", "unsampled traces absent");
    let mut header = check("traces", "trace id answered = trace id sent");
    for e in entries {
        let Some(sent) = &e.sent else { continue };
        tally(
            &mut header,
            e.trace_id.as_deref().map(normalise_trace_id).as_deref()
                == Some(sent.trace_id.as_str()),
            || {
                format!(
                    "{} sent {} got {:?}",
                    e.request_id, sent.trace_id, e.trace_id
                )
            },
        );
        let got = by_trace.get(sent.trace_id.as_str());
        if !sent.sampled {
            tally(&mut absent, got.is_none(), || {
                format!(
                    "{} ({}): {} spans of an unsampled trace arrived",
                    e.request_id,
                    e.step.name(),
                    got.map_or(0, Vec::len)
                )
            });
            continue;
        }
        tally(&mut arrived, got.is_some(), || {
            format!(
                "{} ({} → {}): trace {} not found",
                e.request_id,
                e.step.name(),
                e.status,
                sent.trace_id
            )
        });
        let Some(got) = got else { continue };
        let Some(expected) = expected_tree(&e.step, e.status, e.signed_in) else {
            tally(&mut exact, false, || {
                format!(
                    "{}: no oracle for {} answering {}",
                    e.request_id,
                    e.step.name(),
                    e.status
                )
            });
            continue;
        };
        let want = render(&expected);
        let have = render_trace(got, &sent.parent_id);
        tally(&mut exact, want == have, || {
            format!(
                "{} ({} → {}), trace {}:\nexpected:\n{want}got:\n{have}",
                e.request_id,
                e.step.name(),
                e.status,
                sent.trace_id
            )
        });
        // Attributes of the root, and of every SQL span.
        let (method, route) = e.step.route();
        let root = got.iter().find(|s| s.parent == sent.parent_id);
        let mut missing = Vec::new();
        match root {
            None => missing.push("no root".to_owned()),
            Some(r) => {
                let status = e.status.to_string();
                for (k, v) in [
                    ("http.request.method", method),
                    ("http.route", route),
                    ("http.response.status_code", status.as_str()),
                ] {
                    if r.attributes.get(k).map(String::as_str) != Some(v) {
                        missing.push(format!("{k}={v} (got {:?})", r.attributes.get(k)));
                    }
                }
                if let Step::Detail { product } = &e.step {
                    let want = product.to_string();
                    if r.attributes.get("shop.product.id") != Some(&want) {
                        missing.push(format!(
                            "shop.product.id={want} (got {:?})",
                            r.attributes.get("shop.product.id")
                        ));
                    }
                }
            }
        }
        for s in got
            .iter()
            .filter(|s| s.kind == "client" && !s.name.starts_with("POST /api"))
        {
            if s.attributes
                .get("db.query.text")
                .is_none_or(|q| q.is_empty())
            {
                missing.push(format!("db.query.text on {}", s.name));
            }
        }
        tally(&mut attrs, missing.is_empty(), || {
            format!(
                "{} ({}): {}",
                e.request_id,
                e.step.name(),
                missing.join(", ")
            )
        });
        let failing = failing_client_span(&e.step);
        let wrong: Vec<String> = got
            .iter()
            .filter(|s| {
                let is_failing = s.kind == "client" && failing == Some(s.name.as_str());
                !flags_right(backend, s, e.status, is_failing)
            })
            .map(|s| {
                format!(
                    "{} {} (failed={}, error={})",
                    s.service, s.name, s.failed, s.error_flag
                )
            })
            .collect();
        tally(&mut flags, wrong.is_empty(), || {
            format!(
                "{} ({} → {}): {}",
                e.request_id,
                e.step.name(),
                e.status,
                wrong.join("; ")
            )
        });
        if backend == "awssdk" {
            let wrong: Vec<String> = got
                .iter()
                .filter(|s| s.namespace.as_deref() != xray_namespace(s))
                .map(|s| {
                    format!(
                        "{} {} {} (namespace {:?}, expected {:?})",
                        s.service,
                        s.kind,
                        s.name,
                        s.namespace,
                        xray_namespace(s)
                    )
                })
                .collect();
            tally(&mut namespaces, wrong.is_empty(), || {
                format!("{} ({}): {}", e.request_id, e.step.name(), wrong.join("; "))
            });
        }
    }
    if backend == "awssdk" {
        attrs.gap = Some(
            "X-Ray keeps route/ids as annotations, method/status in the http block, SQL in the sql block; \
             the read-back maps them back to attribute names"
                .into(),
        );
    }
    let mut out = vec![arrived, exact, attrs, flags];
    // Only X-Ray has namespaces; OTLP's span kinds are compared by the tree check.
    if backend == "awssdk" {
        out.push(namespaces);
    }
    out.extend([absent, header]);
    out
}

/// Expected metric totals from the ledger, per (service, method, route, status).
#[derive(Debug, Default)]
pub struct MetricTotals {
    /// (service role, method, route, status) → (count, Σ client latency in seconds).
    pub requests: BTreeMap<(String, String, String, u16), (u64, f64)>,
    pub orders_placed: u64,
    pub revenue_cents: i64,
    /// Units added to carts by guests and by signed-in customers (`shop.user.type`).
    pub cart_units: i64,
    pub cart_units_registered: i64,
    /// Business counters of the signed-in sessions (O-METRIC-13, C-BROWSE-08).
    pub registrations: u64,
    pub logins: u64,
    pub coupon_redemptions: u64,
    pub reviews_published: u64,
    /// Back-office actions of the admin sessions (O-METRIC-10): product
    /// edits, stock receipts, order moves (pack and ship).
    pub admin_edits: u64,
    pub admin_receipts: u64,
    pub admin_moves: u64,
}

pub fn metric_totals(entries: &[Entry]) -> MetricTotals {
    let mut t = MetricTotals::default();
    for e in entries.iter().filter(|e| e.status != 0) {
        let (method, route) = e.step.route();
        let service = match e.step.service() {
            crate::scenario::Service::Catalog => "catalog",
            crate::scenario::Service::Orders => "orders",
        };
        let v = t
            .requests
            .entry((service.into(), method.into(), route.into(), e.status))
            .or_default();
        v.0 += 1;
        v.1 += e.latency_us as f64 / 1e6;
        match (&e.step, e.status) {
            (Step::Checkout { .. }, 201) => {
                t.orders_placed += 1;
                t.revenue_cents += e.total_cents.unwrap_or(0);
            }
            (Step::AddItem { quantity, .. }, 201) if e.signed_in => {
                t.cart_units_registered += quantity
            }
            (Step::AddItem { quantity, .. }, 201) => t.cart_units += quantity,
            (Step::Register { .. }, 201) => t.registrations += 1,
            (Step::Login { .. }, 200) => t.logins += 1,
            (Step::Review { .. }, 201) => t.reviews_published += 1,
            (Step::AdminEditProduct { .. }, 200) => t.admin_edits += 1,
            (Step::AdminReceiveStock { .. }, 200) => t.admin_receipts += 1,
            (Step::AdminPack | Step::AdminShip { .. }, 200) => t.admin_moves += 1,
            _ => {}
        }
        if let (Step::Checkout { coupon: true, .. }, 201) = (&e.step, e.status) {
            t.coupon_redemptions += 1;
        }
    }
    t
}

/// One metric read-back question: name, service role, attributes, and whether a histogram.
#[derive(Clone, Debug)]
pub struct MetricQuery {
    pub name: &'static str,
    pub service: String,
    pub attributes: Vec<(String, String)>,
    pub histogram: bool,
}

/// The answer: (count or counter sum, histogram sum).
pub type MetricAnswer = (f64, f64);

/// What to ask the sink, in the order [`metrics`] expects the answers.
pub fn metric_queries(t: &MetricTotals) -> Vec<MetricQuery> {
    let mut q = Vec::new();
    for (service, method, route, status) in t.requests.keys() {
        let attributes = vec![
            ("http.request.method".to_owned(), method.clone()),
            ("http.route".to_owned(), route.clone()),
            ("http.response.status_code".to_owned(), status.to_string()),
        ];
        for (name, histogram) in [
            ("http.server.requests", false),
            ("http.server.request.duration", true),
        ] {
            q.push(MetricQuery {
                name,
                service: service.clone(),
                attributes: attributes.clone(),
                histogram,
            });
        }
        if *status >= 500 {
            q.push(MetricQuery {
                name: "http.server.errors",
                service: service.clone(),
                attributes,
                histogram: false,
            });
        }
    }
    for (name, service, attributes) in BUSINESS_COUNTERS {
        q.push(MetricQuery {
            name,
            service: service.into(),
            attributes: attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            histogram: false,
        });
    }
    q
}

/// A business counter series: (name, service role, every attribute as (key, value)).
type BusinessCounter = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The business counters the oracle checks: (name, service role, attributes). The
/// attributes are every one the shop puts on the series: CloudWatch matches dimensions
/// exactly, so a query naming fewer would find nothing.
const BUSINESS_COUNTERS: [BusinessCounter; 11] = [
    (
        "shop.orders",
        "orders",
        &[("shop.checkout.outcome", "placed")],
    ),
    ("shop.revenue", "orders", &[("shop.currency", "USD")]),
    (
        "shop.cart.additions",
        "orders",
        &[("shop.user.type", "guest")],
    ),
    (
        "shop.cart.additions",
        "orders",
        &[("shop.user.type", "registered")],
    ),
    (
        "shop.registrations",
        "orders",
        &[("shop.registration.outcome", "created")],
    ),
    ("shop.logins", "orders", &[("shop.login.outcome", "ok")]),
    (
        "shop.coupon.redemptions",
        "orders",
        &[
            ("shop.coupon.outcome", "redeemed"),
            ("shop.coupon.reason", "none"),
        ],
    ),
    (
        "shop.reviews",
        "catalog",
        &[("shop.review.outcome", "published")],
    ),
    (
        "shop.admin.actions",
        "orders",
        &[
            ("shop.admin.action", "catalog.write"),
            ("shop.admin.outcome", "success"),
        ],
    ),
    (
        "shop.admin.actions",
        "orders",
        &[
            ("shop.admin.action", "inventory.adjust"),
            ("shop.admin.outcome", "success"),
        ],
    ),
    (
        "shop.admin.actions",
        "orders",
        &[
            ("shop.admin.action", "orders.transition"),
            ("shop.admin.outcome", "success"),
        ],
    ),
];

/// Metric checks against the answers to [`metric_queries`].
pub fn metrics(t: &MetricTotals, answers: &[MetricAnswer]) -> Vec<Check> {
    let mut counters = check(
        "metrics",
        "counters exact (requests, 5xx, orders, revenue, units, registrations, logins, coupons, reviews, admin actions)",
    );
    let mut counts = check("metrics", "histogram counts exact");
    let mut sums = check(
        "metrics",
        "histogram sums plausible (0 < server Σ ≤ client Σ)",
    );
    let mut i = 0;
    for ((service, method, route, status), (n, client_secs)) in &t.requests {
        let label = format!("{service} {method} {route} {status}");
        let (requests, _) = answers[i];
        let (hcount, hsum) = answers[i + 1];
        i += 2;
        tally(&mut counters, requests == *n as f64, || {
            format!("http.server.requests {label}: expected {n}, got {requests}")
        });
        tally(&mut counts, hcount == *n as f64, || {
            format!("http.server.request.duration count {label}: expected {n}, got {hcount}")
        });
        tally(&mut sums, hsum > 0.0 && hsum <= *client_secs, || {
            format!("duration sum {label}: server {hsum:.6}s, client {client_secs:.6}s")
        });
        if *status >= 500 {
            let (errors, _) = answers[i];
            i += 1;
            tally(&mut counters, errors == *n as f64, || {
                format!("http.server.errors {label}: expected {n}, got {errors}")
            });
        }
    }
    let wants = [
        t.orders_placed as f64,
        t.revenue_cents as f64,
        t.cart_units as f64,
        t.cart_units_registered as f64,
        t.registrations as f64,
        t.logins as f64,
        t.coupon_redemptions as f64,
        t.reviews_published as f64,
        t.admin_edits as f64,
        t.admin_receipts as f64,
        t.admin_moves as f64,
    ];
    for ((name, _, attributes), want) in BUSINESS_COUNTERS.iter().zip(wants) {
        let values: Vec<&str> = attributes.iter().map(|(_, v)| *v).collect();
        let name = format!("{name}{{{}}}", values.join(","));
        let (got, _) = answers[i];
        i += 1;
        tally(&mut counters, got == want, || {
            format!("{name}: expected {want}, got {got}")
        });
    }
    vec![counters, counts, sums]
}

fn is_access_line(l: &Log) -> bool {
    matches!(
        l.message.as_str(),
        "request completed" | "request rejected" | "request failed"
    )
}

/// Log checks: one access line per request, and every line of a sampled
/// request joins its trace (same trace id, a span id that arrived).
pub fn logs(entries: &[Entry], logs: &[Log], spans: &[Span]) -> Vec<Check> {
    let mut by_request: HashMap<&str, Vec<&Log>> = HashMap::new();
    for l in logs {
        if let Some(r) = &l.request_id {
            by_request.entry(r.as_str()).or_default().push(l);
        }
    }
    let span_ids: HashMap<&str, &str> = spans
        .iter()
        .map(|s| (s.id.as_str(), s.trace_id.as_str()))
        .collect();
    let mut access = check("logs", ACCESS_LINE_CHECK);
    let mut joined = check("logs", "log lines join their trace (trace id and span id)");
    for e in entries.iter().filter(|e| e.status != 0) {
        let lines = by_request
            .get(e.request_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let n = lines.iter().filter(|l| is_access_line(l)).count();
        tally(&mut access, n == 1, || {
            format!("{} ({}): {n} access lines", e.request_id, e.step.name())
        });
        let Some(sent) = e.sent.as_ref().filter(|s| s.sampled) else {
            continue;
        };
        for l in lines {
            let ok = l.trace_id.as_deref() == Some(sent.trace_id.as_str())
                && l.span_id
                    .as_deref()
                    .and_then(|id| span_ids.get(id))
                    .is_some_and(|t| *t == sent.trace_id);
            tally(&mut joined, ok, || {
                format!(
                    "{} line {:?}: trace {:?} span {:?} (trace {})",
                    e.request_id, l.message, l.trace_id, l.span_id, sent.trace_id
                )
            });
        }
    }
    vec![access, joined]
}

/// Backend accounting: every item handed to the backend was sent or counted as dropped.
pub fn accounting(stats: &BTreeMap<String, SignalStats>) -> Check {
    let mut c = check("loss", "received = sent + dropped (backend counters)");
    for (signal, s) in stats {
        tally(&mut c, s.received == s.sent + s.dropped, || {
            format!(
                "{signal}: received {} ≠ sent {} + dropped {}",
                s.received, s.sent, s.dropped
            )
        });
    }
    c
}

/// The collector's own counts over a run ([`crate::pipeline`]): with healthy sinks it must lose
/// nothing it accepted. (What it refused the shop counted already: [`accounting`].)
pub fn pipeline(counts: &crate::pipeline::PipelineCounts) -> Check {
    let mut c = check(
        "loss",
        "the collector lost nothing it accepted (its own counters)",
    );
    for (signal, n) in counts {
        tally(&mut c, n.lost == 0, || {
            format!(
                "{signal}: the collector accepted {} and lost {} (failed sends after retries, or a full queue)",
                n.accepted, n.lost
            )
        });
    }
    c
}

/// Spans the ledger expects to have arrived (sum of expected trees of sampled requests).
pub fn expected_span_count(entries: &[Entry]) -> u64 {
    entries
        .iter()
        .filter(|e| e.sent.as_ref().is_some_and(|s| s.sampled))
        .filter_map(|e| expected_tree(&e.step, e.status, e.signed_in))
        .map(|t| t.len() as u64)
        .sum()
}

/// Spans of the ledger's sampled traces that arrived.
pub fn arrived_span_count(entries: &[Entry], spans: &[Span]) -> u64 {
    let wanted: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e.sent.as_ref().filter(|s| s.sampled))
        .map(|s| s.trace_id.as_str())
        .collect();
    spans
        .iter()
        .filter(|s| wanted.contains(s.trace_id.as_str()))
        .count() as u64
}

/// Access lines the ledger expects under any outage: one per answered
/// request (the rule "one access line per request" of [`logs`]). The other
/// lines the shop writes (a low-stock warning, a retried transaction) depend
/// on state the ledger does not hold, so the ledger counts only these.
pub fn expected_access_lines(entries: &[Entry]) -> u64 {
    entries.iter().filter(|e| e.status != 0).count() as u64
}

/// Answered requests of the ledger whose access line arrived (a request
/// counts once, however many copies of its line arrived).
pub fn arrived_access_lines(entries: &[Entry], logs: &[Log]) -> u64 {
    let with_line: BTreeSet<&str> = logs
        .iter()
        .filter(|l| is_access_line(l))
        .filter_map(|l| l.request_id.as_deref())
        .collect();
    entries
        .iter()
        .filter(|e| e.status != 0 && with_line.contains(e.request_id.as_str()))
        .count() as u64
}

/// The loss of one signal from the ledger (`expected`, `arrived`), the shop's
/// counters (`reported_dropped`) and the pass-through (`refused_requests`).
pub fn loss_account(
    expected: u64,
    arrived: u64,
    reported_dropped: u64,
    refused_requests: u64,
) -> LossAccount {
    LossAccount {
        reported_dropped,
        measured_missing: expected.saturating_sub(arrived),
        expected,
        arrived,
        refused_requests,
    }
}

/// Whether the loss of an outage run adds up, per signal:
/// - the ledger's loss is what the shop reported dropped: equal for spans
///   (the ledger knows every span a request makes); for logs the ledger
///   knows only the access lines, so their loss is at most what the shop
///   reported (every lost access line is among its drops);
/// - a loss, or a reported drop, comes with refusals at the pass-through
///   (the outage is where it was lost, not somewhere unseen).
pub fn loss(accounts: &BTreeMap<String, LossAccount>) -> Check {
    let mut c = check(
        "loss",
        "ledger loss = reported drops, and refused by the pass-through (spans, logs)",
    );
    for (signal, l) in accounts {
        let counted = if signal == "spans" {
            l.measured_missing == l.reported_dropped
        } else {
            l.measured_missing <= l.reported_dropped
        };
        tally(&mut c, counted, || {
            format!(
                "{signal}: the ledger expected {}, {} arrived ({} missing); the shop reported {} dropped",
                l.expected, l.arrived, l.measured_missing, l.reported_dropped
            )
        });
        let lost = l.measured_missing > 0 || l.reported_dropped > 0;
        tally(&mut c, !lost || l.refused_requests > 0, || {
            format!(
                "{signal}: {} missing, {} reported dropped, but the pass-through refused nothing",
                l.measured_missing, l.reported_dropped
            )
        });
    }
    c
}
