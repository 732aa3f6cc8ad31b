//! Metrics: counters, histograms and gauges with dimensions.
//!
//! The shop creates its instruments once at start-up from a [`Meter`] and
//! records into them on the request path. A backend implements
//! [`MeterProvider`] and decides how to aggregate and ship: the `awssdk`
//! backend aggregates per flush interval into `PutMetricData` (or EMF log
//! lines); the `otel` backend hands measurements to OpenTelemetry instruments.
//!
//! Recording must be cheap and must never block or fail: an instrument call
//! is one dynamic dispatch plus whatever the backend's aggregation costs.

use std::sync::Arc;

use crate::value::KeyValue;

/// A unit in UCUM notation as OpenTelemetry uses it: `s`, `ms`, `By`, `1`, or
/// an annotation such as `{request}` (a count of requests). Backends map it
/// to their own (CloudWatch: `Seconds`, `Milliseconds`, `Bytes`, `Count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Unit(pub &'static str);

impl Unit {
    pub const SECONDS: Unit = Unit("s");
    pub const MILLISECONDS: Unit = Unit("ms");
    pub const BYTES: Unit = Unit("By");
    pub const DIMENSIONLESS: Unit = Unit("1");

    /// A count of things, e.g. `Unit::count("{request}")`.
    pub const fn count(annotation: &'static str) -> Unit {
        Unit(annotation)
    }

    /// True for dimensionless units and `{annotation}` counts.
    pub fn is_count(self) -> bool {
        self.0 == "1" || (self.0.starts_with('{') && self.0.ends_with('}'))
    }
}

/// What kind of instrument a descriptor describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstrumentKind {
    /// Monotonic sum (requests, revenue).
    Counter,
    /// Distribution (latency).
    Histogram,
    /// Last value (pool size).
    Gauge,
}

/// Name, unit and documentation of an instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct InstrumentDescriptor {
    pub name: &'static str,
    pub description: &'static str,
    pub unit: Unit,
    pub kind: InstrumentKind,
    /// Advisory explicit bucket boundaries for histograms (backends that
    /// bucket may use them; others ignore them).
    pub boundaries: Option<&'static [f64]>,
}

/// Receives counter increments.
pub trait CounterSink: Send + Sync {
    fn add(&self, value: u64, attributes: &[KeyValue]);
}

/// Receives histogram samples.
pub trait HistogramSink: Send + Sync {
    fn record(&self, value: f64, attributes: &[KeyValue]);
}

/// Receives gauge observations (the last value per dimension set wins).
pub trait GaugeSink: Send + Sync {
    fn set(&self, value: f64, attributes: &[KeyValue]);
}

/// A backend's instrument factory.
pub trait MeterProvider: Send + Sync + 'static {
    fn counter(&self, descriptor: InstrumentDescriptor) -> Arc<dyn CounterSink>;
    fn histogram(&self, descriptor: InstrumentDescriptor) -> Arc<dyn HistogramSink>;
    fn gauge(&self, descriptor: InstrumentDescriptor) -> Arc<dyn GaugeSink>;
}

/// Creates instruments. Cheap to clone.
#[derive(Clone)]
pub struct Meter {
    provider: Arc<dyn MeterProvider>,
}

impl Meter {
    pub fn new(provider: Arc<dyn MeterProvider>) -> Meter {
        Meter { provider }
    }

    /// A monotonic counter of integers.
    pub fn counter(&self, name: &'static str, unit: Unit, description: &'static str) -> Counter {
        Counter(self.provider.counter(InstrumentDescriptor {
            name,
            description,
            unit,
            kind: InstrumentKind::Counter,
            boundaries: None,
        }))
    }

    /// A histogram of floating-point samples, with advisory bucket boundaries.
    pub fn histogram(
        &self,
        name: &'static str,
        unit: Unit,
        description: &'static str,
        boundaries: Option<&'static [f64]>,
    ) -> Histogram {
        Histogram(self.provider.histogram(InstrumentDescriptor {
            name,
            description,
            unit,
            kind: InstrumentKind::Histogram,
            boundaries,
        }))
    }

    /// A gauge (last value).
    pub fn gauge(&self, name: &'static str, unit: Unit, description: &'static str) -> Gauge {
        Gauge(self.provider.gauge(InstrumentDescriptor {
            name,
            description,
            unit,
            kind: InstrumentKind::Gauge,
            boundaries: None,
        }))
    }
}

/// A monotonic counter. Cheap to clone.
#[derive(Clone)]
pub struct Counter(Arc<dyn CounterSink>);

impl Counter {
    pub fn add(&self, value: u64, attributes: &[KeyValue]) {
        self.0.add(value, attributes)
    }
}

/// A histogram. Cheap to clone.
#[derive(Clone)]
pub struct Histogram(Arc<dyn HistogramSink>);

impl Histogram {
    pub fn record(&self, value: f64, attributes: &[KeyValue]) {
        self.0.record(value, attributes)
    }
}

/// A gauge. Cheap to clone.
#[derive(Clone)]
pub struct Gauge(Arc<dyn GaugeSink>);

impl Gauge {
    pub fn set(&self, value: f64, attributes: &[KeyValue]) {
        self.0.set(value, attributes)
    }
}

/// Instruments that discard everything (the `noop` backend).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopMeterProvider;

struct NoopInstrument;

impl CounterSink for NoopInstrument {
    fn add(&self, _: u64, _: &[KeyValue]) {}
}
impl HistogramSink for NoopInstrument {
    fn record(&self, _: f64, _: &[KeyValue]) {}
}
impl GaugeSink for NoopInstrument {
    fn set(&self, _: f64, _: &[KeyValue]) {}
}

impl MeterProvider for NoopMeterProvider {
    fn counter(&self, _: InstrumentDescriptor) -> Arc<dyn CounterSink> {
        Arc::new(NoopInstrument)
    }
    fn histogram(&self, _: InstrumentDescriptor) -> Arc<dyn HistogramSink> {
        Arc::new(NoopInstrument)
    }
    fn gauge(&self, _: InstrumentDescriptor) -> Arc<dyn GaugeSink> {
        Arc::new(NoopInstrument)
    }
}
