//! The browser chapter (#17): shoppers' page views in Chromium through each backend, scored
//! from what the backend stored, with what browser telemetry costs and what it does to LCP.
//!
//! A run per backend (`awssdk-100`, `otel-100`) starts the shop with its browser UI and drives
//! `app/web/e2e/page-views.ts` twice: with browser telemetry (`on`) and without it (`off`: the
//! page gets a 404 for `/api/rum/config`, as from a shop without the intake). Each session is a
//! first visit: home, a product, "Add to cart", the cart — three page views.
//!
//! - **Join fidelity**: of the page's API calls that carried the backend's propagation header,
//!   the share whose stored trace holds both the browser's fetch span and, under it, the shop's
//!   span (X-Ray for awssdk, the collector's output for otel). Calls made before the lazily
//!   loaded SDK was ready carry no header and are counted apart: nothing can join them.
//! - **Cost per million page views**: what the backend sent on with the telemetry `on`, less
//!   what it sent for the same page views `off`, at the harness's pass-throughs; priced with
//!   `prices.toml`. Set against CloudWatch RUM, which bills per event: the events AWS's web
//!   client would have recorded for the same page views (page views, navigations, Web Vitals,
//!   HTTP calls, JS errors).
//! - **LCP**: read by a PerformanceObserver of the page's own in both passes (so the baseline
//!   has one too), the first navigation of each session; the budget is 2.5 s.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::readback::{Span, normalise_trace_id as norm_trace};
use crate::results::WireCount;

/// LCP budget, ms ("good" in web.dev's thresholds).
pub const LCP_BUDGET_MS: f64 = 2500.0;

/// What `page-views.ts` prints: one pass's sessions.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Pass {
    pub telemetry: String,
    pub sessions: Vec<Session>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Session {
    pub page_views: u64,
    pub lcp_ms: Option<f64>,
    pub fetches: Vec<Fetch>,
    pub exports: Vec<Export>,
}

/// One API call of a page, with the header it carried and the shop's `x-trace-id`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Fetch {
    pub method: String,
    pub path: String,
    pub traceparent: Option<String>,
    pub xray: Option<String>,
    pub status: Option<u16>,
    pub trace_id: Option<String>,
}

/// One export the page POSTed to the shop's RUM intake.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Export {
    pub signal: String,
    pub bytes: u64,
    pub status: Option<u16>,
    pub spans: u64,
    pub logs: u64,
    pub points: u64,
    pub trace_ids: Vec<String>,
}

impl Fetch {
    /// The (trace id, fetch span id) its header carried, the trace id as 32 hex digits.
    pub fn context(&self) -> Option<(String, String)> {
        if let Some(tp) = &self.traceparent {
            let parts: Vec<&str> = tp.split('-').collect();
            if parts.len() == 4 && parts[1].len() == 32 && parts[2].len() == 16 {
                return Some((parts[1].to_ascii_lowercase(), parts[2].to_ascii_lowercase()));
            }
        }
        let xray = self.xray.as_deref()?;
        let field = |k: &str| {
            xray.split(';')
                .find_map(|p| p.trim().strip_prefix(k))
                .map(str::to_owned)
        };
        Some((
            norm_trace(&field("Root=")?),
            field("Parent=")?.to_ascii_lowercase(),
        ))
    }
}

/// The service name the read-back gives the browser's spans (`shop-web` without `shop-`).
pub const BROWSER: &str = "web";

