//! The in-memory recording backend: keeps every span, log record and metric
//! measurement so tests can assert what the shop emits. Enabled by the
//! `testing` feature; never used in production.
//!
//! It propagates context in the W3C `traceparent` format so tests can follow a
//! trace across two services. That codec is hand-written here (a few lines)
//! because the maintained implementation lives in `opentelemetry_sdk`, which
//! this crate must not depend on; the `otel` backend uses the SDK's.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::context::{RandomIdGenerator, SpanContext, SpanId, TraceId};
use crate::export::{Backend, BoxFuture, ExportError, ExportStats, Exporter, SignalStats};
use crate::metrics::{
    CounterSink, GaugeSink, HistogramSink, InstrumentDescriptor, InstrumentKind, MeterProvider,
    Unit,
};
use crate::propagation::{Extractor, Injector, Propagator};
use crate::record::{LogRecord, SpanRecord};
use crate::sampling::{AlwaysOn, Sampler};
use crate::value::{KeyValue, Value};

/// One metric measurement as the shop recorded it.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub name: &'static str,
    pub kind: InstrumentKind,
    pub unit: Unit,
    pub value: f64,
    pub attributes: Vec<KeyValue>,
}

impl Measurement {
    /// True when every `(key, value)` in `filter` is among the attributes.
    pub fn matches(&self, filter: &[(&str, Value)]) -> bool {
        filter.iter().all(|(k, v)| {
            self.attributes
                .iter()
                .any(|kv| kv.key == *k && kv.value == *v)
        })
    }
}

#[derive(Default)]
struct Recorded {
    spans: Vec<SpanRecord>,
    logs: Vec<LogRecord>,
    measurements: Vec<Measurement>,
    flushes: u64,
}

/// The test's handle on what was recorded. Cheap to clone.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Recorded>>,
}

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, Recorded> {
        // A panicking test thread must not hide the records from the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every finished, sampled span so far, in the order they ended.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.lock().spans.clone()
    }

    /// The spans of one trace.
    pub fn trace(&self, trace_id: TraceId) -> Vec<SpanRecord> {
        self.lock()
            .spans
            .iter()
            .filter(|s| s.context.trace_id == trace_id)
            .cloned()
            .collect()
    }

    pub fn logs(&self) -> Vec<LogRecord> {
        self.lock().logs.clone()
    }

    pub fn measurements(&self) -> Vec<Measurement> {
        self.lock().measurements.clone()
    }

    /// Sum of a counter over the measurements whose attributes match `filter`.
    pub fn counter_total(&self, name: &str, filter: &[(&str, Value)]) -> f64 {
        self.sum(name, InstrumentKind::Counter, filter, |m| m.value)
    }

    /// Number of histogram samples matching `filter`.
    pub fn histogram_count(&self, name: &str, filter: &[(&str, Value)]) -> usize {
        self.sum(name, InstrumentKind::Histogram, filter, |_| 1.0) as usize
    }

    /// The last value a gauge was set to, among measurements matching `filter`.
    pub fn gauge_last(&self, name: &str, filter: &[(&str, Value)]) -> Option<f64> {
        self.lock()
            .measurements
            .iter()
            .rev()
            .find(|m| m.name == name && m.kind == InstrumentKind::Gauge && m.matches(filter))
            .map(|m| m.value)
    }

    fn sum(
        &self,
        name: &str,
        kind: InstrumentKind,
        filter: &[(&str, Value)],
        f: impl Fn(&Measurement) -> f64,
    ) -> f64 {
        self.lock()
            .measurements
            .iter()
            .filter(|m| m.name == name && m.kind == kind && m.matches(filter))
            .map(f)
            .sum()
    }

    /// How many times the shop flushed telemetry.
    pub fn flushes(&self) -> u64 {
        self.lock().flushes
    }

    /// Forgets everything recorded so far.
    pub fn clear(&self) {
        let mut r = self.lock();
        r.spans.clear();
        r.logs.clear();
        r.measurements.clear();
    }
}

