//! The cost model: what the counted API calls, bytes, traces and metric
//! series of a run would cost on AWS, per million shop requests, with the
//! list prices in `experiments/prices.toml` (one file, with its date and
//! sources; change the prices there, never here).
//!
//! What AWS bills, and which of our counts it multiplies:
//! - X-Ray: traces *recorded* (a sampled request is one trace, whatever
//!   the number of segments or `PutTraceSegments` calls);
//! - CloudWatch Logs: bytes ingested (the log events as sent);
//! - CloudWatch metrics: `PutMetricData` requests, and custom metrics
//!   (one per metric name and dimension set) per month;
//! - EMF: log ingestion of the EMF lines, plus the custom metrics they create.
//!
//! Request-independent items (custom metrics per month, one metrics export
//! per interval) are spread over the requests of a month at the run's
//! request rate: the table says "at N requests/s".
//!
//! The otel build's telemetry ends at the collector in this lab (rotel →
//! capture receiver): AWS bills the collector's exporters, not the shop.
//! Its transport-independent items (traces recorded, metric series) are
//! its own counts; its log and metric *ingestion bytes* are estimated from
//! the awssdk build's measured JSON/EMF bytes for the same load, and the
//! item says so.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, anyhow};

use crate::results::{Cost, CostItem, PerRequest, SignalStats, WireCount};

const SECONDS_PER_MONTH: f64 = 30.0 * 24.0 * 3600.0;

/// The prices the model uses, read from `prices.toml`.
#[derive(Clone, Debug)]
pub struct Prices {
    pub xray_trace_recorded: f64,
    pub put_metric_data_request: f64,
    pub custom_metric_month: f64,
    pub logs_ingestion_gb: f64,
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
            put_metric_data_request: get(
                &doc,
                "cloudwatch_metrics",
                "put_metric_data_per_1000_requests",
            )? / 1e3,
            custom_metric_month: get(&doc, "cloudwatch_metrics", "custom_metric_month_first_10k")?,
            logs_ingestion_gb: get(&doc, "cloudwatch_logs", "ingestion_standard_per_gb")?,
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
    /// Traces the sampler kept (sampled requests).
    pub traces: u64,
    /// Distinct metric series (name + dimension set) that arrived.
    pub series: u64,
    pub stats: BTreeMap<String, SignalStats>,
    pub wire: Vec<WireCount>,
    /// Metrics export interval, seconds (one export in a run shorter than it).
    pub metric_interval_s: f64,
    /// Bytes of the log events' messages that arrived (what CloudWatch Logs
    /// bills: uncompressed event bytes), when the sink is CloudWatch Logs.
    pub log_event_bytes: Option<u64>,
}

fn per_request(n: u64, s: &SignalStats) -> PerRequest {
    PerRequest {
        api_calls: s.api_calls as f64 / n.max(1) as f64,
        bytes: s.bytes as f64 / n.max(1) as f64,
    }
}

fn item(items: &mut Vec<CostItem>, name: &str, quantity: f64, unit: &str, usd: f64) {
    items.push(CostItem {
        item: name.to_owned(),
        quantity,
        unit: unit.to_owned(),
        usd,
    });
}

/// Bytes per request of a signal as measured for another config (the otel estimates).
pub type Reference = BTreeMap<String, f64>;

/// Dollars per million requests of one measured config. `reference`: log
/// and EMF bytes per request measured on the awssdk builds (keys `logs`,
/// `emf`), for the otel estimates.
pub fn cost(m: &Measured, prices: &Prices, reference: &Reference) -> Cost {
    let n = m.requests.max(1) as f64;
    let million = 1e6;
    let rate = n / m.seconds.max(1e-9);
    let requests_per_month = rate * SECONDS_PER_MONTH;
    let mut items = Vec::new();
    let stat = |s: &str| m.stats.get(s).copied().unwrap_or_default();

    // Traces recorded.
    let traces = m.traces as f64 / n * million;
    item(
        &mut items,
        "X-Ray traces recorded",
        traces,
        "traces",
        traces * prices.xray_trace_recorded,
    );

    // Logs ingested.
    let log_bytes = if let Some(b) = m.log_event_bytes {
        Some((b as f64 / n, "log ingestion (event bytes)"))
    } else {
        reference.get("logs").map(|b| {
            (
                *b,
                "log ingestion (estimated: awssdk JSON bytes for the same load)",
            )
        })
    };
    if let Some((b, label)) = log_bytes {
        let gb = b * million / 1e9;
        item(&mut items, label, gb, "GB", gb * prices.logs_ingestion_gb);
    }

    // Metrics: one export per interval; series billed per month.
    let exports_per_month = SECONDS_PER_MONTH / m.metric_interval_s;
    let per_million = |per_month: f64| per_month / requests_per_month * million;
    match m.metrics_mode.as_str() {
        "api" => {
            // A run shorter than the interval makes exactly one export: its calls are one interval's.
            let calls = per_million(stat("metrics").api_calls as f64 * exports_per_month);
            item(
                &mut items,
                "PutMetricData requests",
                calls,
                "requests",
                calls * prices.put_metric_data_request,
            );
        }
        "emf" => {
            let gb = stat("metrics").bytes as f64 / n * million / 1e9;
            item(
                &mut items,
                "EMF log ingestion",
                gb,
                "GB",
                gb * prices.logs_ingestion_gb,
            );
        }
        _ => {
            if let Some(b) = reference.get("emf") {
                let gb = b * million / 1e9;
                item(
                    &mut items,
                    "EMF log ingestion (estimated: awssdk EMF bytes; collector's awsemf exporter)",
                    gb,
                    "GB",
                    gb * prices.logs_ingestion_gb,
                );
            }
        }
    }
    let metric_months = per_million(m.series as f64);
    item(
        &mut items,
        "custom metrics (series × month, spread over the month's requests)",
        metric_months,
        "metric-months",
        metric_months * prices.custom_metric_month,
    );

    let mut per_req = BTreeMap::new();
    for s in ["spans", "metrics", "logs"] {
        per_req.insert(s.to_owned(), per_request(m.requests, &stat(s)));
    }
    let wire_per_request = m
        .wire
        .iter()
        .filter(|w| w.requests > 0)
        .map(|w| {
            (
                w.sink.clone(),
                PerRequest {
                    api_calls: w.requests as f64 / n,
                    bytes: w.bytes as f64 / n,
                },
            )
        })
        .collect();
    finish(
        m.config.clone(),
        m,
        items,
        per_req,
        wire_per_request,
        prices,
        rate,
    )
}

