//! The cost model: what a run's counted calls, bytes, traces and metric
//! series would cost on AWS, with the list prices in
//! `experiments/prices.toml` (one file, with its date and sources; change
//! the prices there, never here).
//!
//! Every count comes from the run of the config itself, as it reached the
//! AWS stand-ins through the counting pass-throughs (or was read back from
//! them). Nothing is borrowed from the other backend: an item this lab
//! cannot measure for a build says "not measured" and costs nothing.
//!
//! Two kinds of items:
//! - **per request** (dollars per million shop requests): X-Ray traces
//!   recorded (the config's *nominal* sampling rate × requests, with the
//!   measured share beside it), CloudWatch Logs ingestion of the log events'
//!   bytes, and their storage;
//! - **fixed monthly** (dollars per month, whatever the traffic): custom
//!   metrics (one per series), and everything sent once per metrics export
//!   interval (`PutMetricData` calls, EMF lines, OTLP metric data points).
//!
//! A fixed item costs more per request the fewer requests there are: the
//! totals are shown per million requests at [`RATES`] requests/s.
//!
//! Where the otel build's telemetry goes: its traces are billed as X-Ray
//! traces recorded when they reach the `xray` pass-through (through the
//! collector's X-Ray exporter); its logs and metrics as ingested bytes at the
//! CloudWatch OTLP endpoints, counted at the [`OTLP_EGRESS`] pass-through
//! behind the collector. Where a pass-through saw nothing of a signal, the
//! item is "not measured".

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, anyhow};

use crate::results::{
    Cost, CostItem, PerRequest, RateTotal, SECONDS_PER_MONTH, SignalStats, WireCount,
};

/// Request rates (requests/s) the totals are shown at.
pub const RATES: [f64; 3] = [10.0, 100.0, 1000.0];
/// The rate of [`Cost::total_usd_per_million`] (the one figure the summary quotes).
pub const REFERENCE_RATE: f64 = 100.0;
/// The pass-through in front of X-Ray.
pub const XRAY: &str = "xray";
/// The pass-through behind the collector, in front of the stand-in for
/// CloudWatch's OTLP logs and metrics endpoints (absent in older labs).
pub const OTLP_EGRESS: &str = "otlp-egress";
/// The pass-through between the otel build and the collector.
pub const OTLP: &str = "otlp";

/// The prices the model uses, read from `prices.toml`.
#[derive(Clone, Debug)]
pub struct Prices {
    pub xray_trace_recorded: f64,
    /// X-Ray has no storage meter (0; `prices.toml` says why).
    pub xray_storage_gb_month: f64,
    pub put_metric_data_request: f64,
    pub custom_metric_month: f64,
    pub logs_ingestion_gb: f64,
    /// CloudWatch Logs storage, per GB-month of *archived* (compressed) bytes.
    pub logs_storage_gb_month: f64,
    /// Archived bytes ÷ ingested bytes, as the AWS Pricing Calculator assumes.
    pub logs_archived_share: f64,
    /// X-Ray OTLP endpoint with Transaction Search: spans ingested, per GB.
    pub spans_ingestion_gb: f64,
    /// CloudWatch OTLP metrics endpoint: data points ingested, per GB.
    pub otlp_metrics_ingestion_gb: f64,
    /// "retrieved YYYY-MM-DD from URL, URL, ..."
    pub source: String,
}

