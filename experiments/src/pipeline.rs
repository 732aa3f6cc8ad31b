//! The collector's own account of each signal: what its OTLP receiver accepted and refused, and
//! what its exporters sent on, failed to send (after their retries) or could not queue.
//!
//! The shop counts what the collector refuses: those exports fail, and the backend reports them
//! dropped. What the collector accepts and then loses is invisible to the shop; only the
//! collector's own counters (its Prometheus endpoint, `service.telemetry` in
//! `collector/pipeline.yaml`) show it. The harness reads them before and after a run, so that a
//! loss downstream of the shop is counted, not just seen as a gap in the read-back. (It was:
//! the capture receiver once refused the collector's larger log batches with a 413, which the
//! collector's exporter treats as permanent, and the report saw 17.8 % of the access lines with
//! no drop reported anywhere.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One signal's counts in the collector, over some span of time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineCount {
    /// Items the OTLP receiver took into the pipeline.
    pub accepted: u64,
    /// Items the receiver refused (e.g. the memory limiter): the shop's export failed, so the
    /// shop counted them dropped.
    pub refused: u64,
    /// Items the exporters sent on, summed over the exporters (a signal with two exporters, as
    /// traces in the lab, counts each item twice).
    pub sent: u64,
    /// Items an exporter gave up on after its retries, or could not queue: accepted, then lost.
    pub lost: u64,
}

/// Per signal (`spans`, `metric_points`, `log_records`: the collector's own words).
pub type PipelineCounts = BTreeMap<String, PipelineCount>;

const SIGNALS: [&str; 3] = ["spans", "metric_points", "log_records"];

/// The counts in the collector's Prometheus text (`GET /metrics` on its telemetry port).
pub fn parse(text: &str) -> anyhow::Result<PipelineCounts> {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))?;
    // A running collector always exposes its process metrics: without any `otelcol_` sample
    // this is not its endpoint, and zeros would read as "nothing lost".
    anyhow::ensure!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric.starts_with("otelcol_")),
        "no otelcol_ metric in the answer: not the collector's telemetry endpoint"
    );
    let mut out: PipelineCounts = SIGNALS
        .iter()
        .map(|s| ((*s).to_owned(), PipelineCount::default()))
        .collect();
    for sample in &scrape.samples {
        let value = match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => continue,
        };
        // The collector's exposition names counters with or without `_total`, by version.
        let name = sample.metric.trim_end_matches("_total");
        for signal in SIGNALS {
            let Some(count) = out.get_mut(signal) else {
                continue;
            };
            let field = match name.strip_suffix(signal) {
                Some("otelcol_receiver_accepted_") => &mut count.accepted,
                Some("otelcol_receiver_refused_") => &mut count.refused,
                Some("otelcol_exporter_sent_") => &mut count.sent,
                Some("otelcol_exporter_send_failed_" | "otelcol_exporter_enqueue_failed_") => {
                    &mut count.lost
                }
                _ => continue,
            };
            *field += value.max(0.0).round() as u64;
        }
    }
    Ok(out)
}

/// What happened between two readings of the same collector (`before`, then `after`); zero
/// where a counter went back (the collector restarted in between).
pub fn since(after: &PipelineCounts, before: &PipelineCounts) -> PipelineCounts {
    after
        .iter()
        .map(|(signal, a)| {
            let b = before.get(signal).copied().unwrap_or_default();
            let d = |a: u64, b: u64| a.saturating_sub(b);
            (
                signal.clone(),
                PipelineCount {
                    accepted: d(a.accepted, b.accepted),
                    refused: d(a.refused, b.refused),
                    sent: d(a.sent, b.sent),
                    lost: d(a.lost, b.lost),
                },
            )
        })
        .collect()
}

/// Reads the collector's counters at `url` (its `/metrics`).
pub async fn scrape(url: &str) -> anyhow::Result<PipelineCounts> {
    use anyhow::Context;
    let text = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("reading the collector's own metrics at {url}"))?
        .text()
        .await?;
    parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As the collector v0.161.0 of the lab exposed it after a 413 from the capture receiver
    /// (trimmed: HELP lines and other metrics removed, one TYPE kept per family).
    const SCRAPE: &str = r#"# TYPE otelcol_exporter_send_failed_log_records counter
otelcol_exporter_send_failed_log_records{exporter="otlphttp/capture",server_address="127.0.0.1",server_port="34319",url_path="/v1/logs"} 8000
# TYPE otelcol_exporter_sent_log_records counter
otelcol_exporter_sent_log_records{exporter="otlphttp/capture",server_address="127.0.0.1",server_port="34319",url_path="/v1/logs"} 0
# TYPE otelcol_exporter_sent_spans counter
otelcol_exporter_sent_spans{exporter="otlphttp/capture"} 120
otelcol_exporter_sent_spans{exporter="otlphttp/xray-leg"} 120
# TYPE otelcol_exporter_enqueue_failed_spans counter
otelcol_exporter_enqueue_failed_spans{exporter="otlphttp/xray-leg"} 3
# TYPE otelcol_receiver_accepted_log_records counter
otelcol_receiver_accepted_log_records{receiver="otlp",transport="http"} 8000
# TYPE otelcol_receiver_accepted_spans_total counter
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="http"} 120
# TYPE otelcol_receiver_refused_spans counter
otelcol_receiver_refused_spans{receiver="otlp",transport="http"} 7
# TYPE otelcol_receiver_refused_log_records counter
otelcol_receiver_refused_log_records{receiver="otlp",transport="http"} 0
"#;

    #[test]
    fn parses_the_collectors_counts_per_signal() {
        let c = parse(SCRAPE).unwrap();
        assert_eq!(
            c["log_records"],
            PipelineCount {
                accepted: 8000,
                refused: 0,
                sent: 0,
                lost: 8000
            }
        );
        assert_eq!(
            c["spans"],
            PipelineCount {
                accepted: 120,
                refused: 7,
                sent: 240,
                lost: 3
            }
        );
        assert_eq!(c["metric_points"], PipelineCount::default());
    }

    #[test]
    fn a_run_is_the_difference_and_a_restart_is_not_negative() {
        let before = parse(SCRAPE).unwrap();
        let mut after = before.clone();
        after.get_mut("log_records").unwrap().lost += 5;
        after.get_mut("spans").unwrap().accepted = 10;
        let d = since(&after, &before);
        assert_eq!(d["log_records"].lost, 5);
        assert_eq!(d["log_records"].accepted, 0);
        assert_eq!(d["spans"].accepted, 0);
    }

    #[test]
    fn an_answer_without_the_collectors_metrics_is_an_error() {
        let e = parse("# TYPE up gauge\nup 1\n").unwrap_err();
        assert!(e.to_string().contains("otelcol_"), "{e}");
    }
}
