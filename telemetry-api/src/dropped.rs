//! `shop.telemetry.dropped`: the telemetry a backend lost, as a metric an alarm can watch
//! (O-ALERT-02's "telemetry drops", docs/dashboards.md).
//!
//! Both backends count every span, log record and metric measurement they drop
//! ([`crate::ExportStats`]). A count only the shop can see is not an alarm, so each backend
//! also sends it as a metric. The catch: that metric travels through the metrics pipeline
//! whose failures it counts. As a plain counter, the data point of an outage would be lost
//! with the outage, and the drops an alarm exists for are exactly those.
//!
//! So the report keeps a *delivered mark* ([`DropReport`]). Each export carries what is
//! pending: every signal's drops so far, less what earlier exports delivered. Only an export
//! that succeeded moves the mark. While the sink is down nothing arrives (no channel does);
//! the first export after it is back carries all of the outage's drops, and the alarm fires
//! then. A failed report is not itself a drop: the next export sends it again.
//!
//! This is the contract's part, the same for both backends. Where the pending count goes in
//! an export, and how a backend learns that the export succeeded, is each backend's
//! `dropped.rs`.

use std::sync::Mutex;

use crate::export::{PerSignal, SignalSource};

/// The drops not yet delivered as `shop.telemetry.dropped`, and the mark of those that were.
/// One per backend, shared by its metrics exporter (see the module's documentation).
pub struct DropReport<S> {
    sources: PerSignal<S>,
    marks: Mutex<Marks>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Marks {
    /// Drops carried by exports that succeeded.
    delivered: u64,
    /// Drops carried by the export now under way, not yet known to have arrived.
    in_flight: u64,
}

impl<S: SignalSource> DropReport<S> {
    /// A report over the three signals' statistics.
    pub fn new(sources: PerSignal<S>) -> DropReport<S> {
        DropReport {
            sources,
            marks: Mutex::new(Marks::default()),
        }
    }

    /// Every item dropped so far, over the three signals.
    pub fn total(&self) -> u64 {
        let s = self.sources.snapshot();
        s.spans.dropped + s.metrics.dropped + s.logs.dropped
    }

    /// The count an export about to start carries: the drops not yet delivered. Call
    /// [`DropReport::delivered`] or [`DropReport::failed`] when it ends.
    pub fn take(&self) -> u64 {
        let total = self.total();
        let mut m = self.marks.lock().unwrap_or_else(|e| e.into_inner());
        m.in_flight = total.saturating_sub(m.delivered);
        m.in_flight
    }

    /// The export that carried the last [`DropReport::take`] arrived: its count is delivered.
    pub fn delivered(&self) {
        let mut m = self.marks.lock().unwrap_or_else(|e| e.into_inner());
        m.delivered += std::mem::take(&mut m.in_flight);
    }

    /// The export failed: the next [`DropReport::take`] carries its count again.
    pub fn failed(&self) {
        self.marks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .in_flight = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::export::SignalCounters;

    fn delivered<S>(report: &DropReport<S>) -> u64 {
        report.marks.lock().unwrap().delivered
    }

    fn report() -> (DropReport<SignalCounters>, PerSignal<SignalCounters>) {
        let sources = PerSignal {
            spans: Arc::new(SignalCounters::default()),
            metrics: Arc::new(SignalCounters::default()),
            logs: Arc::new(SignalCounters::default()),
        };
        let shared = PerSignal {
            spans: sources.spans.clone(),
            metrics: sources.metrics.clone(),
            logs: sources.logs.clone(),
        };
        (DropReport::new(sources), shared)
    }

    #[test]
    fn an_outages_drops_arrive_with_the_first_export_that_succeeds() {
        let (report, counters) = report();
        assert_eq!(report.take(), 0, "nothing dropped yet");
        report.delivered();

        // The outage: spans and logs are dropped, and so are the exports that would report them.
        SignalCounters::add(&counters.spans.dropped, 40);
        SignalCounters::add(&counters.logs.dropped, 7);
        assert_eq!(report.take(), 47);
        report.failed();
        SignalCounters::add(&counters.metrics.dropped, 3);
        assert_eq!(
            report.take(),
            50,
            "the failed report's count is carried again"
        );
        report.failed();

        // The sink is back: one export carries the whole outage, and then nothing is pending.
        assert_eq!(report.take(), 50);
        report.delivered();
        assert_eq!(delivered(&report), 50);
        assert_eq!(report.take(), 0);
        report.delivered();
        SignalCounters::add(&counters.spans.dropped, 2);
        assert_eq!(report.take(), 2, "only new drops after that");
    }

    #[test]
    fn drops_that_happen_while_an_export_is_under_way_wait_for_the_next_one() {
        let (report, counters) = report();
        SignalCounters::add(&counters.spans.dropped, 5);
        assert_eq!(report.take(), 5);
        SignalCounters::add(&counters.spans.dropped, 1); // during the export
        report.delivered();
        assert_eq!(delivered(&report), 5);
        assert_eq!(report.take(), 1);
    }
}