fn finish(
    config: String,
    m: &Measured,
    items: Vec<CostItem>,
    per_request: BTreeMap<String, PerRequest>,
    wire_per_request: BTreeMap<String, PerRequest>,
    prices: &Prices,
    rate: f64,
) -> Cost {
    let total = items.iter().map(|i| i.usd).sum();
    Cost {
        config,
        requests: m.requests,
        per_request,
        wire_per_request,
        items,
        total_usd_per_million: total,
        prices_source: format!("{} (at {rate:.0} requests/s)", prices.source),
    }
}

/// The otel build shipping straight to AWS's OTLP endpoints (X-Ray OTLP
/// endpoint with Transaction Search, the CloudWatch Logs and metrics OTLP
/// endpoints) instead of through X-Ray/EMF exporters: billed by ingested
/// bytes. The measured OTLP protobuf bytes stand in for the ingested size
/// (AWS meters its stored form, which may be larger: an under-estimate).
pub fn cost_via_otlp_endpoints(m: &Measured, prices: &Prices) -> Cost {
    let n = m.requests.max(1) as f64;
    let rate = n / m.seconds.max(1e-9);
    let requests_per_month = rate * SECONDS_PER_MONTH;
    let stat = |s: &str| m.stats.get(s).copied().unwrap_or_default();
    let gb = |bytes: f64| bytes / n * 1e6 / 1e9;
    let mut items = Vec::new();
    let spans = gb(stat("spans").bytes as f64);
    item(
        &mut items,
        "spans ingested (Transaction Search; OTLP bytes)",
        spans,
        "GB",
        spans * prices.spans_ingestion_gb,
    );
    let logs = gb(stat("logs").bytes as f64);
    item(
        &mut items,
        "logs ingested (OTLP bytes)",
        logs,
        "GB",
        logs * prices.logs_ingestion_gb,
    );
    // One metrics export per interval: spread its bytes over the interval's requests.
    let exports_per_month = SECONDS_PER_MONTH / m.metric_interval_s;
    let metric_gb =
        stat("metrics").bytes as f64 * exports_per_month / requests_per_month * 1e6 / 1e9;
    item(
        &mut items,
        "metric data points ingested (OTLP bytes)",
        metric_gb,
        "GB",
        metric_gb * prices.otlp_metrics_ingestion_gb,
    );
    finish(
        format!("{} via OTLP endpoints", m.config),
        m,
        items,
        BTreeMap::new(),
        BTreeMap::new(),
        prices,
        rate,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices() -> Prices {
        Prices {
            xray_trace_recorded: 5.0 / 1e6,
            put_metric_data_request: 0.01 / 1e3,
            custom_metric_month: 0.30,
            logs_ingestion_gb: 0.50,
            spans_ingestion_gb: 0.35,
            otlp_metrics_ingestion_gb: 0.50,
            source: "test".into(),
        }
    }

    #[test]
    fn every_sampled_request_is_a_billed_trace() {
        let mut stats = BTreeMap::new();
        stats.insert(
            "logs".to_owned(),
            SignalStats {
                bytes: 1_000_000,
                ..Default::default()
            },
        );
        stats.insert(
            "metrics".to_owned(),
            SignalStats {
                api_calls: 2,
                ..Default::default()
            },
        );
        let m = Measured {
            config: "awssdk-100".into(),
            backend: "awssdk".into(),
            metrics_mode: "api".into(),
            requests: 1000,
            seconds: 10.0,
            traces: 1000,
            series: 0,
            stats,
            wire: vec![],
            metric_interval_s: 60.0,
            log_event_bytes: Some(1_000_000),
        };
        let c = cost(&m, &prices(), &Reference::new());
        // 1e6 traces per million requests at $5 per million.
        assert_eq!(c.items[0].usd, 5.0);
        // 1 KB of log events per request → 1 GB per million → $0.50.
        assert!((c.items[1].usd - 0.5).abs() < 1e-12);
        // 2 calls a minute at 100 requests/s = 2 / 6000 requests → 333.3 per million.
        assert!((c.items[2].quantity - 2.0 * 1e6 / 6000.0).abs() < 1e-6);
    }
}