/// How many calls joined, of those with a header; and a few that did not, with why.
pub fn score_joins(fetches: &[&Fetch], spans: &[Span]) -> (u64, Vec<String>) {
    let mut joined = 0;
    let mut misses = Vec::new();
    for f in fetches {
        let Some((trace, span)) = f.context() else {
            continue;
        };
        let in_trace: Vec<&Span> = spans
            .iter()
            .filter(|s| norm_trace(&s.trace_id) == trace)
            .collect();
        let browser = in_trace
            .iter()
            .any(|s| s.id.eq_ignore_ascii_case(&span) && s.service == BROWSER);
        let shop = in_trace
            .iter()
            .any(|s| s.parent.eq_ignore_ascii_case(&span) && s.service != BROWSER);
        if browser && shop {
            joined += 1;
        } else if misses.len() < 5 {
            let why = match (browser, shop) {
                (false, false) => "neither the fetch span nor the shop's span stored",
                (false, true) => "the browser's fetch span not stored",
                _ => "no span of the shop under the fetch",
            };
            misses.push(format!("{} {}: {why}", f.method, f.path));
        }
    }
    (joined, misses)
}

/// One backend's browser chapter.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrowserRow {
    pub config: String,
    pub backend: String,
    pub sessions: u64,
    /// Page views per pass (each pass made the same).
    pub page_views: u64,
    /// The pages' API calls with the telemetry on.
    pub fetches: u64,
    /// Of those, the calls that carried the propagation header.
    pub fetches_with_header: u64,
    /// Of those with a header, the calls whose stored trace joins the browser's fetch span
    /// and the shop's span under it.
    pub joined: u64,
    /// A few calls that did not join, and why.
    pub join_misses: Vec<String>,
    /// What the pages POSTed to the intake (telemetry on), per signal.
    pub intake: BTreeMap<String, IntakeSignal>,
    /// Exports the intake did not answer 200.
    pub intake_refused: u64,
    /// Distinct traces per page view: with the telemetry on (the browser's and the calls'),
    /// and off (the calls' own).
    pub traces_per_view_on: f64,
    pub traces_per_view_off: f64,
    /// What the backend sent on, per pass-through, with the telemetry on and off.
    pub wire_on: Vec<WireCount>,
    pub wire_off: Vec<WireCount>,
    /// LCP of each session's first navigation, ms, with the telemetry on and off.
    pub lcp_ms_on: Vec<f64>,
    pub lcp_ms_off: Vec<f64>,
    /// The priced items per million page views.
    pub cost: Vec<BrowserCostItem>,
    pub dollars_per_million_views: f64,
    /// CloudWatch RUM's events for the same page views, and their price.
    pub rum_events_per_view: f64,
    pub rum_dollars_per_million_views: f64,
    /// CloudWatch RUM's price per event is assumed, not confirmed (`prices.toml`).
    pub rum_price_assumed: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IntakeSignal {
    pub requests: u64,
    pub bytes: u64,
    /// Spans, log records or metric points.
    pub items: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrowserCostItem {
    pub item: String,
    /// Per million page views.
    pub quantity: f64,
    pub unit: String,
    pub usd: f64,
    pub note: String,
}

/// CloudWatch RUM's price, `prices.toml [cloudwatch_rum]`.
#[derive(Clone, Debug)]
pub struct RumPrice {
    pub per_event: f64,
    /// The price is not confirmed from a stored source (the report says so).
    pub assumed: bool,
}

impl RumPrice {
    pub fn load(path: &std::path::Path) -> anyhow::Result<RumPrice> {
        let doc: toml::Value = toml::from_str(&std::fs::read_to_string(path)?)?;
        let t = doc
            .get("cloudwatch_rum")
            .ok_or_else(|| anyhow::anyhow!("prices.toml: no [cloudwatch_rum]"))?;
        let per_100k = t
            .get("events_per_100k")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .ok_or_else(|| anyhow::anyhow!("prices.toml: [cloudwatch_rum] events_per_100k"))?;
        Ok(RumPrice {
            per_event: per_100k / 1e5,
            assumed: t
                .get("assumed")
                .and_then(toml::Value::as_bool)
                .unwrap_or(true),
        })
    }
}

/// Sums the intake's exports per signal.
pub fn intake(pass: &Pass) -> (BTreeMap<String, IntakeSignal>, u64) {
    let mut out: BTreeMap<String, IntakeSignal> = BTreeMap::new();
    let mut refused = 0;
    for e in pass.sessions.iter().flat_map(|s| &s.exports) {
        let s = out.entry(e.signal.clone()).or_default();
        s.requests += 1;
        s.bytes += e.bytes;
        s.items += e.spans + e.logs + e.points;
        if e.status != Some(200) {
            refused += 1;
        }
    }
    (out, refused)
}

/// Distinct traces of a pass: the calls' (the shop's `x-trace-id`) and the browser's spans'.
pub fn distinct_traces(pass: &Pass) -> usize {
    let mut ids = BTreeSet::new();
    for s in &pass.sessions {
        ids.extend(
            s.fetches
                .iter()
                .filter_map(|f| f.trace_id.as_deref())
                .map(norm_trace),
        );
        ids.extend(
            s.exports
                .iter()
                .flat_map(|e| &e.trace_ids)
                .map(|t| norm_trace(t)),
        );
    }
    ids.len()
}

/// The events CloudWatch RUM's web client would record for a pass's page views: each page
/// view, each hard navigation's performance event, each Web Vital reported, each HTTP call
/// (its `http` telemetry), each JS error. Resource timing events (on by default in RUM's
/// `performance` telemetry, sampled) are left out: a lower bound.
pub fn rum_events(pass: &Pass) -> u64 {
    pass.sessions
        .iter()
        .map(|s| {
            let vitals: u64 = s
                .exports
                .iter()
                .filter(|e| e.signal == "metrics")
                .map(|e| e.points)
                .sum();
            let errors: u64 = s
                .exports
                .iter()
                .filter(|e| e.signal == "logs")
                .map(|e| e.logs)
                .sum();
            s.page_views + 1 + vitals + s.fetches.len() as u64 + errors
        })
        .sum()
}

fn wire<'a>(w: &'a [WireCount], sink: &str) -> Option<&'a WireCount> {
    w.iter().find(|c| c.sink == sink)
}

