//! The "fidelity at saturation" table: closed-loop runs at the saturation
//! concurrency with healthy sinks, read back and scored by the same oracle
//! as the nominal runs. Where a backend lost spans, the table names the
//! busiest process of the run (shop service, collector or emulator) with its
//! CPU, as the likely bottleneck.

use std::fmt::Write;

use super::View;
use super::text::{self, md};
use crate::results::{SaturationFidelity, worst};

/// Appends the section, if the results have saturation runs.
pub(crate) fn section(o: &mut String, view: &View) {
    let runs = &view.r.saturation;
    if runs.is_empty() {
        return;
    }
    o.push_str("### Fidelity at saturation\n\n");
    let _ = writeln!(
        o,
        "A closed loop at the saturation concurrency with healthy sinks, read back and scored like the nominal runs. The metrics export interval was shortened for these runs by environment variable (`SHOP_CW_METRICS_INTERVAL_MS`, `OTEL_METRIC_EXPORT_INTERVAL`) so that each spans at least two intervals. *Spans dropped (shop)* is what the backend's counters report; *(ledger)* is the expected spans of the sampled requests minus those read back. Where spans were lost, *bottleneck* is the process (shop service, collector, emulator) with the highest CPU share during the run (1.0 = one core).\n"
    );
    let _ = writeln!(
        o,
        "| config | concurrency | duration | metric interval | requests | req/s | spans expected | arrived | dropped (shop) | dropped (ledger) | fidelity (lowest check) | bottleneck |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for s in runs {
        let score = match worst(&s.checks) {
            Some((score, c)) if score < 1.0 => {
                format!("{} ({})", text::pct(score), md(&c.name))
            }
            Some((score, _)) => text::pct(score),
            None => "n/a".to_owned(),
        };
        let lost = s.spans_missing > 0
            || s.spans_dropped_reported > 0
            || s.logs_missing() > 0
            || s.logs_dropped_reported.unwrap_or(0) > 0;
        let bottleneck = if lost {
            format!(
                "{} at {} cores",
                md(&s.bottleneck),
                text::num(s.bottleneck_cores)
            )
        } else {
            format!(
                "– (nothing lost; busiest {} at {} cores)",
                md(&s.bottleneck),
                text::num(s.bottleneck_cores)
            )
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} s | {} s | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&s.config),
            s.concurrency,
            text::num(s.duration_s),
            text::num(s.metric_interval_s),
            s.requests,
            text::rps(s.throughput_rps),
            s.spans_expected,
            s.spans_arrived,
            s.spans_dropped_reported,
            s.spans_missing,
            score,
            bottleneck
        );
    }
    o.push('\n');
    signals(o, runs);
    for s in runs {
        for c in s.checks.iter().filter(|c| c.passed < c.total) {
            let _ = writeln!(
                o,
                "- {} {}: {}/{}{}",
                md(&s.config),
                md(&c.name),
                c.passed,
                c.total,
                c.failures
                    .first()
                    .map_or(String::new(), |f| format!(" — e.g. {}", md(f)))
            );
        }
    }
    if runs
        .iter()
        .any(|s| s.checks.iter().any(|c| c.passed < c.total))
    {
        o.push('\n');
    }
}

/// Per signal: what the ledger expected and what arrived, what the shop reported dropped, and
/// what the collector lost after accepting it. A loss that neither counted is an unseen one.
fn signals(o: &mut String, runs: &[SaturationFidelity]) {
    let _ = writeln!(
        o,
        "What each signal lost, and who counted it. *Expected* and *arrived* are the ledger's (for logs, one access line per answered request; the shop's other lines are not in the ledger). *Dropped (shop)* is the backend's own counters: its queues and failed exports, which include whatever the collector refused. *Lost in the collector* is the collector's own counters (`otelcol_exporter_send_failed_*` and `otelcol_exporter_enqueue_failed_*`, read before and after the run): accepted, then not delivered. A loss is *counted* when it is at most the drops that the shop and the collector reported.\n"
    );
    let _ = writeln!(
        o,
        "| config | signal | expected | arrived | missing | dropped (shop) | lost in the collector | counted |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for s in runs {
        let collector = |signal: &str| -> (String, u64) {
            match &s.pipeline {
                Some(p) => {
                    let lost = p.get(signal).map_or(0, |c| c.lost);
                    (lost.to_string(), lost)
                }
                None if s.config.starts_with("otel") => ("not recorded".to_owned(), 0),
                None => ("– (no collector)".to_owned(), 0),
            }
        };
        let (spans_collector, spans_lost) = collector("spans");
        let mut row = |signal: &str,
                       expected: Option<u64>,
                       arrived: Option<u64>,
                       dropped: Option<u64>,
                       (collector, lost): (String, u64)| {
            let missing = expected.zip(arrived).map(|(e, a)| e.saturating_sub(a));
            let counted = match (missing, dropped) {
                (Some(0), _) => "✅ nothing missing".to_owned(),
                (Some(m), Some(d)) if m <= d + lost => "✅".to_owned(),
                (Some(m), Some(d)) => format!("❌ {} not counted", m - d - lost),
                (Some(_), None) => "not recorded".to_owned(),
                _ => "–".to_owned(),
            };
            let n = |v: Option<u64>| v.map_or("–".to_owned(), |v| v.to_string());
            let _ = writeln!(
                o,
                "| {} | {signal} | {} | {} | {} | {} | {collector} | {counted} |",
                md(&s.config),
                n(expected),
                n(arrived),
                n(missing),
                n(dropped),
            );
        };
        row(
            "spans",
            Some(s.spans_expected),
            Some(s.spans_arrived),
            Some(s.spans_dropped_reported),
            (spans_collector, spans_lost),
        );
        let (lines_expected, lines_arrived) = s.access_lines();
        row(
            "logs (access lines)",
            lines_expected,
            lines_arrived,
            s.logs_dropped_reported,
            collector("log_records"),
        );
    }
    o.push('\n');
}
