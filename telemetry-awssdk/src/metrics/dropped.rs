//! `shop.telemetry.dropped` in the awssdk backend: one more datum in the interval's
//! `PutMetricData` call. Why it is a pending count rather than a counter, and what "pending"
//! means: [`telemetry_api::dropped`].
//!
//! The metrics worker ([`super::Worker`]) closes an interval, adds [`point`] with the count
//! [`DropReport::take`] gives, and reports how the call that carried it ended:
//! [`DropReport::delivered`] after a call that succeeded, [`DropReport::failed`] after one that
//! failed with its retries. So the first interval after an outage carries the outage's drops,
//! the metric measurements of the intervals that failed among them. The datum is not a
//! measurement of the shop's: it is neither received, nor sent, nor dropped in the metrics
//! statistics, and an idle process with nothing pending makes no call for it.
//!
//! In EMF mode the line goes to the log shipper, which sends it later: the count is delivered
//! once the line is handed over. If the shipper then drops the line, it counts the line's
//! measurements as dropped (so they are reported next time), but not the drops the line
//! carried.
//!
//! The otel backend does the same with an observable counter and its counting exporter
//! (`telemetry-otel/src/dropped.rs`).

use telemetry_api::Unit;
use telemetry_api::dropped::DropReport;
use telemetry_api::export::SignalCounters;
use telemetry_api::metrics::InstrumentKind;
use telemetry_api::semconv::metrics::SHOP_TELEMETRY_DROPPED;

use super::{Agg, Point, Series};

/// The backend's report, over its three [`SignalCounters`].
pub type Report = DropReport<SignalCounters>;

/// The interval's datum: `pending` drops, with no dimension but the service's.
pub(super) fn point(pending: u64) -> Point {
    Point {
        name: SHOP_TELEMETRY_DROPPED,
        unit: Unit::count("{item}"),
        kind: InstrumentKind::Counter,
        dims: Vec::new(),
        series: Series {
            agg: Agg::Sum(pending),
            measurements: 0,
        },
        carries_drops: true,
    }
}
