//! The report's section on tail sampling against head sampling (see [`crate::tail`]).

use std::fmt::Write as _;

use crate::tail::TailRow;

fn share(kept: u64, of: u64) -> String {
    TailRow::share(kept, of).map_or_else(
        || "n/a (0/0)".to_owned(),
        |p| format!("{p:.0} % ({kept}/{of})"),
    )
}

fn per_million(x: u64, requests: u64) -> String {
    if requests == 0 {
        return "n/a".to_owned();
    }
    let v = x as f64 * 1e6 / requests as f64;
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else {
        format!("{:.0} k", v / 1e3)
    }
}

/// `## Tail sampling against head sampling`, or nothing when the run had no comparison.
pub(crate) fn section(o: &mut String, rows: &[TailRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Tail sampling against head sampling\n");
    let _ = writeln!(
        o,
        "The same open-loop load, with the scenario's injected 5xx (the poisoned product) and \
         an injected slow dependency (the inventory pass-through holds requests naming a slow \
         product for 600 ms). *Head*: the shop samples 5 % of traces when they start and the \
         collector passes them on. *Tail*: the shop exports every span and the collector's \
         `tail_sampling` processor decides per trace, 3 s after its first span: every trace \
         with an error, every trace of 500 ms or more, and 5 % of the rest \
         (collector/pipeline.yaml). A request is a fault when it was answered 5xx, slow when \
         the load generator waited 500 ms or more for it (the ledger, not the backend), and \
         kept when its trace reached the capture receiver behind the collector. Bytes are \
         what left the collector (all signals), counted by a pass-through. The shop's CPU is \
         taken while it serves and flushes; the collector's until its last decision.\n"
    );
    let _ = writeln!(
        o,
        "| strategy | requests | faults kept | slow kept | others kept | traces recorded per M requests | collector egress per M requests | shop CPU (µs/request) | collector CPU (µs/request) | collector peak RSS |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(
            o,
            "| {} (`{}`) | {} | {} | {} | {} | {} | {}B | {:.0} | {:.0} | {:.0} MiB |",
            r.strategy,
            r.config,
            r.requests,
            share(r.faults_kept, r.faults),
            share(r.slow_kept, r.slow),
            share(r.rest_kept, r.rest),
            per_million(r.traces_kept, r.requests),
            per_million(r.egress_bytes, r.requests),
            r.shop_cpu_us_per_request,
            r.collector_cpu_us_per_request,
            r.collector_peak_rss_mib,
        );
    }
    let _ = writeln!(
        o,
        "\nHead sampling keeps faults and slow requests at the head rate, whatever happened to \
         them; tail sampling keeps all of them, and its price is on the shop's side (every span \
         exported) and in the collector (every span held until the decision, and one collector \
         per trace: all of a trace's spans must reach the same one). The X-Ray SDK has no tail \
         sampling: the awssdk build decides at the head only.\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_shares_with_counts_and_0_of_0_as_n_a() {
        let rows = [TailRow {
            strategy: "tail".into(),
            config: "otel-100".into(),
            requests: 1000,
            faults: 20,
            faults_kept: 20,
            slow: 0,
            slow_kept: 0,
            rest: 980,
            rest_kept: 49,
            traces_kept: 69,
            spans_kept: 500,
            egress_bytes: 2_500_000,
            egress_calls: 10,
            collector_cpu_us_per_request: 41.2,
            collector_peak_rss_mib: 80.4,
            shop_cpu_us_per_request: 120.0,
        }];
        let mut o = String::new();
        section(&mut o, &rows);
        assert!(o.contains("| tail (`otel-100`) | 1000 | 100 % (20/20) | n/a (0/0) | 5 % (49/980) | 69 k | 2.50 GB | 120 | 41 | 80 MiB |"), "{o}");
        let mut empty = String::new();
        section(&mut empty, &[]);
        assert!(empty.is_empty());
    }
}
