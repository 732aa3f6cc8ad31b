//! `shop.telemetry.dropped` in the otel backend: an observable counter on the shop's meter,
//! whose value the counting metric exporter confirms. Why it is a pending count rather than a
//! plain counter: [`telemetry_api::dropped`].
//!
//! How it reaches the sink depends on the metric temporality
//! (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, [`crate::metrics`]):
//!
//! - **cumulative** (the specification's default; `lowmemory` keeps observable counters
//!   cumulative too): the callback observes every drop so far. A
//!   failed export loses nothing, since the next one carries the total; the collector's `awsemf`
//!   turns totals into per-period deltas.
//! - **delta** (what the lab and `envs/aws` use for CloudWatch): the SDK sends the difference
//!   between this observation and the one before, and forgets it, whether or not the export
//!   arrived. So the callback observes the previous value plus the pending drops
//!   ([`DropReport::take`]), which makes the SDK's difference exactly the pending count, and
//!   [`crate::stats::CountingMetricExporter`] reports how the export ended
//!   ([`DropReport::delivered`] or [`DropReport::failed`]). After an outage, the first export
//!   that arrives carries all of the outage's drops.
//!
//! The periodic reader collects (runs the callback) and then exports, one collection at a
//! time, so each export's outcome belongs to the last observation.
//!
//! The awssdk backend does the same with one more datum in its `PutMetricData` call
//! (`telemetry-awssdk/src/metrics/dropped.rs`).

use std::sync::{Arc, Mutex};

use opentelemetry::metrics::Meter;
use opentelemetry_sdk::metrics::Temporality;
use telemetry_api::dropped::DropReport;
use telemetry_api::semconv::metrics::SHOP_TELEMETRY_DROPPED;

use crate::stats::Tally;

/// The backend's report, over its three tallies.
pub type Report = DropReport<Tally>;

/// Registers `shop.telemetry.dropped` on `meter` (see the module's documentation). The SDK
/// keeps the callback for as long as the meter provider lives.
pub fn register(meter: &Meter, report: Arc<Report>, temporality: Temporality) {
    let observed = Mutex::new(0u64);
    meter
        .u64_observable_counter(SHOP_TELEMETRY_DROPPED)
        .with_unit("{item}")
        .with_description(
            "Spans, log records and metric data points the telemetry backend dropped, \
             each once it can be delivered",
        )
        .with_callback(move |o| {
            let value = match temporality {
                Temporality::Delta => {
                    let mut v = observed.lock().unwrap_or_else(|e| e.into_inner());
                    *v += report.take();
                    *v
                }
                // Cumulative, and low-memory (which keeps observable counters cumulative).
                _ => report.total(),
            };
            o.observe(value, &[]);
        })
        .build();
}