/// Bytes and requests one pass-through saw.
fn raw(w: &[WireCount], sink: &str) -> (u64, u64) {
    wire(w, sink).map_or((0, 0), |c| (c.bytes, c.requests))
}

/// Bytes and requests one pass-through saw, on less off (never below zero).
fn added(on: &[WireCount], off: &[WireCount], sink: &str) -> (f64, f64) {
    let (bon, ron) = raw(on, sink);
    let (boff, roff) = raw(off, sink);
    (
        bon.saturating_sub(boff) as f64,
        ron.saturating_sub(roff) as f64,
    )
}

/// Prices what the telemetry added, per million page views.
pub fn price(
    row: &BrowserRow,
    prices: &crate::cost::Prices,
    rum: &RumPrice,
) -> (Vec<BrowserCostItem>, f64, f64) {
    const MILLION: f64 = 1e6;
    const GB: f64 = 1e9;
    let views = row.page_views.max(1) as f64;
    let per_m = |x: f64| x / views * MILLION;
    let mut items = Vec::new();
    let traces = ((row.traces_per_view_on - row.traces_per_view_off) * MILLION).max(0.0);
    items.push(BrowserCostItem {
        item: "X-Ray traces recorded".into(),
        quantity: traces,
        unit: "traces".into(),
        usd: traces * prices.xray_trace_recorded,
        note: format!(
            "{:.2} distinct traces per page view with the telemetry, {:.2} without (the browser's clicks and page loads; its calls then join them)",
            row.traces_per_view_on, row.traces_per_view_off
        ),
    });
    match row.backend.as_str() {
        "awssdk" => {
            let (log_bytes, _) = added(&row.wire_on, &row.wire_off, "logs");
            let gb = per_m(log_bytes) / GB;
            items.push(BrowserCostItem {
                item: "CloudWatch Logs ingestion and storage".into(),
                quantity: gb,
                unit: "GB".into(),
                usd: gb
                    * (prices.logs_ingestion_gb
                        + prices.logs_archived_share * prices.logs_storage_gb_month),
                note: format!(
                    "PutLogEvents bytes at the pass-through, on less off (the browser's log lines and the request lines of its intake calls): {} B on, {} B off; a difference within the periodic exports' noise reads 0",
                    raw(&row.wire_on, "logs").0,
                    raw(&row.wire_off, "logs").0
                ),
            });
            let (_, metric_calls) = added(&row.wire_on, &row.wire_off, "cloudwatch");
            let calls = per_m(metric_calls);
            items.push(BrowserCostItem {
                item: "PutMetricData requests".into(),
                quantity: calls,
                unit: "requests".into(),
                usd: calls * prices.put_metric_data_request,
                note: format!(
                    "on less off ({} on, {} off): PutMetricData goes out once per interval however many series; the Web Vitals' series are custom metrics billed per month, not per view",
                    raw(&row.wire_on, "cloudwatch").1,
                    raw(&row.wire_off, "cloudwatch").1
                ),
            });
        }
        _ => {
            let path_bytes = |w: &[WireCount], p: &str| {
                wire(w, crate::cost::OTLP_EGRESS)
                    .and_then(|c| c.paths.get(p))
                    .map_or(0, |c| c.bytes)
            };
            let logs = (path_bytes(&row.wire_on, "/v1/logs")
                + path_bytes(&row.wire_on, "/v1/metrics"))
            .saturating_sub(
                path_bytes(&row.wire_off, "/v1/logs") + path_bytes(&row.wire_off, "/v1/metrics"),
            ) as f64;
            let gb = per_m(logs) / GB;
            items.push(BrowserCostItem {
                item: "CloudWatch Logs ingestion and storage (logs and EMF metrics)".into(),
                quantity: gb,
                unit: "GB".into(),
                usd: gb
                    * (prices.logs_ingestion_gb
                        + prices.logs_archived_share * prices.logs_storage_gb_month),
                note: format!(
                    "the collector's log and metric exports at the pass-through, on less off (OTLP protobuf bytes standing in for the log events and EMF lines its AWS exporters would write): {} B on, {} B off; a difference within the periodic exports' noise reads 0",
                    path_bytes(&row.wire_on, "/v1/logs") + path_bytes(&row.wire_on, "/v1/metrics"),
                    path_bytes(&row.wire_off, "/v1/logs") + path_bytes(&row.wire_off, "/v1/metrics")
                ),
            });
        }
    }
    let total = items.iter().map(|i| i.usd).sum();
    let rum_total = row.rum_events_per_view * MILLION * rum.per_event;
    (items, total, rum_total)
}