/// Builds a recording backend that samples everything.
pub fn backend() -> (Backend, Recorder) {
    backend_with_sampler(Arc::new(AlwaysOn))
}

/// Builds a recording backend with the given sampler.
pub fn backend_with_sampler(sampler: Arc<dyn Sampler>) -> (Backend, Recorder) {
    let recorder = Recorder::default();
    let backend = Backend {
        name: "recording",
        sampler,
        id_generator: Arc::new(RandomIdGenerator),
        propagator: Arc::new(TraceParent),
        meter_provider: Arc::new(RecordingMeter(recorder.clone())),
        exporter: Arc::new(RecordingExporter(recorder.clone())),
        format_trace_id: |id| id.to_hex(),
    };
    (backend, recorder)
}

struct RecordingExporter(Recorder);

impl Exporter for RecordingExporter {
    fn export_span(&self, span: SpanRecord) {
        self.0.lock().spans.push(span);
    }
    fn export_log(&self, record: &LogRecord) {
        self.0.lock().logs.push(record.clone());
    }
    fn stats(&self) -> ExportStats {
        let r = self.0.lock();
        let all = |n: usize| SignalStats {
            received: n as u64,
            sent: n as u64,
            ..SignalStats::default()
        };
        ExportStats {
            spans: all(r.spans.len()),
            metrics: all(r.measurements.len()),
            logs: all(r.logs.len()),
        }
    }
    fn force_flush(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        self.0.lock().flushes += 1;
        Box::pin(async { Ok(()) })
    }
    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        self.force_flush()
    }
}

struct RecordingMeter(Recorder);

struct RecordingInstrument {
    recorder: Recorder,
    descriptor: InstrumentDescriptor,
}

impl RecordingInstrument {
    fn push(&self, value: f64, attributes: &[KeyValue]) {
        self.recorder.lock().measurements.push(Measurement {
            name: self.descriptor.name,
            kind: self.descriptor.kind,
            unit: self.descriptor.unit,
            value,
            attributes: attributes.to_vec(),
        });
    }
}

impl CounterSink for RecordingInstrument {
    fn add(&self, value: u64, attributes: &[KeyValue]) {
        self.push(value as f64, attributes);
    }
}
impl HistogramSink for RecordingInstrument {
    fn record(&self, value: f64, attributes: &[KeyValue]) {
        self.push(value, attributes);
    }
}
impl GaugeSink for RecordingInstrument {
    fn set(&self, value: f64, attributes: &[KeyValue]) {
        self.push(value, attributes);
    }
}

impl MeterProvider for RecordingMeter {
    fn counter(&self, descriptor: InstrumentDescriptor) -> Arc<dyn CounterSink> {
        Arc::new(RecordingInstrument {
            recorder: self.0.clone(),
            descriptor,
        })
    }
    fn histogram(&self, descriptor: InstrumentDescriptor) -> Arc<dyn HistogramSink> {
        Arc::new(RecordingInstrument {
            recorder: self.0.clone(),
            descriptor,
        })
    }
    fn gauge(&self, descriptor: InstrumentDescriptor) -> Arc<dyn GaugeSink> {
        Arc::new(RecordingInstrument {
            recorder: self.0.clone(),
            descriptor,
        })
    }
}

/// W3C `traceparent`: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
pub struct TraceParent;

impl Propagator for TraceParent {
    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let value = carrier.get("traceparent")?.trim();
        let mut parts = value.split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "00" || parts.next().is_some() || flags.len() != 2 {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(SpanContext::remote(
            TraceId::from_hex(trace)?,
            SpanId::from_hex(span)?,
            flags & 1 == 1,
        ))
    }

    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        carrier.set(
            "traceparent",
            format!(
                "00-{}-{}-{:02x}",
                context.trace_id.to_hex(),
                context.span_id.to_hex(),
                u8::from(context.sampled)
            ),
        );
    }

    fn fields(&self) -> &'static [&'static str] {
        &["traceparent"]
    }
}