fn get(doc: &toml::Value, table: &str, key: &str) -> anyhow::Result<f64> {
    let v = doc
        .get(table)
        .and_then(|t| t.get(key))
        .ok_or_else(|| anyhow!("prices.toml: missing [{table}] {key}"))?;
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .ok_or_else(|| anyhow!("prices.toml: [{table}] {key} is not a number"))
}
impl Prices {
    pub fn load(path: &Path) -> anyhow::Result<Prices> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc: toml::Value =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let retrieved = doc
            .get("meta")
            .and_then(|m| m.get("retrieved"))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(v.to_string()))
            })
            .unwrap_or_else(|| "?".into());
        let region = doc
            .get("meta")
            .and_then(|m| m.get("region"))
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        let mut sources: Vec<String> = Vec::new();
        if let Some(t) = doc.as_table() {
            for v in t.values() {
                if let Some(s) = v.get("source").and_then(|s| s.as_str())
                    && !sources.iter().any(|x| x == s)
                {
                    sources.push(s.to_owned());
                }
            }
        }
        Ok(Prices {
            xray_trace_recorded: get(&doc, "xray", "traces_recorded_per_million")? / 1e6,
            xray_storage_gb_month: get(&doc, "xray", "storage_per_gb_month")?,
            put_metric_data_request: get(
                &doc,
                "cloudwatch_metrics",
                "put_metric_data_per_1000_requests",
            )? / 1e3,
            custom_metric_month: get(&doc, "cloudwatch_metrics", "custom_metric_month_first_10k")?,
            logs_ingestion_gb: get(&doc, "cloudwatch_logs", "ingestion_standard_per_gb")?,
            logs_storage_gb_month: get(&doc, "cloudwatch_logs", "storage_per_gb_month")?,
            logs_archived_share: get(
                &doc,
                "cloudwatch_logs",
                "archived_share_of_ingested_calculator",
            )?,
            spans_ingestion_gb: get(
                &doc,
                "xray_transaction_search",
                "spans_ingested_per_gb_first_10tb",
            )?,
            otlp_metrics_ingestion_gb: get(&doc, "cloudwatch_otel_metrics", "ingestion_per_gb")?,
            source: format!(
                "experiments/prices.toml: {region} list prices retrieved {retrieved} from {}",
                sources.join(", ")
            ),
        })
    }
}

/// What one nominal-load run of a config counted.
#[derive(Clone, Debug)]
pub struct Measured {
    pub config: String,
    pub backend: String,
    /// `api` or `emf` (awssdk), `otlp`.
    pub metrics_mode: String,
    pub requests: u64,
    pub seconds: f64,
    /// The config's nominal share of traces sampled (1.0 = every request).
    pub sampling: f64,
    /// Sampled traces of the ledger that were read back.
    pub traces_arrived: u64,
    /// Distinct metric series (name + dimension set) that arrived.
    pub series: u64,
    /// The backend's own export counters, per signal.
    pub stats: BTreeMap<String, SignalStats>,
    /// What each pass-through saw.
    pub wire: Vec<WireCount>,
    /// Metrics export interval, seconds.
    pub metric_interval_s: f64,
    /// Bytes of the log events' messages read back from CloudWatch Logs
    /// (what it bills: the uncompressed event bytes), awssdk only.
    pub log_event_bytes: Option<u64>,
    /// The same for the EMF lines (awssdk with EMF metrics).
    pub emf_event_bytes: Option<u64>,
}

impl Measured {
    fn wire(&self, sink: &str) -> Option<&WireCount> {
        self.wire.iter().find(|w| w.sink == sink)
    }

    /// Bytes the pass-through `sink` counted for `path`, if it was there.
    fn wire_path_bytes(&self, sink: &str, path: &str) -> Option<u64> {
        self.wire(sink)
            .map(|w| w.paths.get(path).map_or(0, |p| p.bytes))
    }

    /// Whether the backend counted the bytes of its OTLP exports: the
    /// what-if of [`cost_via_otlp_endpoints`] is priced from them. The gRPC
    /// exporter of the otel build reports requests but no bytes, and a what-if
    /// priced from zero bytes would read "$0" (as the full report of
    /// `e16bdfb` did): such a config gets no what-if.
    pub fn counted_otlp_bytes(&self) -> bool {
        self.stats.values().any(|s| s.bytes > 0)
    }

    /// Metrics exports in the run: one per whole interval, plus the flush at the end.
    pub fn exports(&self) -> f64 {
        (self.seconds / self.metric_interval_s).floor() + 1.0
    }
}

const GB: f64 = 1e9;
const MILLION: f64 = 1e6;

/// Builds the items of one config.
struct Items<'a> {
    prices: &'a Prices,
    items: Vec<CostItem>,
}