/// The median of some values, `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| crate::stats::median(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trace: &str, id: &str, parent: &str, service: &str) -> Span {
        Span {
            trace_id: trace.into(),
            id: id.into(),
            parent: parent.into(),
            service: service.into(),
            kind: "server".into(),
            name: "x".into(),
            attributes: BTreeMap::new(),
            failed: false,
            error_flag: false,
            throttle_flag: false,
            namespace: None,
            start: 0.0,
            end: 0.0,
        }
    }

    #[test]
    fn a_header_names_its_trace_and_fetch_span_in_either_format() {
        let w3c = Fetch {
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
            ..Fetch::default()
        };
        assert_eq!(
            w3c.context(),
            Some((
                "0af7651916cd43dd8448eb211c80319c".into(),
                "b7ad6b7169203331".into()
            ))
        );
        let xray = Fetch {
            xray: Some(
                "Root=1-6b115a2e-dd08dc42804b3c7faaee322b;Parent=2c3af47e307e8a6e;Sampled=1".into(),
            ),
            ..Fetch::default()
        };
        assert_eq!(
            xray.context(),
            Some((
                "6b115a2edd08dc42804b3c7faaee322b".into(),
                "2c3af47e307e8a6e".into()
            ))
        );
        assert_eq!(Fetch::default().context(), None);
        assert_eq!(
            crate::readback::xray_trace_id("6b115a2edd08dc42804b3c7faaee322b"),
            "1-6b115a2e-dd08dc42804b3c7faaee322b"
        );
    }

    #[test]
    fn a_call_joins_only_with_the_fetch_span_and_the_shops_span_under_it() {
        let t = "1-6b115a2e-dd08dc42804b3c7faaee322b";
        let f = Fetch {
            method: "GET".into(),
            path: "/api/products/1".into(),
            xray: Some(format!("Root={t};Parent=aaaaaaaaaaaaaaaa;Sampled=1")),
            ..Fetch::default()
        };
        let both = [
            span(t, "aaaaaaaaaaaaaaaa", "cccccccccccccccc", BROWSER),
            span(t, "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", "all"),
        ];
        assert_eq!(score_joins(&[&f], &both), (1, vec![]));
        // The shop's span in another trace, or only the browser's: no join.
        let elsewhere = [
            span(t, "aaaaaaaaaaaaaaaa", "", BROWSER),
            span(
                "1-6b115a2e-000000000000000000000000",
                "b",
                "aaaaaaaaaaaaaaaa",
                "all",
            ),
        ];
        let (joined, misses) = score_joins(&[&f], &elsewhere);
        assert_eq!(joined, 0);
        assert_eq!(
            misses,
            ["GET /api/products/1: no span of the shop under the fetch"]
        );
        // A call without a header is not scored.
        assert_eq!(score_joins(&[&Fetch::default()], &both), (0, vec![]));
    }

    #[test]
    fn the_added_cost_is_on_less_off_and_the_rum_price_is_per_event() {
        let prices = crate::cost::Prices::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prices.toml"),
        )
        .unwrap();
        let rum =
            RumPrice::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prices.toml"))
                .unwrap();
        let tap = |sink: &str, bytes: u64, requests: u64| WireCount {
            sink: sink.into(),
            requests,
            bytes,
            ..WireCount::default()
        };
        let row = BrowserRow {
            backend: "awssdk".into(),
            page_views: 1_000,
            traces_per_view_on: 3.0,
            traces_per_view_off: 2.0,
            wire_on: vec![tap("logs", 3_000_000, 10), tap("cloudwatch", 500, 4)],
            wire_off: vec![tap("logs", 1_000_000, 10), tap("cloudwatch", 400, 4)],
            rum_events_per_view: 6.0,
            ..BrowserRow::default()
        };
        let (items, total, rum_total) = price(&row, &prices, &rum);
        // One more trace per view: a million per million views.
        assert_eq!(items[0].quantity, 1e6);
        // 2 MB more over 1,000 views: 2 GB per million views.
        assert!((items[1].quantity - 2.0).abs() < 1e-9, "{items:?}");
        assert!(
            items[1].note.contains("3000000 B on, 1000000 B off"),
            "{}",
            items[1].note
        );
        assert_eq!(items[2].quantity, 0.0);
        assert!((total - items.iter().map(|i| i.usd).sum::<f64>()).abs() < 1e-12);
        assert!((rum_total - 6e6 * rum.per_event).abs() < 1e-9);
        assert!(rum.assumed, "prices.toml marks RUM's price assumed");
    }

    #[test]
    fn rum_events_count_views_navigations_vitals_calls_and_errors() {
        let pass = Pass {
            telemetry: "on".into(),
            sessions: vec![Session {
                page_views: 3,
                lcp_ms: Some(900.0),
                fetches: vec![Fetch::default(), Fetch::default()],
                exports: vec![
                    Export {
                        signal: "metrics".into(),
                        points: 5,
                        ..Export::default()
                    },
                    Export {
                        signal: "logs".into(),
                        logs: 1,
                        ..Export::default()
                    },
                    Export {
                        signal: "traces".into(),
                        spans: 30,
                        ..Export::default()
                    },
                ],
            }],
        };
        // 3 views + 1 navigation + 5 vitals + 2 calls + 1 error.
        assert_eq!(rum_events(&pass), 12);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
