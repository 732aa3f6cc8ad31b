//! The "fidelity at saturation" table: closed-loop runs at the saturation
//! concurrency with healthy sinks, read back and scored by the same oracle
//! as the nominal runs. Where a backend lost spans, the table names the
//! busiest process of the run (shop service, collector or emulator) with its
//! CPU, as the likely bottleneck.

use std::fmt::Write;

use super::View;
use super::text::{self, md};
use crate::results::worst;

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
        let lost = s.spans_missing > 0 || s.spans_dropped_reported > 0;
        let bottleneck = if lost {
            format!(
                "{} at {} cores",
                md(&s.bottleneck),
                text::num(s.bottleneck_cores)
            )
        } else {
            format!(
                "– (no span lost; busiest {} at {} cores)",
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