impl Items<'_> {
    fn push(&mut self, name: &str, quantity: f64, unit: &str, usd: f64, fixed_monthly: bool) {
        self.items.push(CostItem {
            item: name.to_owned(),
            quantity,
            unit: unit.to_owned(),
            usd,
            fixed_monthly,
            measured: None,
            note: None,
        });
    }

    fn note(&mut self, note: impl Into<String>) {
        if let Some(i) = self.items.last_mut() {
            i.note = Some(note.into());
        }
    }

    fn not_measured(&mut self, name: &str, unit: &str, fixed_monthly: bool, why: &str) {
        self.push(name, 0.0, unit, 0.0, fixed_monthly);
        self.note(format!("not measured: {why}"));
    }

    /// Ingestion and storage of `gb` of log events (per million requests, or per month).
    fn logs(&mut self, what: &str, gb: f64, fixed_monthly: bool, how: &str) {
        let p = self.prices;
        let per = if fixed_monthly { "GB/month" } else { "GB" };
        self.push(
            &format!("CloudWatch Logs ingestion: {what}"),
            gb,
            per,
            gb * p.logs_ingestion_gb,
            fixed_monthly,
        );
        self.note(how);
        let archived = gb * p.logs_archived_share;
        self.push(
            &format!("CloudWatch Logs storage: {what}, per month kept"),
            archived,
            per,
            archived * p.logs_storage_gb_month,
            fixed_monthly,
        );
        self.note(format!(
            "archived = {:.0} % of ingested (the AWS Pricing Calculator's assumption)",
            p.logs_archived_share * 100.0
        ));
    }

    /// X-Ray traces recorded at the nominal sampling rate, the measured share beside it.
    fn xray(&mut self, m: &Measured, n: f64) {
        let p = self.prices;
        let nominal = m.sampling * MILLION;
        self.push(
            "X-Ray traces recorded",
            nominal,
            "traces",
            nominal * p.xray_trace_recorded,
            false,
        );
        if let Some(i) = self.items.last_mut() {
            i.measured = Some(m.traces_arrived as f64 / n * MILLION);
        }
        self.note(format!(
            "nominal sampling {} % × requests; measured: the sampled traces read back",
            m.sampling * 100.0
        ));
        let gb = m.wire(XRAY).map_or(0, |w| w.bytes) as f64 / n * MILLION / GB;
        self.push(
            "X-Ray trace storage",
            gb,
            "GB",
            gb * p.xray_storage_gb_month,
            false,
        );
        self.note("no storage charge: traces are kept 30 days, then deleted (prices.toml [xray])");
    }
}

/// The cost of one measured config.
pub fn cost(m: &Measured, prices: &Prices) -> Cost {
    let n = m.requests.max(1) as f64;
    let per_month = SECONDS_PER_MONTH / m.metric_interval_s / m.exports();
    let mut b = Items {
        prices,
        items: Vec::new(),
    };
    let stat = |s: &str| m.stats.get(s).copied().unwrap_or_default();
    match m.backend.as_str() {
        "awssdk" => {
            b.xray(m, n);
            let log_gb = m.log_event_bytes.unwrap_or(0) as f64 / n * MILLION / GB;
            b.logs(
                "log events",
                log_gb,
                false,
                "the event bytes read back from the run's log group",
            );
            match m.metrics_mode.as_str() {
                "emf" => {
                    let gb = m.emf_event_bytes.unwrap_or(0) as f64 * per_month / GB;
                    b.logs(
                        "EMF lines",
                        gb,
                        true,
                        "the EMF event bytes read back; one set of lines per export interval",
                    );
                }
                _ => {
                    let calls = stat("metrics").api_calls as f64 * per_month;
                    b.push(
                        "PutMetricData requests",
                        calls,
                        "requests/month",
                        calls * prices.put_metric_data_request,
                        true,
                    );
                    b.note("the run's calls per export × exports per month");
                }
            }
            let series = m.series as f64;
            b.push(
                "custom metrics (one per series)",
                series,
                "metric-months",
                series * prices.custom_metric_month,
                true,
            );
        }
        _ => {
            if m.wire(XRAY).is_some_and(|w| w.requests > 0) {
                b.xray(m, n);
            } else {
                b.not_measured(
                    "X-Ray traces recorded",
                    "traces",
                    false,
                    "no request reached the `xray` pass-through in this run",
                );
            }
            match m.wire_path_bytes(OTLP_EGRESS, "/v1/logs") {
                Some(bytes) => b.logs(
                    "log records (OTLP endpoint)",
                    bytes as f64 / n * MILLION / GB,
                    false,
                    "OTLP bytes at the `otlp-egress` pass-through, as sent (compressed if the collector compresses: an under-estimate)",
                ),
                None => b.not_measured(
                    "CloudWatch Logs ingestion",
                    "GB",
                    false,
                    "no `otlp-egress` pass-through behind the collector in this lab",
                ),
            }
            match m.wire_path_bytes(OTLP_EGRESS, "/v1/metrics") {
                Some(bytes) => {
                    let gb = bytes as f64 * per_month / GB;
                    b.push(
                        "OTLP metric data points ingested",
                        gb,
                        "GB/month",
                        gb * prices.otlp_metrics_ingestion_gb,
                        true,
                    );
                    b.note("OTLP bytes at the `otlp-egress` pass-through; no per-series charge, storage included");
                }
                None => b.not_measured(
                    "OTLP metric data points ingested",
                    "GB/month",
                    true,
                    "no `otlp-egress` pass-through behind the collector in this lab",
                ),
            }
        }
    }
    finish(
        m.config.clone(),
        m,
        b.items,
        per_signal(m),
        wire_per_request(m),
        prices,
    )
}

