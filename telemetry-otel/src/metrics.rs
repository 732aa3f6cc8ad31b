//! Metrics: the contract's instruments as OpenTelemetry instruments of an
//! `SdkMeterProvider`, collected by a `PeriodicReader` and pushed with the
//! OTLP metric exporter.
//!
//! | contract | OpenTelemetry instrument | OTLP data |
//! |---|---|---|
//! | counter (`u64`) | `Counter<u64>` | monotonic `Sum` |
//! | histogram (`f64`, advisory boundaries) | `Histogram<f64>` with those explicit bucket boundaries | `Histogram` |
//! | gauge (`f64`) | synchronous `Gauge<f64>` | `Gauge` |
//!
//! The SDK aggregates in memory per attribute set (so memory is bounded by
//! the attribute sets' cardinality, capped by the SDK's cardinality limit),
//! and every `OTEL_METRIC_EXPORT_INTERVAL` (default 60 s) the reader exports
//! one data point per time series, plus at flush and shutdown.
//!
//! **Temporality.** `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` picks
//! it; the default is the specification's `cumulative` (each point is the
//! total since start: a lost export loses nothing, the next one carries the
//! total). For CloudWatch through ADOT use `delta`: CloudWatch stores each
//! datum as the statistic of one period, and the collector's `awsemf`
//! exporter handles cumulative input only partly. Cumulative *sums* it turns
//! into deltas with a per-series calculator that remembers the previous
//! value, drops the first point of every series (unless
//! `retain_initial_value_of_delta_metric` is set) and forgets everything when
//! the collector restarts; cumulative *histograms* it does not convert at
//! all, so CloudWatch would receive running totals (count and sum since the
//! process started) as if they were one period's statistics. (Read in the
//! `awsemfexporter` vendored by ADOT v0.49.0, `datapoint.go`: `getDataPoints`
//! sets `adjustToDelta` for cumulative sums only; the histogram
//! `CalculateDeltaDatapoints` passes count/sum/min/max through.) With delta
//! points every export maps to one EMF datum as it is.
//! (The `awssdk` backend aggregates per flush interval into `PutMetricData`,
//! which is delta by construction.)

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use smallvec::SmallVec;
use telemetry_api::KeyValue;
use telemetry_api::metrics::{
    CounterSink, GaugeSink, HistogramSink, InstrumentDescriptor, MeterProvider,
};

use crate::traces::convert;

/// The contract's [`MeterProvider`] over an SDK meter.
pub struct OtelMeterProvider {
    meter: Meter,
}

impl OtelMeterProvider {
    /// Instruments of one meter (instrumentation scope `shop`).
    pub fn new(provider: &SdkMeterProvider) -> OtelMeterProvider {
        OtelMeterProvider {
            meter: provider.meter("shop"),
        }
    }
}

struct Counter(opentelemetry::metrics::Counter<u64>);
struct Histogram(opentelemetry::metrics::Histogram<f64>);
struct Gauge(opentelemetry::metrics::Gauge<f64>);

impl CounterSink for Counter {
    fn add(&self, value: u64, attributes: &[KeyValue]) {
        self.0.add(value, &on_stack(attributes));
    }
}

impl HistogramSink for Histogram {
    fn record(&self, value: f64, attributes: &[KeyValue]) {
        self.0.record(value, &on_stack(attributes));
    }
}

impl GaugeSink for Gauge {
    fn set(&self, value: f64, attributes: &[KeyValue]) {
        self.0.record(value, &on_stack(attributes));
    }
}

/// A measurement's attributes as the SDK takes them (a slice), converted
/// into an array on the stack: the shop's instruments have at most a few,
/// and a `Vec` per measurement was a heap allocation on every request's
/// several counters and histograms.
fn on_stack(attributes: &[KeyValue]) -> SmallVec<[opentelemetry::KeyValue; 4]> {
    attributes.iter().map(convert::key_value).collect()
}

fn text(s: &'static str) -> Cow<'static, str> {
    Cow::Borrowed(s)
}

impl MeterProvider for OtelMeterProvider {
    fn counter(&self, d: InstrumentDescriptor) -> Arc<dyn CounterSink> {
        Arc::new(Counter(
            self.meter
                .u64_counter(d.name)
                .with_unit(text(d.unit.0))
                .with_description(text(d.description))
                .build(),
        ))
    }

    fn histogram(&self, d: InstrumentDescriptor) -> Arc<dyn HistogramSink> {
        let mut b = self
            .meter
            .f64_histogram(d.name)
            .with_unit(text(d.unit.0))
            .with_description(text(d.description));
        if let Some(boundaries) = d.boundaries {
            b = b.with_boundaries(boundaries.to_vec());
        }
        Arc::new(Histogram(b.build()))
    }

    fn gauge(&self, d: InstrumentDescriptor) -> Arc<dyn GaugeSink> {
        Arc::new(Gauge(
            self.meter
                .f64_gauge(d.name)
                .with_unit(text(d.unit.0))
                .with_description(text(d.description))
                .build(),
        ))
    }
}
