//! The `noop` backend: the overhead baseline. The shop runs the same code
//! paths (spans get ids, log records are built and written locally, metric
//! calls are made) but nothing is sampled, aggregated or exported.

use std::sync::Arc;

use crate::context::RandomIdGenerator;
use crate::export::{Backend, BoxFuture, ExportError, ExportStats, Exporter};
use crate::metrics::NoopMeterProvider;
use crate::propagation::NoopPropagator;
use crate::record::{LogRecord, SpanRecord};
use crate::sampling::AlwaysOff;

/// Builds the `noop` backend.
pub fn backend() -> Backend {
    Backend {
        name: "noop",
        sampler: Arc::new(AlwaysOff),
        id_generator: Arc::new(RandomIdGenerator),
        propagator: Arc::new(NoopPropagator),
        meter_provider: Arc::new(NoopMeterProvider),
        exporter: Arc::new(NoopExporter),
        format_trace_id: |id| id.to_hex(),
    }
}

/// Discards everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopExporter;

impl Exporter for NoopExporter {
    fn export_span(&self, _span: SpanRecord) {}
    fn export_log(&self, _record: &LogRecord) {}
    fn stats(&self) -> ExportStats {
        ExportStats::default()
    }
    fn force_flush(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async { Ok(()) })
    }
    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async { Ok(()) })
    }
}