fn per_signal(m: &Measured) -> BTreeMap<String, PerRequest> {
    let n = m.requests.max(1) as f64;
    ["spans", "metrics", "logs"]
        .iter()
        .map(|s| {
            let st = m.stats.get(*s).copied().unwrap_or_default();
            (
                (*s).to_owned(),
                PerRequest {
                    api_calls: st.api_calls as f64 / n,
                    bytes: st.bytes as f64 / n,
                },
            )
        })
        .collect()
}

fn wire_per_request(m: &Measured) -> BTreeMap<String, PerRequest> {
    let n = m.requests.max(1) as f64;
    m.wire
        .iter()
        .filter(|w| w.requests > 0)
        .map(|w| per_request_of(w, n))
        .collect()
}

/// A pass-through's calls and bytes per shop request, under its sink's name.
fn per_request_of(w: &WireCount, n: f64) -> (String, PerRequest) {
    (
        w.sink.clone(),
        PerRequest {
            api_calls: w.requests as f64 / n,
            bytes: w.bytes as f64 / n,
        },
    )
}

fn finish(
    config: String,
    m: &Measured,
    items: Vec<CostItem>,
    per_request: BTreeMap<String, PerRequest>,
    wire_per_request: BTreeMap<String, PerRequest>,
    prices: &Prices,
) -> Cost {
    let at = |rate: f64| items.iter().map(|i| i.usd_per_million_at(rate)).sum();
    Cost {
        config,
        requests: m.requests,
        per_request,
        wire_per_request,
        total_usd_per_million: at(REFERENCE_RATE),
        at_rates: RATES
            .iter()
            .map(|&rate_rps| RateTotal {
                rate_rps,
                usd_per_million: at(rate_rps),
            })
            .collect(),
        items,
        prices_source: prices.source.clone(),
    }
}

