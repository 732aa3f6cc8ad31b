//! Tail sampling in the collector against head sampling in the shop.
//!
//! Head sampling decides when a trace starts, before anyone knows how it ends: at 5 %, it
//! keeps 5 % of the failed and slow requests too. Tail sampling (the collector's
//! `tail_sampling` processor, collector/pipeline.yaml) holds every span of a trace for a few
//! seconds and then decides on the whole trace: keep every trace with an error, every trace
//! slower than a threshold, and 5 % of the rest. The shop must then export every span (100 %
//! head sampling), and the collector holds them in memory until the decision.
//!
//! The comparison runs the same open-loop load through both, with the scenario's injected
//! 5xx (the poisoned product, [`crate::scenario::POISON_PRODUCT`]) and an injected slow
//! dependency (the inventory pass-through holds requests naming a slow product for
//! [`crate::scenario::SLOW_DELAY`]). The ground truth is the generator's ledger: a request is
//! a *fault* when it was answered 5xx, *slow* when the generator waited at least the threshold
//! for it. A request is *kept* when its trace reached the capture receiver behind the
//! collector. The cost side is what left the collector (bytes through a counting
//! pass-through), the traces that AWS would bill as recorded, and the collector's CPU and
//! memory.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::load::Entry;
use crate::readback::Span;

/// The latency threshold of the tail policy (collector/pipeline.yaml's default), in µs: the
/// ledger calls a request slow at or above it.
pub const SLOW_THRESHOLD_US: u64 = 500_000;

/// One strategy's outcome.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TailRow {
    /// e.g. `head 5 %`, `tail: errors + ≥ 500 ms + 5 %`.
    pub strategy: String,
    /// The telemetry config the shop ran with.
    pub config: String,
    pub requests: u64,
    pub faults: u64,
    pub faults_kept: u64,
    pub slow: u64,
    pub slow_kept: u64,
    /// Neither fault nor slow.
    pub rest: u64,
    pub rest_kept: u64,
    /// Distinct traces that arrived (what X-Ray bills as traces recorded).
    pub traces_kept: u64,
    /// Spans that arrived.
    pub spans_kept: u64,
    /// Bytes and calls the collector sent on (all signals), through the counting pass-through.
    pub egress_bytes: u64,
    pub egress_calls: u64,
    /// The collector's CPU during the run (µs per request) and its peak RSS (MiB).
    pub collector_cpu_us_per_request: f64,
    pub collector_peak_rss_mib: f64,
    /// The shop's CPU during the run (µs per request): 100 % export is the tail's price there.
    pub shop_cpu_us_per_request: f64,
}

impl TailRow {
    /// `kept / of` as a percentage, `None` for 0/0.
    pub fn share(kept: u64, of: u64) -> Option<f64> {
        (of > 0).then(|| kept as f64 * 100.0 / of as f64)
    }
}

/// What kind of request an entry was, by the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Fault,
    Slow,
    Rest,
}

/// Faults first: a slow request that also failed counts as a fault (either policy keeps it).
pub fn kind(e: &Entry) -> Kind {
    if e.status >= 500 || e.status == 0 {
        Kind::Fault
    } else if e.latency_us >= SLOW_THRESHOLD_US {
        Kind::Slow
    } else {
        Kind::Rest
    }
}

/// Scores the measured requests of a run against the spans that arrived. A request without
/// a trace id the generator sent cannot be followed and is left out.
pub fn score(strategy: &str, config: &str, entries: &[Entry], spans: &[Span]) -> TailRow {
    let arrived: BTreeSet<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
    let mut row = TailRow {
        strategy: strategy.to_owned(),
        config: config.to_owned(),
        traces_kept: arrived.len() as u64,
        spans_kept: spans.len() as u64,
        ..TailRow::default()
    };
    for e in entries {
        let Some(sent) = &e.sent else { continue };
        let kept = u64::from(arrived.contains(sent.trace_id.as_str()));
        row.requests += 1;
        let (n, k) = match kind(e) {
            Kind::Fault => (&mut row.faults, &mut row.faults_kept),
            Kind::Slow => (&mut row.slow, &mut row.slow_kept),
            Kind::Rest => (&mut row.rest, &mut row.rest_kept),
        };
        *n += 1;
        *k += kept;
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::SentContext;
    use crate::scenario::Step;

    fn entry(trace: &str, status: u16, latency_ms: u64) -> Entry {
        Entry {
            session: 0,
            step: Step::CreateCart,
            status,
            latency_us: latency_ms * 1000,
            request_id: format!("r-{trace}"),
            trace_id: None,
            sent: Some(SentContext {
                trace_id: trace.to_owned(),
                parent_id: "0".repeat(16),
                sampled: true,
            }),
            total_cents: None,
            measured: true,
            signed_in: false,
        }
    }

    fn span(trace: &str) -> Span {
        Span {
            trace_id: trace.to_owned(),
            ..Span::default()
        }
    }

    #[test]
    fn requests_are_sorted_by_the_ledger_and_kept_by_their_trace() {
        let entries = [
            entry("a", 503, 3),   // fault, kept
            entry("b", 503, 3),   // fault, lost
            entry("c", 201, 650), // slow, kept
            entry("d", 0, 900),   // transport error: a fault, lost
            entry("e", 200, 2),   // rest, kept
            entry("f", 404, 1),   // rest (a 4xx is the client's), lost
        ];
        let spans = [span("a"), span("a"), span("c"), span("e"), span("zz")];
        let row = score("tail", "otel-100", &entries, &spans);
        assert_eq!((row.requests, row.faults, row.faults_kept), (6, 3, 1));
        assert_eq!((row.slow, row.slow_kept), (1, 1));
        assert_eq!((row.rest, row.rest_kept), (2, 1));
        // Every trace that arrived is billed, the stray one too; spans are counted as they came.
        assert_eq!((row.traces_kept, row.spans_kept), (4, 5));
    }

    #[test]
    fn a_request_without_a_sent_context_is_left_out_and_0_of_0_has_no_share() {
        let mut e = entry("a", 200, 1);
        e.sent = None;
        let row = score("head", "otel-5", &[e], &[]);
        assert_eq!(row.requests, 0);
        assert_eq!(TailRow::share(row.faults_kept, row.faults), None);
        assert_eq!(TailRow::share(1, 4), Some(25.0));
    }
}

#[cfg(test)]
mod scenario_tests {
    use crate::scenario::{Scenario, Step, is_slow_product};

    /// The comparison needs slow requests: the seeded mix adds slow products to carts.
    #[test]
    fn the_mix_meets_slow_products() {
        let mut s = Scenario::new(42);
        let (mut adds, mut slow) = (0, 0);
        for _ in 0..80 {
            for step in s.next_session().steps {
                if let Step::AddItem { product, .. } = step {
                    adds += 1;
                    slow += usize::from(is_slow_product(product));
                }
            }
        }
        assert!(adds > 20, "{adds} additions, {slow} slow");
        assert!(
            slow * 20 > adds,
            "{slow} of {adds} additions name a slow product"
        );
    }
}