/// What-if for the otel build: the shop's own OTLP bytes (its export
/// counters, which the `otlp` pass-through in front of the collector
/// confirms) sent straight to AWS's OTLP endpoints (X-Ray OTLP endpoint with
/// Transaction Search, the CloudWatch Logs and metrics OTLP endpoints),
/// billed by ingested bytes. AWS meters its stored form, which may be larger
/// than the protobuf: an under-estimate.
pub fn cost_via_otlp_endpoints(m: &Measured, prices: &Prices) -> Cost {
    let n = m.requests.max(1) as f64;
    let per_month = SECONDS_PER_MONTH / m.metric_interval_s / m.exports();
    let stat = |s: &str| m.stats.get(s).copied().unwrap_or_default();
    let mut b = Items {
        prices,
        items: Vec::new(),
    };
    let spans = stat("spans").bytes as f64 / n * MILLION / GB;
    b.push(
        "spans ingested (Transaction Search; OTLP bytes)",
        spans,
        "GB",
        spans * prices.spans_ingestion_gb,
        false,
    );
    b.note("what-if: the shop's OTLP span bytes, from its export counters");
    b.logs(
        "log records (OTLP endpoint)",
        stat("logs").bytes as f64 / n * MILLION / GB,
        false,
        "what-if: the shop's OTLP log bytes, from its export counters",
    );
    let metric_gb = stat("metrics").bytes as f64 * per_month / GB;
    b.push(
        "OTLP metric data points ingested",
        metric_gb,
        "GB/month",
        metric_gb * prices.otlp_metrics_ingestion_gb,
        true,
    );
    b.note("what-if: the shop's OTLP metric bytes per export × exports per month");
    let wire = m
        .wire(OTLP)
        .filter(|w| w.requests > 0)
        .map(|w| per_request_of(w, n))
        .into_iter()
        .collect();
    finish(
        format!("{} via OTLP endpoints", m.config),
        m,
        b.items,
        per_signal(m),
        wire,
        prices,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::PathCount;

    fn prices() -> Prices {
        Prices {
            xray_trace_recorded: 5.0 / 1e6,
            xray_storage_gb_month: 0.0,
            put_metric_data_request: 0.01 / 1e3,
            custom_metric_month: 0.30,
            logs_ingestion_gb: 0.50,
            logs_storage_gb_month: 0.03,
            logs_archived_share: 0.15,
            spans_ingestion_gb: 0.35,
            otlp_metrics_ingestion_gb: 0.50,
            source: "test".into(),
        }
    }

    fn measured(backend: &str, metrics_mode: &str) -> Measured {
        Measured {
            config: format!("{backend}-x"),
            backend: backend.into(),
            metrics_mode: metrics_mode.into(),
            requests: 1000,
            seconds: 20.0,
            sampling: 1.0,
            traces_arrived: 990,
            series: 50,
            stats: BTreeMap::new(),
            wire: vec![],
            metric_interval_s: 60.0,
            log_event_bytes: None,
            emf_event_bytes: None,
        }
    }

    fn item<'a>(c: &'a Cost, name: &str) -> &'a CostItem {
        c.items
            .iter()
            .find(|i| i.item == name)
            .unwrap_or_else(|| panic!("no item {name} in {:?}", c.items))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    /// A run whose exporter counted no bytes (gRPC) gets no OTLP what-if,
    /// rather than one priced at $0.
    #[test]
    fn no_otlp_what_if_without_counted_bytes() {
        let mut m = measured("otel", "api");
        m.stats.insert(
            "spans".into(),
            SignalStats {
                api_calls: 12,
                ..Default::default()
            },
        );
        assert!(!m.counted_otlp_bytes());
        m.stats.get_mut("spans").unwrap().bytes = 4_096;
        assert!(m.counted_otlp_bytes());
    }

    #[test]
    fn awssdk_per_request_and_fixed_items_by_hand() {
        let mut m = measured("awssdk", "api");
        m.log_event_bytes = Some(1_000_000);
        m.stats.insert(
            "metrics".into(),
            SignalStats {
                api_calls: 3,
                ..Default::default()
            },
        );
        let c = cost(&m, &prices());
        // Nominal sampling 100 %: 1e6 traces per million requests at $5 per
        // million; the 990 of 1000 that arrived are shown beside it.
        let t = item(&c, "X-Ray traces recorded");
        assert_eq!((t.quantity, t.usd, t.fixed_monthly), (1e6, 5.0, false));
        assert!(close(t.measured.unwrap(), 990_000.0));
        // 1 000 event bytes per request → 1 GB per million → $0.50; stored:
        // 15 % of it, 0.15 GB × $0.03.
        assert!(close(
            item(&c, "CloudWatch Logs ingestion: log events").usd,
            0.5
        ));
        let s = item(&c, "CloudWatch Logs storage: log events, per month kept");
        assert!(close(s.quantity, 0.15) && close(s.usd, 0.0045));
        // A 20 s run at a 60 s interval is one export (the flush): 3 calls
        // per export × 43 200 exports a month = 129 600 calls → $1.296 a month.
        let p = item(&c, "PutMetricData requests");
        assert!(p.fixed_monthly && close(p.quantity, 129_600.0) && close(p.usd, 1.296));
        // 50 series × $0.30 = $15 a month.
        let s = item(&c, "custom metrics (one per series)");
        assert!(s.fixed_monthly && close(s.usd, 15.0));
        // Per request $5.5045; fixed $16.296 a month over 25.92 M requests at
        // 10/s, 259.2 M at 100/s, 2 592 M at 1 000/s.
        let at: Vec<(f64, f64)> = c
            .at_rates
            .iter()
            .map(|r| (r.rate_rps, r.usd_per_million))
            .collect();
        assert_eq!(at.len(), 3);
        for ((rate, usd), want) in at.iter().zip([
            5.5045 + 16.296 / 25.92,
            5.5045 + 16.296 / 259.2,
            5.5045 + 16.296 / 2592.0,
        ]) {
            assert!(close(*usd, want), "at {rate}/s: {usd} ≠ {want}");
        }
        assert!(close(c.total_usd_per_million, 5.5045 + 16.296 / 259.2));
    }

    #[test]
    fn emf_is_billed_on_its_event_bytes_once_per_export() {
        let mut m = measured("awssdk", "emf");
        m.emf_event_bytes = Some(20_000);
        // Bytes of PutLogEvents bodies are not what is billed.
        m.stats.insert(
            "metrics".into(),
            SignalStats {
                bytes: 999_999,
                ..Default::default()
            },
        );
        let c = cost(&m, &prices());
        // 20 000 bytes per export × 43 200 exports = 0.864 GB a month → $0.432.
        let e = item(&c, "CloudWatch Logs ingestion: EMF lines");
        assert!(e.fixed_monthly && close(e.quantity, 0.864) && close(e.usd, 0.432));
        assert!(c.items.iter().all(|i| i.item != "PutMetricData requests"));
    }

    #[test]
    fn a_run_of_several_intervals_counts_its_exports() {
        let mut m = measured("awssdk", "api");
        m.seconds = 130.0;
        assert_eq!(m.exports(), 3.0);
        m.stats.insert(
            "metrics".into(),
            SignalStats {
                api_calls: 9,
                ..Default::default()
            },
        );
        // 9 calls over 3 exports = 3 per export, as in the 20 s run.
        assert!(close(
            item(&cost(&m, &prices()), "PutMetricData requests").quantity,
            129_600.0
        ));
    }

    #[test]
    fn otel_without_its_pass_throughs_is_not_measured_and_costs_nothing() {
        let mut m = measured("otel", "otlp");
        m.wire = vec![WireCount {
            sink: OTLP.into(),
            requests: 80,
            bytes: 2_000_000,
            ..Default::default()
        }];
        let c = cost(&m, &prices());
        assert_eq!(c.total_usd_per_million, 0.0);
        assert_eq!(c.items.len(), 3);
        for i in &c.items {
            assert!(
                i.note.as_deref().unwrap().starts_with("not measured"),
                "{i:?}"
            );
        }
    }

    #[test]
    fn otel_items_come_from_the_xray_and_egress_pass_throughs() {
        let mut m = measured("otel", "otlp");
        m.sampling = 0.05;
        m.traces_arrived = 48;
        let path = |bytes| PathCount {
            requests: 1,
            bytes,
            refused: 0,
        };
        m.wire = vec![
            WireCount {
                sink: XRAY.into(),
                requests: 4,
                bytes: 40_000,
                ..Default::default()
            },
            WireCount {
                sink: OTLP_EGRESS.into(),
                requests: 2,
                bytes: 510_000,
                paths: [
                    ("/v1/logs".to_owned(), path(500_000)),
                    ("/v1/metrics".to_owned(), path(10_000)),
                ]
                .into(),
                ..Default::default()
            },
        ];
        let c = cost(&m, &prices());
        // 5 % of a million requests = 50 000 traces → $0.25; 48 measured per 1000.
        let t = item(&c, "X-Ray traces recorded");
        assert!(close(t.usd, 0.25) && close(t.measured.unwrap(), 48_000.0));
        // 500 B of OTLP logs per request → 0.5 GB per million → $0.25.
        let l = item(&c, "CloudWatch Logs ingestion: log records (OTLP endpoint)");
        assert!(close(l.usd, 0.25));
        // 10 000 B per export × 43 200 = 0.432 GB a month → $0.216.
        let x = item(&c, "OTLP metric data points ingested");
        assert!(x.fixed_monthly && close(x.usd, 0.216));
        assert!(c.items.iter().all(|i| {
            i.note
                .as_deref()
                .is_none_or(|n| !n.starts_with("not measured"))
        }));
    }
}
